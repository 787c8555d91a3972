/**
 * Test client for the Worker: real requests into the real app (inside workerd),
 * as anonymous, a session (cookie + Origin) or an API token. Every response body
 * is kept so that a suite can assert that no secret it used ever came back.
 */
import { exports } from 'cloudflare:workers';
import { expect } from 'vitest';

export const ORIGIN = 'https://orchestrator.test';
export const SETUP_TOKEN = 'test-setup-token';

export type As = { cookie: string } | { token: string } | null;

const seenBodies: string[] = [];
/** Each secret with the number of responses seen when it was registered. */
const usedSecrets = new Map<string, number>();

/**
 * Remember a secret so `expectNoSecretLeaked` can look for it in every later
 * response. A secret the API hands out once (a new API token) is registered right
 * after that response, which is therefore the only one not scanned for it.
 */
export function secret<T extends string>(value: T): T {
  if (!usedSecrets.has(value)) usedSecrets.set(value, seenBodies.length);
  return value;
}

export function expectNoSecretLeaked() {
  let scanned = 0;
  for (const [s, from] of usedSecrets) {
    for (const body of seenBodies.slice(from)) {
      scanned++;
      if (body.includes(s)) throw new Error(`A response contained the secret ${JSON.stringify(s.slice(0, 4))}…: ${body.slice(0, 300)}`);
    }
  }
  // A file that called the API must actually have been scanned.
  if (seenBodies.length) expect(scanned).toBeGreaterThan(0);
  return scanned;
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export async function call<T = any>(
  method: string,
  path: string,
  options: { as?: As; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const as = options.as ?? null;
  if (as && 'cookie' in as) {
    headers.Cookie = as.cookie;
    if (!('Origin' in headers)) headers.Origin = ORIGIN;
  }
  if (as && 'token' in as) headers.Authorization = `Bearer ${as.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await exports.default.fetch(new Request(`${ORIGIN}/api/v1${path}`, { method, headers, body }));
  const text = await res.text();
  seenBodies.push(text);
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed as T, text, headers: res.headers };
}

export const get = <T = any>(path: string, as?: As) => call<T>('GET', path, { as });
export const post = <T = any>(path: string, body: unknown, as?: As) => call<T>('POST', path, { as, body });
export const patch = <T = any>(path: string, body: unknown, as?: As) => call<T>('PATCH', path, { as, body });
export const del = <T = any>(path: string, as?: As) => call<T>('DELETE', path, { as });

function sessionCookie(res: ApiResponse): string {
  const setCookie = res.headers.get('Set-Cookie') ?? '';
  const m = /__Host-session=([^;]+)/.exec(setCookie);
  if (!m) throw new Error(`no session cookie in ${res.status} ${res.text}`);
  return `__Host-session=${m[1]}`;
}

export const ADMIN_PASSWORD = secret('correct horse battery staple');

/** Creates the first admin through /setup and returns its session. */
export async function setupAdmin(email = 'admin@example.com'): Promise<{ cookie: string; id: number }> {
  const res = await post('/setup', { token: SETUP_TOKEN, email, name: 'Admin', password: ADMIN_PASSWORD });
  expect(res.status, res.text).toBe(201);
  return { cookie: sessionCookie(res), id: res.body.id };
}

export async function login(email: string, password: string): Promise<{ cookie: string }> {
  const res = await post('/auth/login', { email, password });
  expect(res.status, res.text).toBe(200);
  return { cookie: sessionCookie(res) };
}

/** Creates a user with a role (as the admin) and signs them in. */
export async function userWithRole(admin: As, role: 'viewer' | 'operator' | 'admin', email = `${role}-${crypto.randomUUID().slice(0, 8)}@example.com`) {
  const password = secret(`pw-${role}-${crypto.randomUUID()}`);
  const res = await post('/users', { email, password, role, name: role }, admin);
  expect(res.status, res.text).toBe(201);
  return { id: res.body.id as number, email, password, session: await login(email, password) };
}

export async function tokenFor(as: As, scope: 'read' | 'write', expires_in_days = 30): Promise<{ token: string; id: number }> {
  const res = await post('/tokens', { name: `t-${scope}`, scope, expires_in_days }, as);
  expect(res.status, res.text).toBe(201);
  secret(res.body.token);
  return { token: res.body.token, id: res.body.id };
}
