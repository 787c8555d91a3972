/**
 * Writes a planned set of jobs and their dependency edges in one atomic D1 batch.
 *
 * D1 has no interactive transactions, so ids cannot be read back between
 * statements. Inside a batch (one transaction, no other writer) AUTOINCREMENT ids
 * are consecutive, so job i of n is `last id - (n-1-i)` once all n are inserted;
 * the edge and master-job statements at the end of the batch use that.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { ACTIVE_JOB_STATUSES } from '../../shared/domain';
import { clients, jobDependencies, jobs } from '../db/schema';
import type { Db } from '../http/context';
import type { PlannedJob } from './plan';

export type JobRow = typeof jobs.$inferSelect;

export async function insertPlannedJobs(db: Db, plan: PlannedJob[], userId: number | null, extra: Partial<typeof jobs.$inferInsert> = {}): Promise<JobRow[]> {
  if (plan.length === 0) return [];
  const now = new Date();
  const n = plan.length;
  const idOf = (i: number) => sql`((SELECT max(id) FROM jobs) - ${n - 1 - i})`;
  const inserts = plan.map((j) =>
    db
      .insert(jobs)
      .values({
        type: j.type,
        policyId: j.policyId,
        clientId: j.clientId,
        repositoryId: j.repositoryId,
        relayId: j.relayId,
        status: j.status,
        launchType: j.launchType,
        attempt: j.attempt,
        archiveName: j.archiveName,
        created: now,
        modified: now,
        createdBy: userId,
        modifiedBy: userId,
        ...extra,
      })
      .returning(),
  );
  const edges = plan.flatMap((j, i) => j.dependsOn.map((d) => db.insert(jobDependencies).values({ jobId: idOf(i) as unknown as number, dependsOnId: idOf(d) as unknown as number })));
  const masters = plan.flatMap((j, i) => (j.master === null ? [] : [db.update(jobs).set({ masterJobId: idOf(j.master) as unknown as number }).where(eq(jobs.id, idOf(i) as unknown as number))]));
  const [first, ...rest] = [...inserts, ...edges, ...masters];
  const results = await db.batch([first!, ...rest]);
  const ids = (results.slice(0, n) as JobRow[][]).map((r) => r[0]!.id);
  // Re-read so master_job_id (set after the inserts) is current.
  return db.select().from(jobs).where(inArray(jobs.id, ids)).orderBy(jobs.id);
}

/** Hostnames of the given clients that already have an active job on the repository. */
export async function busyClients(db: Db, repositoryId: number, clientIds: number[]): Promise<string[]> {
  if (!clientIds.length) return [];
  const rows = await db
    .selectDistinct({ hostname: clients.hostname })
    .from(jobs)
    .innerJoin(clients, eq(clients.id, jobs.clientId))
    .where(and(eq(jobs.repositoryId, repositoryId), inArray(jobs.clientId, clientIds), inArray(jobs.status, [...ACTIVE_JOB_STATUSES])));
  return rows.map((r) => r.hostname);
}
