/**
 * The TaskManager's writes to job records in D1. Every status change is conditional
 * on the status it expects (`WHERE status = …`), so a late or duplicated message can
 * never move a job backwards or end it twice.
 */
import type { RelayMessage } from '../../shared/protocol';

type Finish = Extract<RelayMessage, { type: 'finish' }>;

/** Pending jobs of a relay that may start now: their client and repository are free. */
export async function pickStartable(db: D1Database, relayId: number, limit: number): Promise<number[]> {
  if (limit <= 0) return [];
  const { results } = await db
    .prepare(
      `SELECT j.id FROM jobs j
        WHERE j.relay_id = ?1 AND j.status = 'pending'
          AND NOT EXISTS (SELECT 1 FROM jobs b WHERE b.status IN ('starting', 'running') AND b.id != j.id
                          AND ((j.client_id IS NOT NULL AND b.client_id = j.client_id)
                            OR (j.repository_id IS NOT NULL AND b.repository_id = j.repository_id)))
        ORDER BY j.id LIMIT ?2`,
    )
    .bind(relayId, limit * 4)
    .all<{ id: number }>();
  return results.map((r) => r.id);
}

export async function countActive(db: D1Database, relayId: number): Promise<number> {
  const row = await db.prepare("SELECT count(*) AS n FROM jobs WHERE relay_id = ? AND status IN ('starting', 'running')").bind(relayId).first<{ n: number }>();
  return row?.n ?? 0;
}

/** pending → starting; false if someone else took it. */
export async function markStarting(db: D1Database, jobId: number): Promise<boolean> {
  const r = await db.prepare("UPDATE jobs SET status = 'starting', modified = ?2 WHERE id = ?1 AND status = 'pending'").bind(jobId, Date.now()).run();
  return r.meta.changes === 1;
}

/** starting → running, once the lease is granted. */
export async function markRunning(db: D1Database, jobId: number): Promise<void> {
  const now = Date.now();
  await db.prepare("UPDATE jobs SET status = 'running', started = ?2, modified = ?2 WHERE id = ?1 AND status = 'starting'").bind(jobId, now).run();
}

/** starting → pending: an offer the relay never answered (nothing was started). */
export async function backToPending(db: D1Database, jobId: number): Promise<void> {
  await db.prepare("UPDATE jobs SET status = 'pending', modified = ?2 WHERE id = ?1 AND status = 'starting'").bind(jobId, Date.now()).run();
}

/** Ends an active job with a status and a reason, and settles the jobs that wait on it. */
export async function endJob(db: D1Database, jobId: number, status: 'failed' | 'error' | 'lost' | 'canceled', explanation: string): Promise<void> {
  const now = Date.now();
  await db.batch([
    db
      .prepare("UPDATE jobs SET status = ?2, explanation = ?3, finished = ?4, elapsed_ms = CASE WHEN started IS NULL THEN NULL ELSE ?4 - started END, modified = ?4 WHERE id = ?1 AND status IN ('starting', 'running')")
      .bind(jobId, status, explanation, now),
    ...failDependents(db, jobId, now),
  ]);
}

/** Writes the summary of a finished job (one batch) and settles its dependents. */
export async function finishJob(db: D1Database, msg: Finish): Promise<boolean> {
  const now = Date.now();
  const stats = archiveStats(msg.result);
  const [update] = await db.batch([
    db
      .prepare(
        `UPDATE jobs SET status = ?2, exit_code = ?3, explanation = ?4, result = ?5, finished = ?6,
                elapsed_ms = CASE WHEN started IS NULL THEN NULL ELSE ?6 - started END,
                original_size = ?7, compressed_size = ?8, deduplicated_size = ?9, file_count = ?10, modified = ?6
          WHERE id = ?1 AND attempt = ?11 AND status IN ('starting', 'running')`,
      )
      .bind(msg.jobId, msg.status, msg.exitCode, msg.explanation, msg.result ? JSON.stringify(msg.result) : null, now, stats.original, stats.compressed, stats.deduplicated, stats.files, msg.attempt),
    ...(msg.status === 'successful' ? promoteDependents(db, msg.jobId, now) : failDependents(db, msg.jobId, now)),
    ...repositorySizes(db, msg, now),
  ]);
  return (update?.meta.changes ?? 0) === 1;
}

/**
 * borg create's `--json` carries the repository's totals (`cache.stats`): a backup keeps the
 * repository's sizes current without a separate `borg info` job.
 */
function repositorySizes(db: D1Database, msg: Finish, now: number) {
  const stats = ((msg.result?.cache as Record<string, unknown> | undefined)?.stats ?? null) as Record<string, unknown> | null;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : null);
  if (msg.status !== 'successful' || !stats || num(stats.total_size) === null) return [];
  return [
    db
      .prepare(
        `UPDATE repositories SET original_size = ?2, compressed_size = ?3, deduplicated_size = ?4, modified = ?5
          WHERE id = (SELECT repository_id FROM jobs WHERE id = ?1 AND type = 'backup')`,
      )
      .bind(msg.jobId, num(stats.total_size), num(stats.total_csize), num(stats.unique_csize), now),
  ];
}

/** Waiting jobs whose every dependency succeeded become pending. */
function promoteDependents(db: D1Database, jobId: number, now: number) {
  return [
    db
      .prepare(
        `UPDATE jobs SET status = 'pending', modified = ?2
          WHERE status = 'waiting' AND id IN (SELECT job_id FROM job_dependencies WHERE depends_on_id = ?1)
            AND NOT EXISTS (SELECT 1 FROM job_dependencies d JOIN jobs p ON p.id = d.depends_on_id
                             WHERE d.job_id = jobs.id AND p.status != 'successful')`,
      )
      .bind(jobId, now),
  ];
}

/** The jobs that (transitively) wait on a job that did not succeed fail, saying why. */
function failDependents(db: D1Database, jobId: number, now: number) {
  return [
    db
      .prepare(
        `WITH RECURSIVE deps(id) AS (
           SELECT job_id FROM job_dependencies WHERE depends_on_id = ?1
           UNION SELECT d.job_id FROM job_dependencies d JOIN deps ON d.depends_on_id = deps.id)
         UPDATE jobs SET status = 'failed', finished = ?2, modified = ?2, explanation = ?3
          WHERE id IN (SELECT id FROM deps) AND status IN ('new', 'pending', 'waiting')`,
      )
      // The text is built here: D1 binds JS numbers as REAL, so SQL concatenation would say "8.0".
      .bind(jobId, now, `Not run: job ${jobId}, which it depends on, did not succeed.`),
  ];
}

/** Sizes and file count from borg's `--json` document of `create`, when present. */
export function archiveStats(result: Record<string, unknown> | null) {
  const stats = ((result?.archive as Record<string, unknown> | undefined)?.stats ?? {}) as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : null);
  return { original: num(stats.original_size), compressed: num(stats.compressed_size), deduplicated: num(stats.deduplicated_size), files: num(stats.nfiles) };
}
