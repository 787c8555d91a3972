/**
 * Everything the dashboard shows, read from the public API in one round of parallel
 * requests (the page polls it). Counts come from the lists' `count` with page_size=1, so
 * they cost one index probe each, and every card links to the same list, filtered.
 */
import { api, qs } from '../../lib/api';
import type { Job, Page } from '../../lib/types';
import { Lookup } from './lookup';
import type { DashClient, DashPolicy, DashSchedule, StatsDay } from './types';

/** Jobs shown with live progress; the card's count says how many run in all. */
export const RUNNING_SHOWN = 8;
export const OVERDUE_SHOWN = 10;
export const UPCOMING_SHOWN = 10;
/**
 * The API has no time filter on jobs, so "failed in the last 24 h" is counted among the
 * newest failed jobs; when all of them are that recent the card says "50+".
 */
export const FAILED_SCAN = 50;
const DAY_MS = 86_400_000;

export const RUNNING_STATUSES = 'starting,running';
export const FAILED_STATUSES = 'failed,error,lost';

export interface Counts {
  clients: number;
  policies: number;
  running: number;
  failedRecent: number;
  /** More failed jobs than FAILED_SCAN in the last 24 h. */
  failedRecentCapped: boolean;
  failedTotal: number;
  overdue: number;
}

export interface UpcomingRun {
  policy: DashPolicy;
  schedule: DashSchedule | null;
  at: string;
  /** A later run of the policy: its jitter (0..jitter_seconds) is drawn when it becomes the next one. */
  later: boolean;
}

/** What a fresh install still lacks; only read while there are no clients or no policies. */
export interface SetupState {
  connectedRelays: number;
  repositories: number;
  schedules: number;
}

export interface DashboardData {
  counts: Counts;
  overdue: DashClient[];
  running: Job[];
  clientNames: Map<number, string>;
  policyNames: Map<number, string>;
  stats: StatsDay[];
  upcoming: UpcomingRun[];
  setup: SetupState | null;
}

const clients = new Lookup<DashClient>((id) => `/clients/${id}`);
const policies = new Lookup<DashPolicy>((id) => `/policies/${id}`);
// A schedule's next_runs move on with time: re-read a minute after.
const schedules = new Lookup<DashSchedule>((id) => `/schedules/${id}`, 60_000);

const list = <T>(path: string, params: Record<string, string | number>) => api<Page<T>>('GET', path + qs(params));

export async function loadDashboard(now = Date.now()): Promise<DashboardData> {
  const [clientPage, policyPage, runningPage, failedPage, overduePage, stats, nextPage] = await Promise.all([
    list<DashClient>('/clients', { page_size: 1 }),
    list<DashPolicy>('/policies', { page_size: 1 }),
    list<Job>('/jobs', { status: RUNNING_STATUSES, page_size: RUNNING_SHOWN }),
    list<Job>('/jobs', { status: FAILED_STATUSES, page_size: FAILED_SCAN }),
    list<DashClient>('/clients', { overdue: 'true', page_size: OVERDUE_SHOWN, order_by: 'hostname' }),
    api<{ days: StatsDay[] }>('GET', '/stats'),
    list<DashPolicy>('/policies', { enabled: 'true', order_by: 'next_run', page_size: UPCOMING_SHOWN }),
  ]);
  const fresh = clientPage.count === 0 || policyPage.count === 0;
  const [clientMap, policyMap, scheduleMap, setup] = await Promise.all([
    clients.many(runningPage.results.map((j) => j.client)),
    policies.many(runningPage.results.map((j) => j.policy)),
    schedules.many(nextPage.results.map((p) => p.schedule)),
    fresh ? loadSetup() : Promise.resolve(null),
  ]);
  const since = now - DAY_MS;
  const recent = failedPage.results.filter((j) => new Date(j.finished ?? j.modified).getTime() >= since).length;
  return {
    counts: {
      clients: clientPage.count,
      policies: policyPage.count,
      running: runningPage.count,
      failedRecent: recent,
      failedRecentCapped: recent === FAILED_SCAN,
      failedTotal: failedPage.count,
      overdue: overduePage.count,
    },
    overdue: overduePage.results,
    running: runningPage.results,
    clientNames: names(clientMap, (c) => c.hostname),
    policyNames: names(policyMap, (p) => p.name),
    stats: stats.days,
    upcoming: upcomingRuns(nextPage.results, scheduleMap, now),
    setup,
  };
}

async function loadSetup(): Promise<SetupState> {
  const [relays, repositories, schedules] = await Promise.all([
    list('/relays', { connected: 'true', page_size: 1 }),
    list('/repositories', { page_size: 1 }),
    list('/schedules', { page_size: 1 }),
  ]);
  return { connectedRelays: relays.count, repositories: repositories.count, schedules: schedules.count };
}

function names<T>(map: Map<number, T | null>, name: (v: T) => string): Map<number, string> {
  const out = new Map<number, string>();
  for (const [id, v] of map) if (v) out.set(id, name(v));
  return out;
}

/**
 * The next runs of the policies that run soonest (by next_run, jitter included). With
 * fewer policies than rows, a policy's later runs fill in from its schedule's next times:
 * every policy not listed runs after the last one listed, so none of them can come first.
 * A disabled schedule runs nothing, so its policies are left out.
 */
export function upcomingRuns(list: DashPolicy[], schedules: Map<number, DashSchedule | null>, now: number, limit = UPCOMING_SHOWN): UpcomingRun[] {
  const runs: UpcomingRun[] = [];
  for (const policy of list) {
    if (!policy.next_run) continue;
    const schedule = schedules.get(policy.schedule) ?? null;
    if (schedule && !schedule.enabled) continue;
    runs.push({ policy, schedule, at: policy.next_run, later: false });
    // Later crontab times; the current run already has its jitter, so only times after it.
    for (const at of schedule?.next_runs ?? []) {
      if (at > policy.next_run) runs.push({ policy, schedule, at, later: true });
    }
  }
  // A next_run in the past is a run due now (the scheduler takes it at its next tick).
  return runs
    .filter((r) => !r.later || new Date(r.at).getTime() > now)
    .sort((a, b) => a.at.localeCompare(b.at) || a.policy.id - b.policy.id)
    .slice(0, limit);
}
