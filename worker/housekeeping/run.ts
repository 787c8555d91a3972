import { readSetting } from '../api/settings/store';
import { openDb } from '../db/client';
import { auditLog } from '../db/schema';
import { taskManagerFor } from '../taskmanager/TaskManager';
import { deleteStatements, nextCandidates, START, type Candidate } from './candidates';
import { batchFits, retentionCutoff, retentionDays } from './retention';

/** Jobs per batch: one candidate read, one D1 batch and one TaskManager call per relay. */
export const BATCH_JOBS = 100;
/**
 * D1 statements plus TaskManager calls one call may make. The platform allows 1,000 of each
 * per invocation, and housekeeping shares its invocation with the scheduler's tick, so it
 * takes a small share; a backlog drains over several calls (`more`).
 */
export const QUERY_BUDGET = 60;
/** Statements of deleteStatements. */
const DELETE_STATEMENTS = 3;
/** Kept for the audit entry written after the last batch. */
const AUDIT_RESERVE = 1;
/** Audit actor of work nobody asked for in person. */
export const SYSTEM_ACTOR = 'system';

export interface HousekeepingOptions {
  /** Jobs per batch (default BATCH_JOBS). */
  batchJobs?: number;
  /** Most D1 statements + TaskManager calls (default QUERY_BUDGET), e.g. what the tick left. */
  budget?: number;
}

export interface HousekeepingReport {
  /** `job_retention_days` as applied. */
  retentionDays: number;
  /** Ended jobs that finished before this are past retention. */
  cutoff: Date;
  /** Job records deleted, with their dependency edges and readiness tokens. */
  jobs: number;
  /** Output lines deleted from the relays' TaskManagers. */
  lines: number;
  /** Jobs that stay and pointed at a deleted job by master_job / relaunch_of, now null. */
  referencesCleared: number;
  /** Jobs left in place this time because their relay's TaskManager could not be reached. */
  deferred: number;
  batches: number;
  /** D1 statements run (a batch counts each statement). */
  queries: number;
  /** TaskManager calls made. */
  subrequests: number;
  /** Jobs past retention remain (the budget ran out, or some were deferred): call again. */
  more: boolean;
}

/**
 * Daily housekeeping: deletes ended jobs older than the `job_retention_days` setting (90 days
 * by default) together with their stored output, keeping each client's last successful backup
 * per policy whatever its age. The scheduler calls it from `scheduled()` once a day, at the
 * `housekeeping_hour` setting, and again while the report says `more`.
 *
 * Contract:
 *  - What goes: jobs that ended (successful, failed, error, canceled, lost) before
 *    `now − retention`, their output lines in their relay's TaskManager, their dependency edges
 *    and readiness tokens. What stays: every active job, every job an active job waits for,
 *    and the most recent successful backup of each (client, policy). References from staying
 *    jobs to deleted ones (`master_job`, `relaunch_of`) become null. See candidates.ts.
 *  - Idempotent: it decides from the database alone, so a second call with the same `now`
 *    deletes nothing more, and a call that stopped half-way (a crash, the budget) is simply
 *    finished by the next one.
 *  - Bounded: batches of `batchJobs`, and at most `budget` D1 statements + TaskManager calls
 *    per call (a batch costs 4 statements plus one call per relay it touches); D1's 100-
 *    parameter limit does not apply, id lists are one json_each parameter.
 *  - Output before rows: a job's output is deleted first, its row after. The row is the only
 *    index of the output, so the reverse order, interrupted, would leave lines nothing could
 *    ever find again; this order leaves at worst a job with no output, deleted next time.
 *  - Writes one audit entry (actor `system`, counts only) when it deleted anything.
 *  - Throws only if D1 fails; an unreachable TaskManager defers its relay's jobs (`deferred`).
 *
 * @example
 *   let report;
 *   do report = await runHousekeeping(env, new Date());
 *   while (report.more && report.jobs > 0);
 */
export async function runHousekeeping(env: Env, now: Date, options: HousekeepingOptions = {}): Promise<HousekeepingReport> {
  const batchJobs = options.batchJobs ?? BATCH_JOBS;
  const budget = options.budget ?? QUERY_BUDGET;
  const db = openDb(env.DB);
  const days = retentionDays(await readSetting(db, 'job_retention_days'));
  const cutoff = retentionCutoff(now, days);
  const report: HousekeepingReport = { retentionDays: days, cutoff, jobs: 0, lines: 0, referencesCleared: 0, deferred: 0, batches: 0, queries: 1, subrequests: 0, more: false };
  const used = () => report.queries + report.subrequests;

  let cursor = START;
  for (;;) {
    // The read, the deletes and at least one TaskManager call.
    if (!batchFits(used(), 1 + DELETE_STATEMENTS + 1, budget, AUDIT_RESERVE)) {
      report.more = true;
      break;
    }
    // One extra row says whether anything is left after this batch.
    const rows = await nextCandidates(env.DB, cutoff.getTime(), cursor, batchJobs + 1);
    report.queries++;
    const batch = rows.slice(0, batchJobs);
    if (!batch.length) break;
    const byRelay = groupByRelay(batch);
    if (!batchFits(used(), DELETE_STATEMENTS + byRelay.size, budget, AUDIT_RESERVE)) {
      report.more = true;
      break;
    }
    const ids = await deleteOutput(env, byRelay, report);
    // Jobs whose relay was deleted (relay_id null) have no reachable output: the TaskManager
    // is named after the relay's id, which went with it. Their rows go without an output call.
    ids.push(...(byRelay.get(null) ?? []));
    if (ids.length) {
      const [masters, origins, deleted] = await env.DB.batch(deleteStatements(env.DB, ids));
      report.queries += DELETE_STATEMENTS;
      report.referencesCleared += (masters?.meta.changes ?? 0) + (origins?.meta.changes ?? 0);
      report.jobs += deleted?.results.length ?? 0;
    }
    report.batches++;
    cursor = { created: batch[batch.length - 1]!.created, id: batch[batch.length - 1]!.id };
    if (rows.length <= batchJobs) break;
  }
  if (report.deferred) report.more = true;

  if (report.jobs > 0) {
    await db.insert(auditLog).values({
      userId: null,
      actor: SYSTEM_ACTOR,
      action: 'delete',
      objectType: 'job',
      objectId: null,
      detail: { housekeeping: true, retention_days: days, jobs: report.jobs, lines: report.lines, references_cleared: report.referencesCleared },
      address: null,
    });
    report.queries++;
  }
  return report;
}

function groupByRelay(batch: Candidate[]): Map<number | null, number[]> {
  const byRelay = new Map<number | null, number[]>();
  for (const c of batch) byRelay.set(c.relayId, [...(byRelay.get(c.relayId) ?? []), c.id]);
  return byRelay;
}

/** Deletes the output of each relay's jobs; returns the ids whose output is gone (relay_id set). */
async function deleteOutput(env: Env, byRelay: Map<number | null, number[]>, report: HousekeepingReport): Promise<number[]> {
  const done: number[] = [];
  for (const [relayId, ids] of byRelay) {
    if (relayId === null) continue;
    report.subrequests++;
    try {
      report.lines += await taskManagerFor(env, relayId).deleteJobOutput(ids);
      done.push(...ids);
    } catch (e) {
      // Their rows stay, so the output stays findable; the next call tries again.
      report.deferred += ids.length;
      console.error(JSON.stringify({ level: 'error', msg: 'housekeeping: job output not deleted', relay: relayId, jobs: ids.length, error: String((e as Error)?.message ?? e) }));
    }
  }
  return done;
}
