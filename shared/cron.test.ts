import { describe, expect, it } from 'vitest';
import { crontabError, nextRun, runsBetween, timezoneError } from './cron';

describe('cron', () => {
  it('validates 5-field crontabs with reasons', () => {
    expect(crontabError('0 2 * * *')).toBeNull();
    expect(crontabError('*/15 * * * 1-5')).toBeNull();
    expect(crontabError('@daily')).toBeNull();
    expect(crontabError('* * * *')).toMatch(/5 fields/);
    expect(crontabError('0 0 0 * * *')).toMatch(/5 fields/);
    expect(crontabError('61 * * * *')).toMatch(/minute/i);
    expect(crontabError('0 0 31 2 *')).toMatch(/never/);
    expect(crontabError('rm -rf /')).not.toBeNull();
  });
  it('validates IANA timezones', () => {
    expect(timezoneError('Europe/Paris')).toBeNull();
    expect(timezoneError('UTC')).toBeNull();
    expect(timezoneError('Mars/Base')).toMatch(/Unknown timezone/);
  });
  it('evaluates in the schedule timezone across DST without skipping or doubling', () => {
    // Europe/Paris springs forward at 02:00 on 2026-03-29: the 02:30 run happens once, right after the gap.
    const spring = runsBetween('30 2 * * *', 'Europe/Paris', new Date('2026-03-27T12:00:00Z'), new Date('2026-03-31T12:00:00Z'), 10);
    expect(spring.map((d) => d.toISOString())).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
    // Falls back at 03:00 on 2026-10-25: 02:30 happens twice in wall time but runs once.
    const fall = runsBetween('30 2 * * *', 'Europe/Paris', new Date('2026-10-24T12:00:00Z'), new Date('2026-10-26T12:00:00Z'), 10);
    expect(fall).toHaveLength(2);
    expect(nextRun('0 2 * * *', 'UTC', new Date('2026-01-01T02:00:00Z'))?.toISOString()).toBe('2026-01-02T02:00:00.000Z');
  });
});
