/**
 * The auth matrix over every route of the OpenAPI document: each route's `x-access`
 * rule is checked against anonymous callers, each role through a session, read and
 * write tokens, and revoked and expired tokens. A new route is covered as soon as it
 * is documented, and a route cannot be documented without a rule.
 */
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { ROLE_RANK, type Role } from '../../shared/domain';
import { call, del, get, tokenFor, userWithRole, type As } from './helpers';
import { buildWorld } from './fixtures';


interface Operation {
  method: string;
  path: string;
  access: 'public' | 'self' | Role;
}

async function operations(): Promise<Operation[]> {
  const doc = (await get('/openapi.json')).body;
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(item)) ops.push({ method: method.toUpperCase(), path, access: op['x-access'] });
  }
  return ops;
}

/** A request that reaches the handler for a route, with ids of real objects. */
function requestFor(op: Operation, ids: Record<string, number | string>) {
  const path = op.path.replace('/api/v1', '').replace(/\{(\w+)\}/g, (_, name) => {
    if (name === 'key') return 'auto_prune';
    if (name === 'token') return 'A'.repeat(43);
    const kind = op.path.split('/')[3]!;
    return String(ids[kind] ?? 1);
  });
  const body = op.method === 'GET' || op.method === 'DELETE' ? undefined : {};
  return { path, body };
}

describe('access matrix over every documented route', () => {
  let ops: Operation[];
  let who: Record<string, As>;
  let ids: Record<string, number>;

  beforeEach(async () => {
    const w = await buildWorld({ ready: true });
    const viewer = await userWithRole(w.admin, 'viewer');
    const operator = await userWithRole(w.admin, 'operator');
    const readToken = await tokenFor(w.admin, 'read');
    const writeToken = await tokenFor(w.admin, 'write');
    const revoked = await tokenFor(w.admin, 'write');
    await del(`/tokens/${revoked.id}`, w.admin);
    const expired = await tokenFor(w.admin, 'write');
    await env.DB.prepare('UPDATE api_tokens SET expires = ? WHERE id = ?').bind(Date.now() - 1, expired.id).run();
    const job = await env.DB.prepare("INSERT INTO jobs (type, status, launch_type, relay_id) VALUES ('backup', 'failed', 'manual', 1) RETURNING id").first<{ id: number }>();
    const token = await tokenFor(viewer.session, 'read');
    ids = { users: viewer.id, tokens: token.id, relays: 1, clients: w.clientId, repositories: w.repositoryId, schedules: w.scheduleId, policies: w.policyId, jobs: job!.id };
    who = {
      anonymous: null,
      viewer: viewer.session,
      operator: operator.session,
      admin: w.admin,
      readToken: { token: readToken.token },
      writeToken: { token: writeToken.token },
      revokedToken: { token: revoked.token },
      expiredToken: { token: expired.token },
    };
    ops = await operations();
  });

  it('documents an access rule for every route, and has the routes the API promises', async () => {
    expect(ops.length).toBeGreaterThan(50);
    for (const op of ops) expect(['public', 'self', 'viewer', 'operator', 'admin'], `${op.method} ${op.path}`).toContain(op.access);
    const names = ops.map((o) => `${o.method} ${o.path.replace('/api/v1', '')}`);
    for (const must of ['POST /policies/{id}/launch', 'GET /policies/{id}/calendar', 'POST /jobs/{id}/cancel', 'POST /jobs/{id}/relaunch', 'GET /jobs/{id}/stdout', 'POST /clients/{id}/prepare', 'POST /repositories/{id}/prepare', 'POST /repositories/{id}/check', 'POST /restores', 'GET /stats', 'GET /me', 'GET /ping', 'GET /config', 'POST /ready/{token}']) {
      expect(names).toContain(must);
    }
    expect(ops.filter((o) => o.access === 'public').map((o) => `${o.method} ${o.path.replace('/api/v1', '')}`).sort()).toEqual(['GET /ping', 'GET /setup', 'POST /auth/login', 'POST /ready/{token}', 'POST /relays/pair', 'POST /setup']);
  });

  it('refuses or allows each caller exactly as the rule says', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const op of ops) {
      const { path, body } = requestFor(op, ids);
      // Destructive and session-changing routes are exercised last, on their own (below).
      if (op.method === 'DELETE' || path === '/auth/logout') continue;
      for (const [name, as] of Object.entries(who)) {
        const res = await call(op.method, path, { as, body });
        checked++;
        const writing = op.method !== 'GET';
        let expected: 'allowed' | 401 | 403;
        if (op.access === 'public') expected = 'allowed';
        else if (name === 'anonymous' || name === 'revokedToken' || name === 'expiredToken') expected = 401;
        else if (name === 'readToken' && writing) expected = 403;
        else {
          const role: Role = name === 'viewer' || name === 'operator' ? (name as Role) : 'admin';
          expected = op.access === 'self' || ROLE_RANK[role] >= ROLE_RANK[op.access] ? 'allowed' : 403;
        }
        const ok = expected === 'allowed' ? res.status !== 401 && res.status !== 403 && res.status < 500 : res.status === expected;
        if (!ok) failures.push(`${op.method} ${path} as ${name}: expected ${expected}, got ${res.status} ${res.text.slice(0, 120)}`);
        if (res.status >= 500) failures.push(`${op.method} ${path} as ${name}: ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(300);
  });

  it('DELETE routes: only admins (self for tokens); others refused and nothing deleted', async () => {
    for (const op of ops.filter((o) => o.method === 'DELETE')) {
      const { path } = requestFor(op, ids);
      for (const name of ['anonymous', 'revokedToken', 'expiredToken']) expect((await call('DELETE', path, { as: who[name] })).status, `${path} ${name}`).toBe(401);
      expect((await call('DELETE', path, { as: who.readToken })).status, `${path} readToken`).toBe(403);
      if (op.access === 'admin') {
        expect((await call('DELETE', path, { as: who.viewer })).status, `${path} viewer`).toBe(403);
        expect((await call('DELETE', path, { as: who.operator })).status, `${path} operator`).toBe(403);
      }
      expect((await call('GET', path, { as: who.admin })).status, `${path} still there`).toBe(200);
    }
  });
});
