/**
 * Why `waiting` jobs wait: the jobs they depend on that have not succeeded yet, read when a
 * job is shown (it changes as a chain moves on, so it is never stored). A pending job's
 * reason is stored by its relay's TaskManager instead (taskmanager/waiting.ts).
 */
import { and, asc, eq, ne } from 'drizzle-orm';
import type { JobType } from '../../../shared/domain';
import { inList } from '../../db/in-list';
import { jobDependencies, jobs } from '../../db/schema';
import type { JobRow } from '../../jobs/create';
import type { Db } from '../../http/context';
import { dependencyReason } from '../../taskmanager/waiting';

/** `waiting for job 12 (prepare_client)` for each `waiting` job among `rows`, by id. */
export async function waitingFor(db: Db, rows: JobRow[]): Promise<Map<number, string>> {
  const ids = rows.filter((j) => j.status === 'waiting').map((j) => j.id);
  const reasons = new Map<number, string>();
  if (!ids.length) return reasons;
  const edges = await db
    .select({ jobId: jobDependencies.jobId, id: jobs.id, type: jobs.type })
    .from(jobDependencies)
    .innerJoin(jobs, eq(jobs.id, jobDependencies.dependsOnId))
    .where(and(inList(jobDependencies.jobId, ids), ne(jobs.status, 'successful')))
    .orderBy(asc(jobDependencies.jobId), asc(jobs.id));
  const byJob = new Map<number, { id: number; type: JobType }[]>();
  for (const e of edges) byJob.set(e.jobId, [...(byJob.get(e.jobId) ?? []), { id: e.id, type: e.type }]);
  for (const [jobId, deps] of byJob) reasons.set(jobId, dependencyReason(deps)!);
  return reasons;
}
