/**
 * Relay credentials. Pairing: an admin gets a one-time pairing token
 * (`bp_<relayId>_<secret>`, 24 h); the relay exchanges it once, with its sealing
 * public key, for a long-lived credential (`br_<relayId>_<secret>`) that it presents
 * as a bearer token on `/relay/connect`. The edge keeps only keyed hashes of both.
 */
import { eq } from 'drizzle-orm';
import { randomToken, timingSafeEqual } from '../../shared/encoding';
import { hashSecret } from '../auth/secret-hash';
import { relays } from '../db/schema';
import type { Db } from '../http/context';

export const PAIRING_TTL_MS = 24 * 60 * 60 * 1000;
const TOKEN_RE = /^(bp|br)_(\d{1,12})_([A-Za-z0-9_-]{43})$/;

export type RelayRow = typeof relays.$inferSelect;

export async function mintPairingToken(db: Db, env: Env, relayId: number): Promise<{ token: string; expires: Date }> {
  const token = `bp_${relayId}_${randomToken(32)}`;
  const expires = new Date(Date.now() + PAIRING_TTL_MS);
  await db.update(relays).set({ pairingTokenHash: await hashSecret(env, token), pairingExpires: expires }).where(eq(relays.id, relayId));
  return { token, expires };
}

export async function mintRelayCredential(env: Env, relayId: number): Promise<{ credential: string; hash: string }> {
  const credential = `br_${relayId}_${randomToken(32)}`;
  return { credential, hash: await hashSecret(env, credential) };
}

const same = async (env: Env, presented: string, storedHash: string | null) =>
  storedHash !== null && timingSafeEqual(new TextEncoder().encode(await hashSecret(env, presented)), new TextEncoder().encode(storedHash));

/** The relay a valid, unexpired pairing token belongs to, or null. */
export async function relayForPairingToken(db: Db, env: Env, token: string): Promise<RelayRow | null> {
  const m = TOKEN_RE.exec(token);
  if (!m || m[1] !== 'bp') return null;
  const [relay] = await db.select().from(relays).where(eq(relays.id, Number(m[2])));
  if (!relay || !relay.pairingExpires || relay.pairingExpires.getTime() <= Date.now()) return null;
  return (await same(env, token, relay.pairingTokenHash)) ? relay : null;
}

/** The enabled relay a credential belongs to, or null. */
export async function relayForCredential(db: Db, env: Env, credential: string): Promise<RelayRow | null> {
  const m = TOKEN_RE.exec(credential);
  if (!m || m[1] !== 'br') return null;
  const [relay] = await db.select().from(relays).where(eq(relays.id, Number(m[2])));
  if (!relay || !relay.enabled) return null;
  return (await same(env, credential, relay.credentialHash)) ? relay : null;
}
