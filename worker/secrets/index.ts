/**
 * Write-only secrets (repository passphrases, database passwords): the API takes a
 * clear value and seals it at once to the public key of the relay that will use it,
 * or takes a value already sealed (by the browser or `relay seal`). Only the relay
 * can open it; the edge keeps the sealed text and never returns it.
 */
import { eq } from 'drizzle-orm';
import { isSealed, seal } from '../../shared/sealed';
import { relays } from '../db/schema';
import type { Db } from '../http/context';
import { badRequest, conflict } from '../http/errors';

export interface SecretInput {
  clear?: string | null | undefined;
  sealed?: string | null | undefined;
}

/**
 * Returns the sealed text to store, `null` to clear the secret, or `undefined` when
 * the input says nothing about it. `field` names the field in error messages.
 */
export async function sealSecret(db: Db, relayId: number, input: SecretInput, field: string): Promise<string | null | undefined> {
  if (input.clear !== undefined && input.sealed !== undefined) {
    throw badRequest({ [field]: [`Give either ${field} or ${field}_sealed, not both.`] });
  }
  // Not `??`: null is meaningful (clear the secret) and must not fall through to `sealed`.
  const value = input.clear !== undefined ? input.clear : input.sealed;
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (input.sealed !== undefined && !isSealed(value)) throw badRequest({ [`${field}_sealed`]: ['Not a sealed value (expected sealed:v1:…).'] });
  const [relay] = await db.select({ name: relays.name, publicKey: relays.publicKey }).from(relays).where(eq(relays.id, relayId));
  if (!relay?.publicKey) {
    throw conflict(
      `Relay "${relay?.name ?? relayId}" has not registered its public key yet, so ${field} cannot be stored sealed. ` +
        'Pair the relay first (`relay pair --url <this site> --token <pairing token>`), then send the secret again.',
      { [field]: ['The relay has no public key yet.'] },
    );
  }
  return input.sealed !== undefined ? value : seal(relay.publicKey, value);
}

/** A secret field in a request body: a clear value, bounded, with no NUL. */
export function isAcceptableSecret(value: string): boolean {
  return value.length > 0 && value.length <= 1024 && !value.includes('\u0000');
}
