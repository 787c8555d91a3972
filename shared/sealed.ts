/**
 * Sealed secrets: a value encrypted to a relay's public key so that only that relay
 * can open it. The edge stores the sealed text and never the clear value.
 *
 * Scheme (v1), WebCrypto only so it runs in the Worker, the browser and Node:
 *   ephemeral ECDH P-256 key pair → shared secret with the relay's public key
 *   → HKDF-SHA256 (salt = ephemeral public key, info = "borg-orchestrator sealed v1")
 *   → AES-256-GCM key; random 96-bit IV.
 * Text form: `sealed:v1:<ephemeral public key, raw>.<iv>.<ciphertext+tag>` (base64url).
 * The relay's key is exchanged as base64url SPKI.
 */
import { base64urlDecode, base64urlEncode } from './encoding';

export const SEALED_PREFIX = 'sealed:v1:';
const INFO = new TextEncoder().encode('borg-orchestrator sealed v1');
const ECDH = { name: 'ECDH', namedCurve: 'P-256' } as const;
const SEALED_RE = /^sealed:v1:([A-Za-z0-9_-]{87})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;

/** Raised when a sealed value or a public key is not well-formed. */
export class SealError extends Error {}

export interface SealingKeyPair {
  /** base64url SPKI: give this to the edge. */
  publicKey: string;
  /** base64url PKCS#8: keep this on the relay host only. */
  privateKey: string;
}

export async function generateSealingKeyPair(): Promise<SealingKeyPair> {
  const pair = (await crypto.subtle.generateKey(ECDH, true, ['deriveBits'])) as CryptoKeyPair;
  const spki = new Uint8Array((await crypto.subtle.exportKey('spki', pair.publicKey)) as ArrayBuffer);
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer);
  return { publicKey: base64urlEncode(spki), privateKey: base64urlEncode(pkcs8) };
}

/** Imports a relay public key, throwing SealError when it is not a P-256 SPKI key. */
export async function importSealingPublicKey(publicKey: string): Promise<CryptoKey> {
  try {
    if (!/^[A-Za-z0-9_-]{40,400}$/.test(publicKey)) throw new Error('format');
    return await crypto.subtle.importKey('spki', base64urlDecode(publicKey), ECDH, true, []);
  } catch {
    throw new SealError('Not an ECDH P-256 public key in base64url SPKI form.');
  }
}

/**
 * ECDH derive parameters. The member is `public` at runtime everywhere; the Workers
 * type definitions spell it `$public` (a reserved-word workaround), so this one cast
 * keeps the module compiling for the Worker, the browser and Node alike.
 */
function ecdhWith(publicKey: CryptoKey) {
  return { name: 'ECDH', public: publicKey } as unknown as Parameters<SubtleCrypto['deriveBits']>[0];
}

async function aesKey(shared: ArrayBuffer, salt: Uint8Array<ArrayBuffer>, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info: INFO }, ikm, { name: 'AES-GCM', length: 256 }, false, [usage]);
}

export async function seal(publicKey: string, plaintext: string): Promise<string> {
  const recipient = await importSealingPublicKey(publicKey);
  const eph = (await crypto.subtle.generateKey(ECDH, true, ['deriveBits'])) as CryptoKeyPair;
  const ephRaw = new Uint8Array((await crypto.subtle.exportKey('raw', eph.publicKey)) as ArrayBuffer);
  const shared = await crypto.subtle.deriveBits(ecdhWith(recipient), eph.privateKey, 256);
  const key = await aesKey(shared, ephRaw, 'encrypt');
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(plaintext)));
  return `${SEALED_PREFIX}${base64urlEncode(ephRaw)}.${base64urlEncode(iv)}.${base64urlEncode(ct)}`;
}

/** True when the text has the shape of a sealed value (it may still fail to open). */
export function isSealed(text: string): boolean {
  return SEALED_RE.test(text);
}

export async function open(privateKey: string, sealed: string): Promise<string> {
  const m = SEALED_RE.exec(sealed);
  if (!m) throw new SealError('Not a sealed value.');
  const [, ephText, ivText, ctText] = m as unknown as [string, string, string, string];
  try {
    const own = await crypto.subtle.importKey('pkcs8', base64urlDecode(privateKey), ECDH, false, ['deriveBits']);
    const ephRaw = base64urlDecode(ephText);
    const eph = await crypto.subtle.importKey('raw', ephRaw, ECDH, false, []);
    const shared = await crypto.subtle.deriveBits(ecdhWith(eph), own, 256);
    const key = await aesKey(shared, ephRaw, 'decrypt');
    const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: base64urlDecode(ivText) }, key, base64urlDecode(ctText));
    return new TextDecoder().decode(pt);
  } catch {
    throw new SealError('This sealed value cannot be opened with this key.');
  }
}
