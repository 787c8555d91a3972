/** Relay lookups for the objects that reference a relay (clients, repositories). */
import { inList } from '../../db/in-list';
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { policies, relays, repositories } from '../../db/schema';
import type { Db } from '../../http/context';
import { badRequest, conflict } from '../../http/errors';

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

/**
 * A relay's sealing key may change only while nothing is sealed to it: values sealed
 * to the old key would silently become unreadable. 409 naming what holds secrets.
 */
export async function assertKeyChangeAllowed(db: Db, relayId: number): Promise<void> {
  const [sealedRepos, sealedPolicies] = await db.batch([
    db.select({ name: repositories.name }).from(repositories).where(and(eq(repositories.relayId, relayId), isNotNull(repositories.passphraseSealed))),
    db
      .select({ name: policies.name })
      .from(policies)
      .innerJoin(repositories, eq(repositories.id, policies.repositoryId))
      .where(and(eq(repositories.relayId, relayId), sql`${policies.secrets} != '{}'`)),
  ]);
  const holders = [...sealedRepos.map((r) => `repository ${r.name}`), ...sealedPolicies.map((p) => `policy ${p.name}`)];
  if (holders.length) {
    throw conflict(`Secrets are sealed to this relay's current key (${holders.join(', ')}); clear them, change the key, then set them again.`, { public_key: ['Secrets are sealed to the current key.'] });
  }
}
