/** Jobs that have not ended, for the rules that refuse changes under them. */
import { and, eq, inArray } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { ACTIVE_JOB_STATUSES } from '../../shared/domain';
import { jobs } from '../db/schema';
import type { Db } from '../http/context';
import { conflict } from '../http/errors';

/** Refuses (409, naming up to 20 jobs) while `column = id` has an active job. */
export async function assertNoActiveJobs(db: Db, column: SQLiteColumn, id: number, what: string): Promise<void> {
  const rows = await db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(column, id), inArray(jobs.status, [...ACTIVE_JOB_STATUSES])))
    .limit(20);
  if (rows.length) throw conflict(`This ${what} has active jobs (${rows.map((r) => r.id).join(', ')}); cancel them or let them end first.`);
}
