/**
 * Typed settings. Values are JSON text in D1; a `secret` setting is encrypted with
 * a key derived from APP_SECRET (AES-GCM) because the Worker itself uses it (SMTP
 * password), unlike relay secrets, which are sealed to a relay's key.
 */
import { eq } from 'drizzle-orm';
import { base64urlDecode, base64urlEncode } from '../../../shared/encoding';
import { requireAppSecret } from '../../auth/secret-hash';
import { settings } from '../../db/schema';
import type { Db } from '../../http/context';

export type SettingValue = string | number | boolean | null;

export async function readSetting(db: Db, key: string): Promise<SettingValue | undefined> {
  const [row] = await db.select().from(settings).where(eq(settings.key, key));
  if (!row || row.value === null || row.type === 'secret') return row ? null : undefined;
  return JSON.parse(row.value) as SettingValue;
}

export async function readSettings(db: Db, keys: string[]): Promise<Record<string, SettingValue>> {
  const rows = await db.select().from(settings);
  const out: Record<string, SettingValue> = {};
  for (const r of rows) if (keys.includes(r.key) && r.type !== 'secret') out[r.key] = r.value === null ? null : (JSON.parse(r.value) as SettingValue);
  return out;
}

async function secretKey(env: Env): Promise<CryptoKey> {
  const material = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`settings:${requireAppSecret(env)}`));
  return crypto.subtle.importKey('raw', material, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

export async function encryptSecretSetting(env: Env, value: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await secretKey(env), new TextEncoder().encode(value)));
  return JSON.stringify(`${base64urlEncode(iv)}.${base64urlEncode(ct)}`);
}

/** For the Worker's own use (sending mail); never returned by the API. */
export async function decryptSecretSetting(env: Env, stored: string): Promise<string> {
  const [iv, ct] = (JSON.parse(stored) as string).split('.') as [string, string];
  const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: base64urlDecode(iv) }, await secretKey(env), base64urlDecode(ct));
  return new TextDecoder().decode(pt);
}
