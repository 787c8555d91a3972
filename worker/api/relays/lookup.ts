/** Relay lookups for the objects that reference a relay (clients, repositories). */
import { inList } from '../../db/in-list';
import { eq } from 'drizzle-orm';
import { relays } from '../../db/schema';
import type { Db } from '../../http/context';
import { badRequest } from '../../http/errors';

export type RelayRow = typeof relays.$inferSelect;

/** The relays of a page of objects, in one query. */
export async function relaysById(db: Db, ids: number[]): Promise<Map<number, RelayRow>> {
  const unique = [...new Set(ids)];
  const rows = unique.length ? await db.select().from(relays).where(inList(relays.id, unique)) : [];
  return new Map(rows.map((r) => [r.id, r]));
}

export async function assertRelayExists(db: Db, id: number): Promise<void> {
  const [r] = await db.select({ id: relays.id }).from(relays).where(eq(relays.id, id));
  if (!r) throw badRequest({ relay: ['No such relay.'] });
}
