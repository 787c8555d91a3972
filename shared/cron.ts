/**
 * Crontab parsing and run times, through croner (no hand-written cron parser).
 * 5-field patterns (and the @hourly/@daily/... nicknames) evaluated in an IANA
 * timezone. croner treats a fixed-time job that falls in a DST gap as due at the
 * first valid minute after the gap and runs it once when an hour repeats, so a
 * DST change neither skips nor doubles a nightly backup. `fixedTimeRule: 'no-wildcard'`
 * (as Vixie cron): minutes and hours without `*` or a step are fixed times, lists and
 * ranges included (`0 2,14 * * *`); only patterns with `*` or a step in the minute or hour
 * are interval jobs, which run by elapsed time (skip the missing hour, run in both repeated ones).
 */
import { Cron } from 'croner';

function cron(pattern: string, timezone: string): Cron {
  return new Cron(pattern, { timezone, paused: true, mode: '5-part', fixedTimeRule: 'no-wildcard' });
}

/** A reason when the timezone is not an IANA name this runtime knows, else null. */
export function timezoneError(timezone: string): string | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return null;
  } catch {
    return `Unknown timezone "${timezone}"; use an IANA name such as Europe/Paris or UTC.`;
  }
}

/** A reason when the pattern is not a valid 5-field crontab that ever runs, else null. */
export function crontabError(pattern: string): string | null {
  if (pattern.length > 200) return 'At most 200 characters.';
  const trimmed = pattern.trim();
  if (!trimmed.startsWith('@') && trimmed.split(/\s+/).length !== 5) {
    return 'Must have exactly 5 fields: minute hour day-of-month month day-of-week.';
  }
  try {
    const job = cron(trimmed, 'UTC');
    if (!job.nextRun(new Date())) return 'This schedule never runs.';
    return null;
  } catch (e) {
    return String((e as Error).message).replace(/^CronPattern:\s*/, '');
  }
}

/** The next run strictly after `after`, or null when there is none. */
export function nextRun(pattern: string, timezone: string, after: Date): Date | null {
  return cron(pattern.trim(), timezone).nextRun(after);
}

/** Runs in (from, to), at most `limit` of them. */
export function runsBetween(pattern: string, timezone: string, from: Date, to: Date, limit: number): Date[] {
  const job = cron(pattern.trim(), timezone);
  const out: Date[] = [];
  let cursor: Date | null = from;
  while (out.length < limit) {
    cursor = job.nextRun(cursor);
    if (!cursor || cursor.getTime() >= to.getTime()) break;
    out.push(cursor);
  }
  return out;
}
