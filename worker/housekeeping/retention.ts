/**
 * The pure decisions of housekeeping: how long jobs are kept, and how much work one call
 * may take on. Which rows match is SQL (candidates.ts); the rules are stated there.
 */

/** `job_retention_days` when the setting is missing or out of its range (migration 0005). */
export const DEFAULT_RETENTION_DAYS = 90;
/** The settings API accepts 1..3650; anything else read back is ignored, never trusted to delete. */
const RETENTION_RANGE = [1, 3650] as const;

const DAY_MS = 86_400_000;

/** The retention in days from the setting's stored value. */
export function retentionDays(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= RETENTION_RANGE[0] && value <= RETENTION_RANGE[1] ? value : DEFAULT_RETENTION_DAYS;
}

/** Jobs that ended (or, never started, were created) before this instant are past retention. */
export function retentionCutoff(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/**
 * Whether a batch may run: its statements and TaskManager calls must fit in what is left of
 * the budget, plus `reserve` for what the call does after its last batch (the audit entry).
 */
export function batchFits(used: number, batchCost: number, budget: number, reserve: number): boolean {
  return used + batchCost + reserve <= budget;
}
