/** Housekeeping: the daily removal of old jobs and their output (docs/database.md, "Housekeeping"). */
export { BATCH_JOBS, QUERY_BUDGET, SYSTEM_ACTOR, runHousekeeping, type HousekeepingOptions, type HousekeepingReport } from './run';
export { DEFAULT_RETENTION_DAYS } from './retention';
