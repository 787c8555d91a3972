import { describe, expect, it } from 'vitest';
import { runsBetween } from '../../shared/cron';
import { isDue, jitterMs, policyNextRun } from './next-run';

const iso = (d: Date | null) => d?.toISOString() ?? null;
const runs = (pattern: string, tz: string, from: string, to: string) => runsBetween(pattern, tz, new Date(from), new Date(to), 50).map((d) => d.toISOString());

describe('next run of a policy', () => {
  it('is the first crontab time strictly after the moment, in the schedule timezone', () => {
    expect(iso(policyNextRun('0 2 * * *', 'Europe/Paris', new Date('2026-06-10T00:00:00Z'), 0))).toBe('2026-06-11T00:00:00.000Z');
    expect(iso(policyNextRun('0 2 * * *', 'Europe/Paris', new Date('2026-06-11T00:00:00Z'), 0))).toBe('2026-06-12T00:00:00.000Z');
    expect(iso(policyNextRun('0 2 * * *', 'UTC', new Date('2026-06-10T01:59:59Z'), 0))).toBe('2026-06-10T02:00:00.000Z');
  });

  it('spring forward: a time in the missing hour runs once, at the first valid minute after the gap', () => {
    // Europe/Paris 2026-03-29: 02:00 CET → 03:00 CEST; 02:30 does not exist that day.
    expect(runs('30 2 * * *', 'Europe/Paris', '2026-03-27T12:00:00Z', '2026-03-31T12:00:00Z')).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z', // 03:00 CEST
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
    // America/New_York 2026-03-08: 02:00 EST → 03:00 EDT.
    expect(runs('30 2 * * *', 'America/New_York', '2026-03-07T12:00:00Z', '2026-03-10T12:00:00Z')).toEqual([
      '2026-03-08T07:00:00.000Z', // 03:00 EDT
      '2026-03-09T06:30:00.000Z',
      '2026-03-10T06:30:00.000Z',
    ]);
  });

  it('fall back: a time in the repeated hour runs once, not twice', () => {
    // Europe/Paris 2026-10-25: 03:00 CEST → 02:00 CET; 02:30 happens twice, the job runs once.
    expect(runs('30 2 * * *', 'Europe/Paris', '2026-10-23T12:00:00Z', '2026-10-27T12:00:00Z')).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
      '2026-10-27T01:30:00.000Z',
    ]);
    // America/New_York 2026-11-01: 02:00 EDT → 01:00 EST; 01:30 happens twice.
    expect(runs('30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z', '2026-11-03T12:00:00Z')).toEqual([
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
      '2026-11-03T06:30:00.000Z',
    ]);
  });

  it('a list of hours is fixed-time too: neither skipped nor doubled across DST', () => {
    expect(runs('0 2,14 * * *', 'Europe/Paris', '2026-03-28T12:00:00Z', '2026-03-30T03:00:00Z')).toEqual([
      '2026-03-28T13:00:00.000Z',
      '2026-03-29T01:00:00.000Z', // 02:00 does not exist: 03:00 CEST
      '2026-03-29T12:00:00.000Z',
      '2026-03-30T00:00:00.000Z',
    ]);
    expect(runs('0 2,14 * * *', 'Europe/Paris', '2026-10-24T11:00:00Z', '2026-10-26T03:00:00Z')).toEqual([
      '2026-10-24T12:00:00.000Z',
      '2026-10-25T00:00:00.000Z', // the first 02:00 only
      '2026-10-25T13:00:00.000Z',
      '2026-10-26T01:00:00.000Z',
    ]);
  });

  it('Feb 29 and month ends', () => {
    expect(iso(policyNextRun('0 0 29 2 *', 'UTC', new Date('2026-01-01T00:00:00Z'), 0))).toBe('2028-02-29T00:00:00.000Z');
    expect(iso(policyNextRun('0 12 29 2 *', 'Europe/Paris', new Date('2028-02-28T00:00:00Z'), 0))).toBe('2028-02-29T11:00:00.000Z');
    // The 31st skips months that have no 31st.
    expect(iso(policyNextRun('0 0 31 * *', 'UTC', new Date('2026-04-01T00:00:00Z'), 0))).toBe('2026-05-31T00:00:00.000Z');
    expect(runs('0 0 31 * *', 'UTC', '2026-01-01T00:00:00Z', '2026-08-01T00:00:00Z')).toEqual([
      '2026-01-31T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
      '2026-05-31T00:00:00.000Z',
      '2026-07-31T00:00:00.000Z',
    ]);
    // Year end in a timezone ahead of UTC.
    expect(iso(policyNextRun('0 0 1 1 *', 'Pacific/Auckland', new Date('2026-12-31T00:00:00Z'), 0))).toBe('2026-12-31T11:00:00.000Z');
  });

  it('catches up once: computed from now, not from the missed run', () => {
    const missed = new Date('2026-06-01T02:00:00Z');
    const now = new Date('2026-06-04T09:17:00Z'); // three days of hourly runs missed
    expect(isDue(missed, now)).toBe(true);
    const next = policyNextRun('0 * * * *', 'UTC', now, 0)!;
    expect(next.toISOString()).toBe('2026-06-04T10:00:00.000Z');
    expect(isDue(next, now)).toBe(false);
  });

  it('adds a jitter of 0 to jitter_seconds whole seconds', () => {
    const after = new Date('2026-06-10T00:00:00Z');
    expect(iso(policyNextRun('0 2 * * *', 'UTC', after, 600, () => 0))).toBe('2026-06-10T02:00:00.000Z');
    expect(iso(policyNextRun('0 2 * * *', 'UTC', after, 600, () => 0.9999999))).toBe('2026-06-10T02:10:00.000Z');
    expect(jitterMs(600, () => 0.5)).toBe(300_000);
    expect(jitterMs(0, () => 0.9)).toBe(0);
  });

  it('is never due without a next run, due exactly at it', () => {
    expect(isDue(null, new Date())).toBe(false);
    expect(isDue(new Date('2026-06-10T02:00:00Z'), new Date('2026-06-10T02:00:00Z'))).toBe(true);
    expect(isDue(new Date('2026-06-10T02:00:01Z'), new Date('2026-06-10T02:00:00Z'))).toBe(false);
  });
});
