/**
 * When a policy runs next: the first crontab time strictly after a moment, in the schedule's
 * own timezone (croner: a time in a DST gap runs at the first valid minute after it, a
 * repeated hour runs once), plus the policy's jitter.
 *
 * Catch-up: the next run is always computed from *now*, never from the missed run, so a
 * policy that missed any number of runs during an outage runs once and is then back on
 * its schedule.
 *
 * Jitter: a random 0..jitter_seconds (whole seconds) added to each run, so policies of one
 * schedule do not all start in the same second. It is drawn anew for every run.
 */
import { nextRun } from '../../shared/cron';

export function jitterMs(jitterSeconds: number, random: () => number = Math.random): number {
  if (!(jitterSeconds > 0)) return 0;
  return Math.min(jitterSeconds, Math.floor(random() * (jitterSeconds + 1))) * 1000;
}

/** The next run of a policy after `after` (null when the crontab never runs again). */
export function policyNextRun(crontab: string, timezone: string, after: Date, jitterSeconds: number, random?: () => number): Date | null {
  const base = nextRun(crontab, timezone, after);
  return base === null ? null : new Date(base.getTime() + jitterMs(jitterSeconds, random));
}

/**
 * Whether a policy is due at `now`: it has a next run and that time has come. A policy whose
 * next_run is null (its crontab never runs again) is never due.
 */
export function isDue(nextRunAt: Date | null, now: Date): boolean {
  return nextRunAt !== null && nextRunAt.getTime() <= now.getTime();
}
