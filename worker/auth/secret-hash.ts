/**
 * Hashes of bearer secrets (session ids, API tokens, readiness tokens).
 *
 * HMAC-SHA256 keyed by APP_SECRET rather than a bare SHA-256: a copy of the D1
 * database alone is then not enough to test guesses against the stored hashes.
 * Rotating APP_SECRET therefore ends every session and invalidates every token.
 */
import { ApiError } from '../http/errors';
import { toHex } from '../../shared/encoding';

const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keys.set(secret, key);
  }
  return key;
}

export function requireAppSecret(env: Env): string {
  const secret = env.APP_SECRET;
  if (!secret || secret.length < 16 || secret.startsWith('change-me')) {
    throw new ApiError(503, 'misconfigured', 'APP_SECRET is not set, is the example placeholder, or is shorter than 16 characters; see .dev.vars.example.');
  }
  return secret;
}

export async function hashSecret(env: Env, value: string): Promise<string> {
  const sig = await crypto.subtle.sign('HMAC', await hmacKey(requireAppSecret(env)), new TextEncoder().encode(value));
  return toHex(new Uint8Array(sig));
}
