/**
 * Password hashing with PBKDF2-SHA256 through WebCrypto.
 *
 * 100,000 iterations is the most the Workers runtime allows for PBKDF2 (it throws
 * NotSupportedError above that). The stored string is versioned,
 *   pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>
 * so the cost can be raised later: `needsRehash` tells the login path to upgrade.
 */
import { base64urlDecode, base64urlEncode, timingSafeEqual } from '../../shared/encoding';

export const PBKDF2_ITERATIONS = 100_000;
const SCHEME = 'pbkdf2-sha256';

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, iterations);
  return `${SCHEME}$${iterations}$${base64urlEncode(salt)}$${base64urlEncode(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iter, salt, hash] = stored.split('$');
  const iterations = Number(iter);
  if (scheme !== SCHEME || !salt || !hash || !Number.isInteger(iterations) || iterations < 1) return false;
  const actual = await derive(password, base64urlDecode(salt), Math.min(iterations, PBKDF2_ITERATIONS));
  return timingSafeEqual(actual, base64urlDecode(hash));
}

export function needsRehash(stored: string): boolean {
  const [scheme, iter] = stored.split('$');
  return scheme !== SCHEME || Number(iter) < PBKDF2_ITERATIONS;
}

/**
 * A hash of a random password, verified against when the account does not exist so
 * a login for an unknown email costs the same time as a wrong password.
 */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(base64urlEncode(crypto.getRandomValues(new Uint8Array(16))));
  return dummyHash;
}
