/**
 * `column IN (...)` for lists of any length.
 *
 * D1 allows 100 bound parameters a statement, and drizzle's inArray binds one per
 * value: a page of 500 policies, or a policy with 150 clients, would fail. Here the
 * whole list is one parameter, a JSON array unpacked by SQLite's json_each.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';

export function inList(column: SQLiteColumn, values: readonly (number | string)[]): SQL {
  return sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;
}
