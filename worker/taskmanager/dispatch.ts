/**
 * A dispatch round of one relay's TaskManager: repairs what a lost lease row left behind,
 * decides what starts (waiting.ts), tells the jobs that wait why, offers the others, and
 * wakes other relays when it freed room under the global limit. Also the edge's guard on
 * a policy's maximum duration. The TaskManager owns the socket, storage and alarm; this
 * module holds the decisions it makes with them.
 */
import type { EdgeMessage } from '../../shared/protocol';
import { openDb } from '../db/client';
import { buildJobSpec } from '../jobs/spec';
import { backToPending, endJob, loadDispatchState, markStarting, relaysWaitingOnGlobal, saveWaitingReasons, type ActiveRow } from './jobs-d1';
import { OFFER_MS, OVERRUN_GRACE_MS, RECHECK_MS, type Leases } from './leases';
import { planDispatch, type QueuedJob } from './waiting';

/** At most this many other relays are poked when a job end frees room under the global limit. */
export const MAX_GLOBAL_POKES = 4;
/** A round that lost a race (a job taken, a count changed under it) plans again, this often at most. */
const ROUNDS = 3;

/** What the TaskManager lends a dispatch round. */
export interface DispatchHost {
  env: Env;
  leases: Leases;
  relayId(): number | null;
  /** The relay's current socket, if it is connected. */
  socket(): WebSocket | null;
  send(ws: WebSocket, msg: EdgeMessage): void;
  /** Appends one `system` line to a job's output (and tells its watchers). */
  systemLine(jobId: number, text: string): void;
  /** The public origin for links in specs. */
  origin(): string;
  /** Asks another relay's TaskManager to dispatch (not awaited by the round). */
  poke(relayId: number): void;
}

const secs = (ms: number) => `${Math.round(ms / 1000)} s`;

/** The explanations of the max-duration guard. */
export const overrunText = {
  asked: (maxSeconds: number) => `The job ran past its maximum duration of ${maxSeconds} s and ${secs(OVERRUN_GRACE_MS)} of grace; the orchestrator asked the relay to stop it.`,
  stopped: (maxSeconds: number) => `Stopped by the orchestrator: the job ran past its maximum duration of ${maxSeconds} s.`,
  gaveUp: (maxSeconds: number) =>
    `The job ran past its maximum duration of ${maxSeconds} s and did not stop within ${secs(OVERRUN_GRACE_MS)} of being asked; marked failed (the relay may still be running it).`,
};

/**
 * One dispatch round. `freed`: how many starting or running jobs of this relay ended just
 * before (they may have freed room under the global limit for other relays).
 */
export async function dispatchRound(host: DispatchHost, freed = 0): Promise<void> {
  const relayId = host.relayId();
  if (relayId === null) return;
  const db = host.env.DB;
  const ws = host.socket();
  let recheck: number | null = null;
  let globalRoom = 0;
  let saturated = false;
  for (let round = 0; round < ROUNDS; round++) {
    const now = Date.now();
    const state = await loadDispatchState(db, relayId);
    const sweep = await sweepOrphans(host, relayId, state.active, now);
    if (sweep.next !== null) recheck = Math.min(recheck ?? Infinity, sweep.next);
    if (sweep.moved && round < ROUNDS - 1) continue;
    const plan = planDispatch({ relay: { id: relayId, name: state.relayName, connected: ws !== null }, limits: state.limits, queue: state.queue, active: state.active });
    for (const { id, reason } of await saveWaitingReasons(db, plan.changed)) host.systemLine(id, reason);
    if (plan.recheck) recheck = Math.min(recheck ?? Infinity, now + RECHECK_MS);
    const { started, raced } = ws ? await offerJobs(host, ws, relayId, state.limits, plan.offers) : { started: 0, raced: false };
    globalRoom = state.limits.global - state.active.length - started;
    saturated = state.active.length + freed >= state.limits.global;
    if (!raced) break;
  }
  host.leases.setRecheck(recheck);
  // Room under the global limit that this relay does not use goes to the relays that
  // waited for it, longest waiting first; bounded, and only when the limit was full.
  if (freed > 0 && saturated && globalRoom > 0) {
    for (const other of await relaysWaitingOnGlobal(db, relayId, Math.min(MAX_GLOBAL_POKES, globalRoom))) host.poke(other);
  }
}

/**
 * Offers the planned jobs. `started`: how many left the queue; `raced`: one could not be
 * taken (D1 changed since the plan was made), so the round plans again.
 */
async function offerJobs(host: DispatchHost, ws: WebSocket, relayId: number, limits: { relay: number; global: number }, jobs: QueuedJob[]): Promise<{ started: number; raced: boolean }> {
  const db = host.env.DB;
  let started = 0;
  for (const job of jobs) {
    if (!(await markStarting(db, job.id, relayId, limits))) return { started, raced: true };
    started++;
    let spec;
    try {
      spec = await buildJobSpec(openDb(db), host.env, job.id, host.origin());
    } catch (e) {
      await endJob(db, job.id, 'error', `Could not build the job: ${(e as Error).message}`);
      continue;
    }
    // The lease row is written before the offer is sent, with no await between them: an
    // offer never leaves without a row that times it out.
    host.leases.offer(job.id, spec.attempt, spec.maxDurationSeconds, Date.now());
    host.send(ws, { type: 'offer', spec });
  }
  return { started, raced: false };
}

/**
 * Jobs of this relay that D1 says are starting or running but this object holds no lease
 * for: a lease row lost (the object reset between D1's write and its own, or its storage
 * gone). Without this they would stay so forever, since only a lease's timer ends them.
 *  - `starting` with no row, for longer than an offer may take: back to `pending`. It
 *    never ran: the relay runs a job only on `lease`, which the edge sends only after D1
 *    says `running`. A younger one may be a round between markStarting and its row (the
 *    object awaits D1 in between): it is looked at again when it is OFFER_MS old.
 *  - `running` with no row: leased again from now (Leases.adopt), so the relay keeps it by
 *    its heartbeats if it still runs it, or it expires into `lost` the usual way.
 * Returns whether jobs went back to the queue and when to look again.
 */
async function sweepOrphans(host: DispatchHost, relayId: number, active: ActiveRow[], now: number): Promise<{ moved: boolean; next: number | null }> {
  let moved = false;
  let next: number | null = null;
  for (const job of active) {
    if (job.relayId !== relayId || host.leases.get(job.id)) continue;
    if (job.status === 'running') {
      host.leases.adopt(job.id, job.attempt, job.maxSeconds, job.started ?? now, now);
    } else if (job.modified + OFFER_MS > now) {
      next = Math.min(next ?? Infinity, job.modified + OFFER_MS);
    } else {
      await backToPending(host.env.DB, job.id);
      console.warn(JSON.stringify({ level: 'warn', msg: 'job starting without a lease: back to the queue', relay: relayId, job: job.id }));
      moved = true;
    }
  }
  return { moved, next };
}

/**
 * The edge's guard on a policy's maximum duration (the relay enforces it first): a job
 * running past it and a grace is sent `cancel`; one still running a grace after that is
 * failed. Returns how many jobs it ended.
 */
export async function enforceMaxDuration(host: DispatchHost, now: number): Promise<number> {
  let ended = 0;
  for (const lease of host.leases.overrun(now)) {
    const max = lease.maxSeconds ?? 0;
    if (lease.state === 'leased') {
      const ws = host.socket();
      if (ws) host.send(ws, { type: 'cancel', jobId: lease.jobId, attempt: lease.attempt });
      host.systemLine(lease.jobId, overrunText.asked(max));
      host.leases.stopping(lease.jobId, now);
    } else {
      await endJob(host.env.DB, lease.jobId, 'failed', overrunText.gaveUp(max));
      host.leases.remove(lease.jobId);
      ended++;
    }
  }
  return ended;
}
