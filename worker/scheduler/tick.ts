/**
 * One scheduler tick (the every-minute Cron Trigger): every due policy is launched as a manual
 * launch would be (same plan, `launch_type` scheduled) and its next_run moves past now.
 *
 * Bounded for the Workers limits (≤ 1,000 D1 queries an invocation, 100 bound parameters a
 * statement): due policies are handled in batches, and a batch costs a fixed number of queries
 * whatever its size — one read each for the due policies, their clients, the busy client ×
 * repository pairs, the recent archive names and the settings; one claim; then the jobs of
 * many launches written together by insertPlannedJobs (4 statements per chunk of launches).
 *
 * Never twice: a batch first *claims* its policies by moving next_run with a conditional
 * UPDATE (`WHERE next_run = <the value read>` … RETURNING id); a policy another tick (or an edit)
 * moved meanwhile is not claimed, so overlapping ticks cannot launch one run twice. A claimed
 * run whose launch then fails is skipped with the reason logged, never retried.
 *
 * What a scheduled launch does differently from a manual one: a client that still has an
 * active job on the repository (its previous run, say) is skipped for this run rather than
 * failing the whole launch; the other clients run.
 */
import { ACTIVE_JOB_STATUSES, type PolicyType } from '../../shared/domain';
import { readSettings } from '../api/settings/store';
import type { Db } from '../http/context';
import { insertPlannedJobs } from '../jobs/create';
import { deduplicateArchiveNames, planLaunch, planSettings, RECENT_NAMES_MS, type PlannedJob } from '../jobs/plan';
import { policyNextRun } from './next-run';

/** Due policies handled per batch; a batch is ~10 queries plus 4 per chunk of jobs. */
export const BATCH_POLICIES = 2000;
/** Jobs written per insert (one JSON parameter; D1 takes values up to 2 MB). */
export const CHUNK_JOBS = 4000;
/** Stop starting new batches past this many queries (the platform's limit is 1,000). */
export const QUERY_BUDGET = 800;

interface DueRow {
  id: number;
  type: PolicyType;
  next_run: number;
  jitter_seconds: number;
  catalog_enabled: number;
  prune_enabled: number;
  retention: number;
  crontab: string;
  timezone: string;
  repository_id: number;
  repository_ready: number;
  repository_locked: number;
  relay_id: number;
}

export interface TickReport {
  due: number;
  launched: number;
  jobs: number;
  skipped: { policy: number; reason: string }[];
  batches: number;
  queries: number;
  /** Due policies left for the next tick (the query budget ran out, or a batch failed). */
  more: boolean;
  /** Why a batch failed (the jobs written before it stand; its claimed runs are skipped). */
  error?: string;
  relays: number[];
  /** Milliseconds spent per batch in each phase. */
  timings: { select: number; claim: number; lookups: number; plan: number; write: number }[];
}

const ACTIVE = JSON.stringify(ACTIVE_JOB_STATUSES);

export async function runSchedulerTick(db: Db, now: Date, options: { batch?: number; random?: () => number } = {}): Promise<TickReport> {
  const report: TickReport = { due: 0, launched: 0, jobs: 0, skipped: [], batches: 0, queries: 0, more: false, relays: [], timings: [] };
  const relays = new Set<number>();
  const batch = options.batch ?? BATCH_POLICIES;
  for (;;) {
    if (report.queries > QUERY_BUDGET) {
      report.more = true;
      break;
    }
    let handled: number;
    try {
      handled = await runBatch(db, now, batch, report, relays, options.random);
    } catch (e) {
      // Keep what was written: its relays must still be poked (the caller does it from the report).
      report.error = String((e as Error)?.message ?? e).slice(0, 300);
      report.more = true;
      break;
    } finally {
      report.batches++;
    }
    if (handled < batch) break;
  }
  report.relays = [...relays];
  return report;
}

async function runBatch(db: Db, now: Date, limit: number, report: TickReport, relays: Set<number>, random?: () => number): Promise<number> {
  const d1 = db.$client;
  const t = now.getTime();
  const timing = { select: 0, claim: 0, lookups: 0, plan: 0, write: 0 };
  report.timings.push(timing);
  let mark = Date.now();
  const lap = (phase: keyof typeof timing) => {
    const at = Date.now();
    timing[phase] += at - mark;
    mark = at;
  };
  // Numbers are inlined (we computed them; D1 would bind JS numbers as REAL).
  const { results: due } = await d1
    .prepare(
      `SELECT p.id, p.type, p.next_run, p.jitter_seconds, p.catalog_enabled, p.prune_enabled,
              (p.keep_within IS NOT NULL AND p.keep_within != '') OR coalesce(p.keep_hourly, 0) > 0 OR coalesce(p.keep_daily, 0) > 0
                OR coalesce(p.keep_weekly, 0) > 0 OR coalesce(p.keep_monthly, 0) > 0 OR coalesce(p.keep_yearly, 0) > 0 AS retention,
              s.crontab, s.timezone, r.id AS repository_id, r.ready AS repository_ready,
              (r.encryption != 'none' AND r.passphrase_sealed IS NULL) AS repository_locked, r.relay_id
         FROM policies p
         JOIN schedules s ON s.id = p.schedule_id AND s.enabled = 1
         JOIN repositories r ON r.id = p.repository_id AND r.enabled = 1
         JOIN relays rl ON rl.id = r.relay_id AND rl.enabled = 1
        WHERE p.enabled = 1 AND p.next_run <= ${Math.floor(t)}
        ORDER BY p.next_run, p.id
        LIMIT ${Math.floor(limit)}`,
    )
    .all<DueRow>();
  report.queries++;
  lap('select');
  if (!due.length) return 0;
  report.due += due.length;

  // Claim: move next_run past now, only where it is still what we read.
  const unschedulable = new Set<number>();
  const moves = due.map((p) => {
    try {
      return [p.id, p.next_run, policyNextRun(p.crontab, p.timezone, now, p.jitter_seconds, random)?.getTime() ?? null];
    } catch (e) {
      // A crontab or timezone this runtime cannot evaluate must not block every other policy:
      // this one gets no next run (saving its schedule again recomputes it) and is skipped.
      unschedulable.add(p.id);
      report.skipped.push({ policy: p.id, reason: `the schedule cannot be evaluated: ${String((e as Error)?.message ?? e).slice(0, 200)}` });
      return [p.id, p.next_run, null];
    }
  });
  const { results: claimedRows } = await d1
    .prepare(
      // UPDATE … FROM: one primary-key lookup per policy (subqueries over the JSON correlated
      // with each row were quadratic: 12 s for a batch of 2,000).
      `UPDATE policies SET next_run = m.value ->> '$[2]'
         FROM json_each(?1) AS m
        WHERE policies.id = m.value ->> '$[0]' AND policies.next_run = m.value ->> '$[1]'
        RETURNING policies.id AS id`,
    )
    .bind(JSON.stringify(moves))
    .all<{ id: number }>();
  report.queries++;
  lap('claim');
  const claimed = new Set(claimedRows.map((r) => r.id));
  const policies = due.filter((p) => claimed.has(p.id) && !unschedulable.has(p.id));
  if (!policies.length) return due.length;

  const policyIds = JSON.stringify(policies.map((p) => p.id));
  const repositoryIds = JSON.stringify([...new Set(policies.map((p) => p.repository_id))]);
  const [links, busy, names] = await d1.batch([
    // CROSS JOIN fixes the order (SQLite's planner otherwise walked every enabled client and
    // probed each against the whole id list: 2.7 s for a batch with 50,000 clients).
    d1.prepare(
      `SELECT pc.policy_id, c.id, c.hostname, c.ready, c.mark_as_to_update
         FROM json_each(?1) AS ids CROSS JOIN policy_clients pc ON pc.policy_id = ids.value CROSS JOIN clients c ON c.id = pc.client_id
        WHERE c.enabled = 1 ORDER BY pc.policy_id, c.id`,
    ).bind(policyIds),
    d1.prepare(
      `SELECT DISTINCT client_id, repository_id FROM jobs
        WHERE repository_id IN (SELECT value FROM json_each(?1)) AND client_id IS NOT NULL AND status IN (SELECT value FROM json_each(?2))`,
    ).bind(repositoryIds, ACTIVE),
    // `+`: walk jobs_created_idx (a few minutes of jobs), not every job the repositories ever had.
    d1.prepare(`SELECT repository_id, archive_name FROM jobs WHERE +type = 'backup' AND created > ${Math.floor(t - RECENT_NAMES_MS)} AND +repository_id IN (SELECT value FROM json_each(?1))`).bind(repositoryIds),
  ]);
  report.queries += 3;
  lap('lookups');
  const settings = await readSettings(db, ['catalog_enabled', 'auto_prune', 'auto_compact']);
  report.queries++;
  lap('lookups');

  const clientsOf = new Map<number, { id: number; hostname: string; ready: number; mark_as_to_update: number }[]>();
  for (const r of links!.results as { policy_id: number; id: number; hostname: string; ready: number; mark_as_to_update: number }[]) {
    (clientsOf.get(r.policy_id) ?? clientsOf.set(r.policy_id, []).get(r.policy_id)!).push(r);
  }
  const busyPairs = new Set((busy!.results as { client_id: number; repository_id: number }[]).map((r) => `${r.client_id}:${r.repository_id}`));
  const taken = new Map<number, Set<string>>();
  for (const r of names!.results as { repository_id: number; archive_name: string | null }[]) {
    if (r.archive_name) (taken.get(r.repository_id) ?? taken.set(r.repository_id, new Set()).get(r.repository_id)!).add(r.archive_name);
  }

  let chunk: { policy: number; relay: number; plan: PlannedJob[] }[] = [];
  let chunkJobs = 0;
  const write = async (launches: typeof chunk) => {
    // Indexes in a plan are relative to it: shift them into the combined plan.
    const combined: PlannedJob[] = [];
    for (const l of launches) {
      const offset = combined.length;
      for (const j of l.plan) combined.push({ ...j, dependsOn: j.dependsOn.map((d) => d + offset), master: j.master === null ? null : j.master + offset });
    }
    await insertPlannedJobs(db, combined, null, { returnRows: false });
    report.queries += 3;
    report.jobs += combined.length;
    report.launched += launches.length;
    for (const l of launches) relays.add(l.relay);
  };
  const flush = async () => {
    lap('plan');
    const launches = chunk;
    chunk = [];
    chunkJobs = 0;
    if (!launches.length) return;
    try {
      await write(launches);
    } catch (e) {
      // One launch raced another (e.g. a manual launch took a client meanwhile: the database's
      // one-active-backup index refuses the whole batch): write them one by one.
      report.queries += 3;
      for (const l of launches) {
        try {
          await write([l]);
        } catch (err) {
          report.queries += 3;
          report.skipped.push({ policy: l.policy, reason: `not launched: ${String((err as Error)?.message ?? err).slice(0, 200)}` });
        }
      }
      console.warn(JSON.stringify({ level: 'warn', msg: 'scheduler batch written one launch at a time', error: String((e as Error)?.message ?? e).slice(0, 200) }));
    }
    lap('write');
  };
  for (const p of policies) {
    const skip = (reason: string) => report.skipped.push({ policy: p.id, reason });
    if (p.repository_locked) {
      skip('the repository is encrypted and has no passphrase');
      continue;
    }
    const all = clientsOf.get(p.id) ?? [];
    const free = all.filter((c) => !busyPairs.has(`${c.id}:${p.repository_id}`));
    if (!all.length) {
      skip('no enabled client');
      continue;
    }
    if (free.length < all.length) skip(`clients still busy on the repository, skipped this run: ${all.filter((c) => !free.includes(c)).map((c) => c.hostname).join(', ')}`);
    if (!free.length) continue;
    const plan = planLaunch({
      policy: { id: p.id, type: p.type, catalogEnabled: !!p.catalog_enabled, pruneEnabled: !!p.prune_enabled, hasRetention: !!p.retention },
      repository: { id: p.repository_id, ready: !!p.repository_ready },
      relayId: p.relay_id,
      clients: free.map((c) => ({ id: c.id, hostname: c.hostname, ready: !!c.ready, markAsToUpdate: !!c.mark_as_to_update })),
      settings: planSettings(settings),
      launchType: 'scheduled',
      now,
    });
    deduplicateArchiveNames(plan, taken.get(p.repository_id) ?? taken.set(p.repository_id, new Set()).get(p.repository_id)!);
    for (const c of free) busyPairs.add(`${c.id}:${p.repository_id}`);
    chunk.push({ policy: p.id, relay: p.relay_id, plan });
    chunkJobs += plan.length;
    if (chunkJobs >= CHUNK_JOBS) await flush();
  }
  await flush();
  return due.length;
}
