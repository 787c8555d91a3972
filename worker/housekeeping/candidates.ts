/**
 * The SQL of housekeeping: which jobs may go, and the statements that remove a batch of them.
 * Raw D1 statements (not drizzle): the rules read best as one query, and the id lists are a
 * single JSON parameter unpacked by json_each (D1 allows 100 bound parameters a statement).
 */
import { ACTIVE_JOB_STATUSES, FINISHED_JOB_STATUSES } from '../../shared/domain';

/** Fixed domain words, inlined as SQL string literals. */
const literals = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');
const FINISHED = literals(FINISHED_JOB_STATUSES);
const ACTIVE = literals(ACTIVE_JOB_STATUSES);

export interface Candidate {
  id: number;
  relayId: number | null;
  created: number;
}

/** Keyset position in `(created, id)` order; a call walks forward from START. */
export interface Cursor {
  created: number;
  id: number;
}
export const START: Cursor = { created: Number.MIN_SAFE_INTEGER, id: 0 };

/**
 * Up to `limit` jobs past retention after `after`, oldest first. A job may go when
 *  - it has ended (successful, failed, error, canceled, lost) and ended before the cutoff
 *    (`finished`; `created` for a job that never ran, e.g. canceled while waiting);
 *  - it is not the most recent successful backup of its (client, policy): that one stays
 *    whatever its age, so "last successful backup" and overdue detection always have it.
 *    Most recent = latest `finished`, then highest id. A backup whose client or policy was
 *    deleted (the column is null) has no pair left to speak for and ages out normally;
 *  - no active job depends on it. Edges are ON DELETE CASCADE, so deleting it would silently
 *    drop the edge of a job that is still waiting. (An ended dependent loses the edge
 *    with the job: its `depends_on` then lists only jobs that still exist.)
 *
 * Walks `jobs_created_idx` in its order: `created <= finished`, so `created < cutoff` bounds the
 * scan to old rows; the old jobs that stay (active ones, last successful backups) are passed
 * over, never selected, so every batch makes progress. The unary `+` on `status` keeps the
 * planner off `jobs_status_idx`: without ANALYZE statistics it prefers the equality on status
 * and would read every ended job ever and sort them all, on every batch.
 */
export const CANDIDATES_SQL = `
  SELECT j.id, j.relay_id, j.created FROM jobs j
   WHERE j.created < ?1 AND (j.created, j.id) > (?2, ?3)
     AND +j.status IN (${FINISHED})
     AND coalesce(j.finished, j.created) < ?1
     AND NOT (j.type = 'backup' AND j.status = 'successful' AND j.client_id IS NOT NULL AND j.policy_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM jobs n
                               WHERE n.client_id = j.client_id AND n.policy_id = j.policy_id AND n.type = 'backup' AND n.status = 'successful'
                                 AND (coalesce(n.finished, n.created), n.id) > (coalesce(j.finished, j.created), j.id)))
     AND NOT EXISTS (SELECT 1 FROM job_dependencies d JOIN jobs a ON a.id = d.job_id
                      WHERE d.depends_on_id = j.id AND a.status IN (${ACTIVE}))
   ORDER BY j.created, j.id
   LIMIT ?4`;

export async function nextCandidates(db: D1Database, cutoff: number, after: Cursor, limit: number): Promise<Candidate[]> {
  const { results } = await db
    .prepare(CANDIDATES_SQL)
    .bind(cutoff, after.created, after.id, limit)
    .all<{ id: number; relay_id: number | null; created: number }>();
  return results.map((r) => ({ id: r.id, relayId: r.relay_id, created: r.created }));
}

const IDS = '(SELECT value FROM json_each(?1))';
/** ?1 the JSON list of ids being deleted. */
export const CLEAR_MASTERS_SQL = `UPDATE jobs SET master_job_id = NULL WHERE master_job_id IN ${IDS} AND id NOT IN ${IDS}`;
/**
 * ?1 the ids, ?2 the lowest of them. relaunch_of_id has no index; only the relaunch route sets
 * it, always on a newer job with launch_type 'relaunch', so jobs_launch_type_idx narrows this
 * to the few relaunches after the oldest deleted job instead of a scan of every job.
 */
export const CLEAR_RELAUNCH_ORIGINS_SQL = `UPDATE jobs SET relaunch_of_id = NULL WHERE launch_type = 'relaunch' AND id > ?2 AND relaunch_of_id IN ${IDS} AND id NOT IN ${IDS}`;
/**
 * ?1 the ids. The status is checked again: an ended job never changes, but nothing active is
 * ever deleted. RETURNING counts the jobs: D1's meta.changes also counts the rows the cascades
 * delete.
 */
export const DELETE_JOBS_SQL = `DELETE FROM jobs WHERE id IN ${IDS} AND status IN (${FINISHED}) RETURNING id`;

/**
 * One D1 batch (one transaction) that deletes a batch of jobs. `job_dependencies` (both ends)
 * and `readiness_tokens` go by their ON DELETE CASCADE. `master_job_id` and `relaunch_of_id`
 * carry no foreign key: a job that stays and points at a deleted one gets null there, so the
 * API never hands out a `master_job` / `relaunch_of` that answers 404. Results, in order:
 * masters cleared, relaunch origins cleared (on jobs that stay), jobs deleted.
 */
export function deleteStatements(db: D1Database, ids: readonly number[]): D1PreparedStatement[] {
  const list = JSON.stringify(ids);
  return [db.prepare(CLEAR_MASTERS_SQL).bind(list), db.prepare(CLEAR_RELAUNCH_ORIGINS_SQL).bind(list, Math.min(...ids)), db.prepare(DELETE_JOBS_SQL).bind(list)];
}
