/**
 * Which pending jobs of a relay start in a dispatch round, and why the others wait: a pure
 * decision (waiting.test.ts); TaskManager's Dispatcher loads its input from D1 and carries
 * it out.
 *
 * Order: oldest first (`created`); at the same `created`, manual and relaunch (an operator
 * asked for it) before scheduled before dependency (the rest of a chain); then by id. The
 * jobs of one launch share their `created`, so a launch's backups go before the catalogs
 * and prunes of the same launch, and a chain's later jobs (created with their launch) go
 * before anything launched after it.
 *
 * Blocking: at most one starting or running job per client and one per repository, at
 * most `max_concurrent_jobs` on the relay and `max_concurrent_jobs_global` on all relays.
 * A job held back by its client or repository does not hold up the jobs behind it; once a
 * limit is reached nothing more starts in the round.
 *
 * Every job of the queue that does not start gets one reason, the first that applies, in
 * this order: the relay is not connected, its client is busy, its repository is busy, the
 * relay's limit, the global limit.
 */
import type { JobType, LaunchType } from '../../shared/domain';

/** Rank of a launch type among jobs of the same age (lower first). */
export const LAUNCH_RANK: Record<LaunchType, number> = { manual: 0, relaunch: 0, scheduled: 1, dependency: 2 };

/** LAUNCH_RANK as an SQL expression over `column` (built from the constants above, never from input). */
export function launchRankSql(column: string): string {
  return `CASE ${column} ${Object.entries(LAUNCH_RANK)
    .map(([type, rank]) => `WHEN '${type}' THEN ${rank}`)
    .join(' ')} ELSE 9 END`;
}

/** The dispatch order of pending jobs, for sorting in memory (the same order as the SQL). */
export function dispatchOrder(a: { id: number; created: number; launchType: LaunchType }, b: { id: number; created: number; launchType: LaunchType }): number {
  return a.created - b.created || LAUNCH_RANK[a.launchType] - LAUNCH_RANK[b.launchType] || a.id - b.id;
}

const jobsWord = (n: number) => `${n} running job${n === 1 ? '' : 's'}`;

/** The texts of a pending job's `explanation` (and of the one output line per change). */
export const waitingReason = {
  notConnected: (relayName: string) => `waiting: relay ${relayName} is not connected`,
  clientBusy: (jobId: number) => `waiting: client busy with job ${jobId}`,
  repositoryBusy: (jobId: number) => `waiting: repository busy with job ${jobId}`,
  relayLimit: (limit: number) => `waiting: relay limit of ${jobsWord(limit)} reached`,
  globalLimit: (limit: number) => `waiting: global limit of ${jobsWord(limit)} reached`,
};

/** The start of every global-limit reason: other relays find the jobs that wait on it by it. */
export const GLOBAL_LIMIT_PREFIX = 'waiting: global limit';

/** Why a `waiting` job waits: the jobs it depends on that have not succeeded yet (at most three named). */
export function dependencyReason(deps: { id: number; type: JobType }[]): string | null {
  if (!deps.length) return null;
  const named = deps.slice(0, 3).map((d) => `${d.id} (${d.type})`);
  if (deps.length === 1) return `waiting for job ${named[0]}`;
  const more = deps.length - named.length;
  return more ? `waiting for jobs ${named.join(', ')} and ${more} more` : `waiting for jobs ${named.slice(0, -1).join(', ')} and ${named.at(-1)}`;
}

export interface QueuedJob {
  id: number;
  clientId: number | null;
  repositoryId: number | null;
  /** The reason stored now (null once it has started or if it never waited). */
  explanation: string | null;
}

export interface ActiveJob {
  id: number;
  relayId: number | null;
  clientId: number | null;
  repositoryId: number | null;
}

export interface DispatchInput {
  relay: { id: number; name: string; connected: boolean };
  limits: { relay: number; global: number };
  /** Pending jobs of the relay, in dispatch order. */
  queue: QueuedJob[];
  /** Every starting or running job, on all relays. */
  active: ActiveJob[];
}

export interface DispatchPlan {
  /** To offer, in order. */
  offers: QueuedJob[];
  /** Every queued job not offered, with its reason. */
  waiting: Map<number, string>;
  /** The jobs whose reason differs from the stored one. */
  changed: { id: number; reason: string }[];
  /**
   * Some job waits on something this relay's own events will not announce (the global
   * limit, or a job of another relay): the relay looks again after a while by itself.
   */
  recheck: boolean;
}

export function planDispatch(input: DispatchInput): DispatchPlan {
  const { relay, limits } = input;
  const busyClients = new Map<number, ActiveJob>();
  const busyRepositories = new Map<number, ActiveJob>();
  const active = [...input.active].sort((a, b) => a.id - b.id);
  for (const a of active) {
    if (a.clientId !== null && !busyClients.has(a.clientId)) busyClients.set(a.clientId, a);
    if (a.repositoryId !== null && !busyRepositories.has(a.repositoryId)) busyRepositories.set(a.repositoryId, a);
  }
  let relayRoom = limits.relay - active.filter((a) => a.relayId === relay.id).length;
  let globalRoom = limits.global - active.length;
  const offers: QueuedJob[] = [];
  const waiting = new Map<number, string>();
  let recheck = false;
  for (const job of input.queue) {
    const client = job.clientId === null ? undefined : busyClients.get(job.clientId);
    const repository = job.repositoryId === null ? undefined : busyRepositories.get(job.repositoryId);
    let reason: string | null = null;
    if (!relay.connected) reason = waitingReason.notConnected(relay.name);
    else if (client) reason = waitingReason.clientBusy(client.id);
    else if (repository) reason = waitingReason.repositoryBusy(repository.id);
    else if (relayRoom <= 0) reason = waitingReason.relayLimit(limits.relay);
    else if (globalRoom <= 0) reason = waitingReason.globalLimit(limits.global);
    if (reason !== null) {
      waiting.set(job.id, reason);
      // Held by the global limit or by a job of another relay: no event of this relay frees it.
      const blocker = client ?? repository;
      if (relay.connected && (blocker ? blocker.relayId !== relay.id : relayRoom > 0)) recheck = true;
      continue;
    }
    offers.push(job);
    relayRoom--;
    globalRoom--;
    // Within the round, an offered job takes its client and repository.
    const taken: ActiveJob = { id: job.id, relayId: relay.id, clientId: job.clientId, repositoryId: job.repositoryId };
    if (job.clientId !== null) busyClients.set(job.clientId, taken);
    if (job.repositoryId !== null) busyRepositories.set(job.repositoryId, taken);
  }
  const changed = input.queue.flatMap((j) => {
    const reason = waiting.get(j.id);
    return reason !== undefined && reason !== j.explanation ? [{ id: j.id, reason }] : [];
  });
  return { offers, waiting, changed, recheck };
}
