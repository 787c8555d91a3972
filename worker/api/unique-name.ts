/** The "name must be unique" rule shared by relays, repositories, schedules and policies. */
import { and, eq, ne } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Db } from '../http/context';
import { conflict } from '../http/errors';

export async function assertUniqueName(
  db: Db,
  target: { table: SQLiteTable; id: SQLiteColumn; name: SQLiteColumn; what: string },
  name: string,
  exceptId?: number,
): Promise<void> {
  const cond = exceptId ? and(eq(target.name, name), ne(target.id, exceptId)) : eq(target.name, name);
  const taken = await db.select({ id: target.id }).from(target.table).where(cond).limit(1);
  if (taken.length) throw conflict(`A ${target.what} with this name exists.`, { name: ['Already used.'] });
}
