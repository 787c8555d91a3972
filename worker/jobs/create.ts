/**
 * Writes a planned set of jobs, their dependency edges and master links in one
 * atomic D1 batch of four statements, whatever the size of the launch.
 *
 * Why this shape:
 * - D1 has no interactive transactions, so ids cannot be read back between
 *   statements; inside one batch (one transaction, no other writer) AUTOINCREMENT
 *   ids of one INSERT … SELECT are consecutive, so job i of n is
 *   `(SELECT max(id) FROM jobs) - (n-1-i)` once all n are inserted.
 * - A Worker invocation may run at most 1,000 D1 queries (50 on the Free plan) and a
 *   statement may bind 100 parameters: one statement per job would not scale, so
 *   each statement takes the whole plan as one JSON parameter read by json_each.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { ACTIVE_JOB_STATUSES } from '../../shared/domain';
import { inList } from '../db/in-list';
import { clients, jobs } from '../db/schema';
import type { Db } from '../http/context';
import type { PlannedJob } from './plan';

export type JobRow = typeof jobs.$inferSelect;

export async function insertPlannedJobs(db: Db, plan: PlannedJob[], userId: number | null): Promise<JobRow[]>;
/** `returnRows: false`: only write (the scheduler writes thousands of jobs and needs none back). */
export async function insertPlannedJobs(db: Db, plan: PlannedJob[], userId: number | null, options: { returnRows: false }): Promise<void>;
export async function insertPlannedJobs(db: Db, plan: PlannedJob[], userId: number | null, options: { returnRows?: boolean } = {}): Promise<JobRow[] | void> {
  const n = plan.length;
  if (n === 0) return options.returnRows === false ? undefined : [];
  const now = Date.now();
  const rows = JSON.stringify(
    plan.map((j) => ({
      type: j.type,
      policy: j.policyId,
      client: j.clientId,
      repository: j.repositoryId,
      relay: j.relayId,
      status: j.status,
      launch: j.launchType,
      attempt: j.attempt,
      archive: j.archiveName,
    })),
  );
  const edges = JSON.stringify(plan.flatMap((j, i) => j.dependsOn.map((d) => [i, d])));
  const masters = JSON.stringify(plan.flatMap((j, i) => (j.master === null ? [] : [[i, j.master]])));
  // Id of plan index `x` (a SQL expression) once all n jobs are inserted; n is an
  // integer we computed, never client input.
  const idOf = (x: string) => `((SELECT max(id) FROM jobs) - ${n - 1} + ${x})`;
  const d1 = db.$client;
  const writes = [
    d1
      .prepare(
        `INSERT INTO jobs (type, policy_id, client_id, repository_id, relay_id, status, launch_type, attempt, archive_name, created, modified, created_by, modified_by)
         SELECT value ->> '$.type', value ->> '$.policy', value ->> '$.client', value ->> '$.repository', value ->> '$.relay',
                value ->> '$.status', value ->> '$.launch', value ->> '$.attempt', value ->> '$.archive', ?2, ?2, ?3, ?3
           FROM json_each(?1) ORDER BY key`,
      )
      .bind(rows, now, userId),
    d1
      .prepare(`INSERT INTO job_dependencies (job_id, depends_on_id) SELECT ${idOf("(value ->> '$[0]')")}, ${idOf("(value ->> '$[1]')")} FROM json_each(?1)`)
      .bind(edges),
    // UPDATE … FROM: one primary-key lookup per link (a correlated subquery over the JSON
    // would scan all links for every row: quadratic, 8 s for a 16,000-job tick).
    d1
      .prepare(`UPDATE jobs SET master_job_id = ${idOf("(m.value ->> '$[1]')")} FROM json_each(?1) AS m WHERE jobs.id = ${idOf("(m.value ->> '$[0]')")}`)
      .bind(masters),
  ];
  if (options.returnRows === false) {
    await d1.batch(writes);
    return;
  }
  const [, , , inserted] = await d1.batch([...writes, d1.prepare(`SELECT id FROM jobs WHERE id > (SELECT max(id) FROM jobs) - ${n} ORDER BY id`)]);
  const ids = (inserted!.results as { id: number }[]).map((r) => r.id);
  // Read back through drizzle so callers get typed rows (dates, JSON columns).
  return db.select().from(jobs).where(inList(jobs.id, ids)).orderBy(jobs.id);
}

/** Hostnames of the given clients that already have an active job on the repository. */
export async function busyClients(db: Db, repositoryId: number, clientIds: number[]): Promise<string[]> {
  if (!clientIds.length) return [];
  const rows = await db
    .selectDistinct({ hostname: clients.hostname })
    .from(jobs)
    .innerJoin(clients, eq(clients.id, jobs.clientId))
    .where(and(eq(jobs.repositoryId, repositoryId), inList(jobs.clientId, clientIds), inArray(jobs.status, [...ACTIVE_JOB_STATUSES])));
  return rows.map((r) => r.hostname);
}
