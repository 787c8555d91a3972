/**
 * Keyset (cursor) pagination for every list endpoint.
 *
 * A page is `ORDER BY <field>, id LIMIT n+1` from a cursor that holds the last row's
 * (field, id). Unlike OFFSET, the cost of a page does not grow with its depth and a
 * page does not shift when rows are inserted before it. The cursor is opaque to
 * clients (base64url JSON) and bound to the ordering it was made for.
 */
import { z } from '@hono/zod-openapi';
import { and, asc, count, desc, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { base64urlDecode, base64urlEncode } from '../../shared/encoding';
import type { Db } from './context';
import { badRequest, invalidField } from './errors';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
/**
 * Counts stop here. An exact count(*) costs one index entry per matching row: 31 ms
 * of SQLite time (and 900,000 billed rows read) for ?status=successful over 1M jobs,
 * against ~1 ms capped (docs/benchmarks.md). Past the cap a list says count_exact: false.
 */
export const COUNT_CAP = 10_000;

export const listQuerySchema = z.object({
  page_size: z.coerce
    .number()
    .int('Must be a whole number.')
    .min(1, 'Must be at least 1.')
    .max(MAX_PAGE_SIZE, `Must be at most ${MAX_PAGE_SIZE}.`)
    .default(DEFAULT_PAGE_SIZE)
    .openapi({ description: `Rows per page (default ${DEFAULT_PAGE_SIZE}, max ${MAX_PAGE_SIZE}).` }),
  cursor: z.string().max(512).optional().openapi({ description: 'Opaque cursor from a previous `next` or `previous` link.' }),
  order_by: z.string().max(64).optional().openapi({ description: 'Field to order by; prefix with `-` for descending.' }),
});

export interface Page<T> {
  /** Matching rows, at most COUNT_CAP. */
  count: number;
  /** False when there are more than COUNT_CAP matching rows. */
  count_exact: boolean;
  next: string | null;
  previous: string | null;
  results: T[];
}

export const pageSchema = <T extends z.ZodTypeAny>(item: T) =>
  z.object({
    count: z.number().int().openapi({ description: `Matching rows, counted up to ${COUNT_CAP}.` }),
    count_exact: z.boolean().openapi({ description: `False when more than ${COUNT_CAP} rows match.` }),
    next: z.string().nullable(),
    previous: z.string().nullable(),
    results: z.array(item),
  });

interface Cursor {
  /** order_by the cursor was made for */
  o: string;
  /** value of the order field in the boundary row (null when ordering by id) */
  v: string | number | null;
  /** id of the boundary row */
  i: number;
  /** direction: rows after (n) or before (p) the boundary */
  d: 'n' | 'p';
}

function encodeCursor(cursor: Cursor): string {
  return base64urlEncode(new TextEncoder().encode(JSON.stringify(cursor)));
}

function decodeCursor(text: string, orderBy: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(base64urlDecode(text)));
  } catch {
    throw invalidField('cursor', 'Not a cursor from this API.');
  }
  const c = parsed as Partial<Cursor>;
  if (
    !c ||
    typeof c !== 'object' ||
    typeof c.o !== 'string' ||
    !Number.isInteger(c.i) ||
    (c.d !== 'n' && c.d !== 'p') ||
    !(c.v === null || typeof c.v === 'string' || typeof c.v === 'number')
  ) {
    throw invalidField('cursor', 'Not a cursor from this API.');
  }
  if (c.o !== orderBy) throw invalidField('cursor', `This cursor was made for order_by=${c.o}; keep the same order_by.`);
  return c as Cursor;
}

export interface ListSpec<TTable extends SQLiteTable> {
  table: TTable;
  id: SQLiteColumn;
  /** Fields a client may order by (non-null columns only, so keyset comparison is total). */
  orderFields: Record<string, SQLiteColumn>;
  defaultOrder: string;
}

export interface ListRequest {
  page_size: number;
  cursor?: string | undefined;
  order_by?: string | undefined;
}

/** Runs one page of a list. `where` holds the caller's filters (already validated). */
export async function listPage<TTable extends SQLiteTable, TRow extends Record<string, unknown>>(
  db: Db,
  spec: ListSpec<TTable>,
  query: ListRequest,
  where: SQL[],
  url: string,
): Promise<Page<TRow>> {
  const orderBy = query.order_by ?? spec.defaultOrder;
  const descending = orderBy.startsWith('-');
  const fieldName = descending ? orderBy.slice(1) : orderBy;
  const field = fieldName === 'id' ? null : spec.orderFields[fieldName];
  if (field === undefined) {
    throw badRequest({ order_by: [`Must be one of: ${['id', ...Object.keys(spec.orderFields)].flatMap((f) => [f, `-${f}`]).join(', ')}.`] });
  }
  const cursor = query.cursor ? decodeCursor(query.cursor, orderBy) : null;
  const backwards = cursor?.d === 'p';
  // Walking backwards is walking forwards in the reversed order, then flipping the rows.
  const ascending = descending === backwards;
  const conditions = [...where];
  if (cursor) {
    const op = sql.raw(ascending ? '>' : '<');
    conditions.push(
      field ? sql`(${field}, ${spec.id}) ${op} (${cursor.v}, ${cursor.i})` : sql`${spec.id} ${op} ${cursor.i}`,
    );
  }
  const dir = ascending ? asc : desc;
  const order = field ? [dir(field), dir(spec.id)] : [dir(spec.id)];
  const filter = where.length ? and(...where) : undefined;
  const pageFilter = conditions.length ? and(...conditions) : undefined;

  const [rowsRaw, totals] = await db.batch([
    db
      .select()
      .from(spec.table as SQLiteTable)
      .where(pageFilter)
      .orderBy(...order)
      .limit(query.page_size + 1),
    db.select({ n: count() }).from(db.select({ one: sql`1` }).from(spec.table as SQLiteTable).where(filter).limit(COUNT_CAP + 1).as('capped')),
  ]);
  const rows = rowsRaw as TRow[];
  const more = rows.length > query.page_size;
  if (more) rows.pop();
  if (backwards) rows.reverse();

  const columnKey = (col: SQLiteColumn) =>
    Object.entries(spec.table as unknown as Record<string, unknown>).find(([, v]) => v === col)?.[0] ?? 'id';
  const fieldKey = field ? columnKey(field) : null;
  const idKey = columnKey(spec.id);
  const boundary = (row: TRow, d: 'n' | 'p'): string => {
    const raw = fieldKey ? row[fieldKey] : null;
    const v = raw instanceof Date ? raw.getTime() : (raw as string | number | null);
    return encodeCursor({ o: orderBy, v, i: row[idKey] as number, d });
  };
  const link = (c: string | null) => {
    if (!c) return null;
    const u = new URL(url);
    u.searchParams.set('cursor', c);
    return u.toString();
  };
  const first = rows[0];
  const last = rows[rows.length - 1];
  const hasNext = backwards ? cursor !== null : more;
  const hasPrevious = backwards ? more : cursor !== null;
  const counted = totals[0]?.n ?? 0;
  return {
    count: Math.min(counted, COUNT_CAP),
    count_exact: counted <= COUNT_CAP,
    next: link(hasNext && last ? boundary(last, 'n') : null),
    previous: link(hasPrevious && first ? boundary(first, 'p') : null),
    results: rows,
  };
}

/** Parses a boolean query filter (`true`/`false`/`1`/`0`). */
export const booleanFilter = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .optional();

/** Parses an id query filter. */
export const idFilter = z.coerce.number().int('Must be an id.').positive('Must be an id.').optional();

/** `search` filter: case-insensitive substring match on any of the columns, wildcards escaped. */
export function searchAny(columns: SQLiteColumn[], text: string): SQL {
  const pattern = `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
  return sql`(${sql.join(
    columns.map((col) => sql`${col} LIKE ${pattern} ESCAPE '\\'`),
    sql` OR `,
  )})`;
}
