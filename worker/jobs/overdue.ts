/**
 * Overdue detection: is a client's newest successful backup of a policy older than that
 * policy's expected interval? A pure decision over what D1 returned and an injected
 * clock; worker/api/clients/backups.ts loads the inputs and holds the same rule as SQL
 * for the `?overdue=` filter (the tests hold the two to the same answers).
 *
 * The rule, for a client and each policy it belongs to:
 * - only policies that are enabled and whose schedule is enabled count (a disabled policy
 *   or schedule is not expected to run);
 * - the interval is the policy's `expected_interval_hours`, else the `overdue_hours`
 *   setting (default 26 h: a daily backup plus two hours of slack);
 * - overdue when `now - last_success > interval`, strictly: at exactly the interval it is
 *   not overdue yet;
 * - with no successful backup yet, the clock starts when the pair could first have been
 *   backed up, the later of the policy's and the client's creation: a new policy (or a new
 *   client) is not overdue before one interval has passed;
 * - a disabled client is never overdue (it is not expected to be backed up), though its
 *   last successes are still shown.
 */

/** The `overdue_hours` setting's default (migrations/0005_scheduling.sql). */
export const DEFAULT_OVERDUE_HOURS = 26;
const HOUR_MS = 3_600_000;

/** One policy a client belongs to, with that pair's newest successful backup. */
export interface PolicyMembership {
  policy: number;
  policyName: string;
  policyEnabled: boolean;
  scheduleEnabled: boolean;
  /** The policy's own interval in hours; null: the setting. */
  expectedIntervalHours: number | null;
  policyCreated: Date;
  /** `finished` of the newest successful backup job of this client and policy. */
  lastSuccess: Date | null;
}

export interface PolicyBackupState {
  policy: number;
  policyName: string;
  lastSuccess: Date | null;
  /** The interval in force: the policy's, else the setting's. */
  expectedIntervalHours: number;
  overdue: boolean;
}

export interface ClientBackupState {
  /** One entry per enabled policy (with an enabled schedule) of the client, by policy id. */
  backups: PolicyBackupState[];
  /** True when any entry is overdue. */
  overdue: boolean;
}

/** The `overdue_hours` setting as stored (JSON), or the default when unset or not a positive whole number. */
export function overdueHoursSetting(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : DEFAULT_OVERDUE_HOURS;
}

export function effectiveIntervalHours(policyHours: number | null, settingHours: number): number {
  return policyHours ?? settingHours;
}

/**
 * Overdue when more than `intervalHours` have passed since the last success, or, with
 * none, since `since` (when the pair came to exist).
 */
export function isOverdue(lastSuccess: Date | null, since: Date, intervalHours: number, now: Date): boolean {
  const reference = lastSuccess ?? since;
  return now.getTime() - reference.getTime() > intervalHours * HOUR_MS;
}

export function clientBackupState(
  client: { enabled: boolean; created: Date },
  memberships: readonly PolicyMembership[],
  settingHours: number,
  now: Date,
): ClientBackupState {
  const backups = memberships
    .filter((m) => m.policyEnabled && m.scheduleEnabled)
    .sort((a, b) => a.policy - b.policy)
    .map((m): PolicyBackupState => {
      const interval = effectiveIntervalHours(m.expectedIntervalHours, settingHours);
      const since = new Date(Math.max(m.policyCreated.getTime(), client.created.getTime()));
      return {
        policy: m.policy,
        policyName: m.policyName,
        lastSuccess: m.lastSuccess,
        expectedIntervalHours: interval,
        overdue: client.enabled && isOverdue(m.lastSuccess, since, interval, now),
      };
    });
  return { backups, overdue: backups.some((b) => b.overdue) };
}
