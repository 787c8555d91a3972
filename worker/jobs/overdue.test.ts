import { describe, expect, it } from 'vitest';
import { clientBackupState, DEFAULT_OVERDUE_HOURS, effectiveIntervalHours, isOverdue, overdueHoursSetting, type PolicyMembership } from './overdue';

const H = 3_600_000;
const NOW = new Date('2026-06-15T12:00:00Z');
const ago = (hours: number, ms = 0) => new Date(NOW.getTime() - hours * H - ms);
const OLD = new Date('2025-01-01T00:00:00Z');
const client = { enabled: true, created: OLD };

function membership(over: Partial<PolicyMembership> = {}): PolicyMembership {
  return { policy: 1, policyName: 'web', policyEnabled: true, scheduleEnabled: true, expectedIntervalHours: null, policyCreated: OLD, lastSuccess: ago(1), ...over };
}

describe('isOverdue', () => {
  it('is strict at the boundary: exactly the interval is not overdue, a millisecond more is', () => {
    expect(isOverdue(ago(26), OLD, 26, NOW)).toBe(false);
    expect(isOverdue(ago(26, 1), OLD, 26, NOW)).toBe(true);
    expect(isOverdue(ago(25, -1), OLD, 26, NOW)).toBe(false);
  });
  it('with no success, counts from `since`', () => {
    expect(isOverdue(null, ago(26), 26, NOW)).toBe(false);
    expect(isOverdue(null, ago(26, 1), 26, NOW)).toBe(true);
    // A success newer than `since` wins, whatever `since` says.
    expect(isOverdue(ago(2), ago(1000), 26, NOW)).toBe(false);
  });
});

describe('overdue interval', () => {
  it("a policy's own interval overrides the setting", () => {
    expect(effectiveIntervalHours(null, 26)).toBe(26);
    expect(effectiveIntervalHours(170, 26)).toBe(170);
    expect(effectiveIntervalHours(1, 26)).toBe(1);
  });
  it('the setting falls back to 26 h when unset or not a positive whole number', () => {
    expect(DEFAULT_OVERDUE_HOURS).toBe(26);
    expect(overdueHoursSetting(48)).toBe(48);
    for (const bad of [null, undefined, 0, -5, 1.5, '48', true, Number.NaN]) expect(overdueHoursSetting(bad), String(bad)).toBe(26);
  });
});

describe('clientBackupState', () => {
  it('weekly policy (override) is fine at 3 days while the daily one (setting) is overdue', () => {
    const state = clientBackupState(
      client,
      [
        membership({ policy: 7, policyName: 'weekly', expectedIntervalHours: 24 * 8, lastSuccess: ago(72) }),
        membership({ policy: 3, policyName: 'daily', lastSuccess: ago(30) }),
      ],
      26,
      NOW,
    );
    expect(state).toEqual({
      overdue: true,
      backups: [
        { policy: 3, policyName: 'daily', lastSuccess: ago(30), expectedIntervalHours: 26, overdue: true },
        { policy: 7, policyName: 'weekly', lastSuccess: ago(72), expectedIntervalHours: 192, overdue: false },
      ],
    });
    // The same daily backup under a longer setting is not overdue.
    expect(clientBackupState(client, [membership({ lastSuccess: ago(30) })], 48, NOW).overdue).toBe(false);
    // An override shorter than the setting makes a 3-hour-old backup overdue.
    expect(clientBackupState(client, [membership({ lastSuccess: ago(3), expectedIntervalHours: 2 })], 26, NOW).overdue).toBe(true);
  });

  it('a disabled policy or a disabled schedule is ignored (not listed, never overdue)', () => {
    const stale = ago(1000);
    const state = clientBackupState(
      client,
      [membership({ policy: 1, policyEnabled: false, lastSuccess: stale }), membership({ policy: 2, scheduleEnabled: false, lastSuccess: null }), membership({ policy: 3, lastSuccess: ago(1) })],
      26,
      NOW,
    );
    expect(state.backups.map((b) => b.policy)).toEqual([3]);
    expect(state.overdue).toBe(false);
    expect(clientBackupState(client, [membership({ policyEnabled: false, lastSuccess: stale })], 26, NOW)).toEqual({ backups: [], overdue: false });
  });

  it('never backed up: a new policy is not overdue until it has existed longer than the interval', () => {
    const fresh = clientBackupState(client, [membership({ lastSuccess: null, policyCreated: ago(25) })], 26, NOW);
    expect(fresh).toEqual({ overdue: false, backups: [{ policy: 1, policyName: 'web', lastSuccess: null, expectedIntervalHours: 26, overdue: false }] });
    expect(clientBackupState(client, [membership({ lastSuccess: null, policyCreated: ago(26) })], 26, NOW).overdue).toBe(false);
    expect(clientBackupState(client, [membership({ lastSuccess: null, policyCreated: ago(26, 1) })], 26, NOW).overdue).toBe(true);
    // An old policy that never backed this client up is overdue.
    expect(clientBackupState(client, [membership({ lastSuccess: null, policyCreated: OLD })], 26, NOW).overdue).toBe(true);
    // ...unless the client itself is newer than the interval.
    expect(clientBackupState({ enabled: true, created: ago(5) }, [membership({ lastSuccess: null, policyCreated: OLD })], 26, NOW).overdue).toBe(false);
    // The policy's own interval applies to the grace period too.
    expect(clientBackupState(client, [membership({ lastSuccess: null, policyCreated: ago(100), expectedIntervalHours: 24 * 7 })], 26, NOW).overdue).toBe(false);
  });

  it('a disabled client is never overdue but still shows its last successes', () => {
    const state = clientBackupState({ enabled: false, created: OLD }, [membership({ lastSuccess: ago(500) }), membership({ policy: 2, lastSuccess: null })], 26, NOW);
    expect(state.overdue).toBe(false);
    expect(state.backups.map((b) => [b.policy, b.lastSuccess?.toISOString() ?? null, b.overdue])).toEqual([
      [1, ago(500).toISOString(), false],
      [2, null, false],
    ]);
  });

  it('a client on no policy is not overdue', () => {
    expect(clientBackupState(client, [], 26, NOW)).toEqual({ backups: [], overdue: false });
  });
});
