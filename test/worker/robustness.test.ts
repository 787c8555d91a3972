/**
 * Hostile and malformed input: every body a client can send gets a 4xx with the
 * API's error shape, never a 500, and changes nothing.
 */
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, get, ORIGIN } from './helpers';
import { buildWorld } from './fixtures';


/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function prng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE_STRINGS = ["'; DROP TABLE users; --", '$(reboot)', '`id`', '../../etc/passwd', '\u0000', 'a\nb', '🔥'.repeat(50), 'x'.repeat(5000), '<script>alert(1)</script>', '%s%n', '-rf', '*'];

function wrongValue(rand: () => number): unknown {
  const pool: unknown[] = [null, true, false, -1, 0, 1.5, 2 ** 53 + 1, -1e308, '', ...HOSTILE_STRINGS, [], [1, 'a', null], {}, { $ne: null }, [[[[[]]]]]];
  return pool[Math.floor(rand() * pool.length)];
}

/** Bodies that are malformed for any write route: bad JSON, not an object, or bad fields. */
function malformedBody(rand: () => number, fields: string[]): string {
  const kind = Math.floor(rand() * 6);
  switch (kind) {
    case 0: {
      const raw = ['{', '{"a":', 'nul', '[1,2', '{"name": "x",}', "{'name': 'x'}", '\u0000', '{"a":1}{"b":2}', '1e99999', 'undefined'];
      return raw[Math.floor(rand() * raw.length)]!;
    }
    case 1:
      return JSON.stringify(wrongValue(rand) ?? 42) === '{}' ? '"not an object"' : JSON.stringify([wrongValue(rand)]);
    case 2:
      return '['.repeat(2000) + ']'.repeat(2000);
    case 3:
      return JSON.stringify({ __proto__: { role: 'admin' }, constructor: { prototype: { admin: true } }, ['unknown_' + Math.floor(rand() * 1e6)]: wrongValue(rand) });
    default: {
      const body: Record<string, unknown> = {};
      for (const f of fields) if (rand() < 0.6) body[f] = wrongValue(rand);
      // At least one field is certainly wrong: an unknown one, or a known one with a value of no type.
      body[fields.length && rand() < 0.5 ? fields[Math.floor(rand() * fields.length)]! : 'not_a_field'] = { nested: [wrongValue(rand)] };
      return JSON.stringify(body);
    }
  }
}

async function rowCounts() {
  const counts: Record<string, number> = {};
  for (const t of ['users', 'api_tokens', 'relays', 'clients', 'repositories', 'schedules', 'policies', 'policy_clients', 'jobs', 'readiness_tokens']) {
    counts[t] = (await env.DB.prepare(`SELECT count(*) AS n FROM ${t}`).first<{ n: number }>())!.n;
  }
  counts.settings = (await env.DB.prepare('SELECT count(*) AS n FROM settings WHERE modified_by IS NOT NULL').first<{ n: number }>())!.n;
  return counts;
}

describe('malformed bodies', () => {
  it('200 generated bodies against every write endpoint: all 4xx, none 5xx, nothing changed', async () => {
    const w = await buildWorld({ ready: true });
    const doc = (await get('/openapi.json')).body;
    const ids: Record<string, number> = { users: w.admin.id, relays: 1, clients: w.clientId, repositories: w.repositoryId, schedules: w.scheduleId, policies: w.policyId };
    const targets: { method: string; path: string; fields: string[] }[] = [];
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(item)) {
        const schema = op.requestBody?.content?.['application/json']?.schema;
        if (!schema || method === 'get') continue;
        const resolved = schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()] : schema;
        const p = path.replace('/api/v1', '').replace(/\{(\w+)\}/g, (_: string, n: string) => (n === 'key' ? 'auto_prune' : n === 'token' ? 'A'.repeat(43) : String(ids[path.split('/')[3]!] ?? 1)));
        targets.push({ method: method.toUpperCase(), path: p, fields: Object.keys(resolved?.properties ?? {}) });
      }
    }
    expect(targets.length).toBeGreaterThanOrEqual(15);
    const before = await rowCounts();
    const rand = prng(20261126);
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    for (let i = 0; i < 200; i++) {
      const t = targets[i % targets.length]!;
      const rawBody = malformedBody(rand, t.fields);
      const res = await call(t.method, t.path, { as: w.admin, rawBody, headers: { 'Content-Type': 'application/json' } });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status < 400 || res.status >= 500 || typeof res.body?.error?.code !== 'string' || typeof res.body?.error?.message !== 'string') {
        failures.push(`${t.method} ${t.path} ${rawBody.slice(0, 80)} → ${res.status} ${res.text.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(statuses.get(400)).toBeGreaterThan(100);
    expect(await rowCounts()).toEqual(before);
  });

  it('names invalid JSON, refuses other media types, and caps bodies at 1 MiB', async () => {
    const w = await buildWorld();
    const bad = await call('POST', '/schedules', { as: w.admin, rawBody: '{"name":', headers: { 'Content-Type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_json');
    const form = await call('POST', '/schedules', { as: w.admin, rawBody: 'name=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    const huge = await call('POST', '/schedules', { as: w.admin, rawBody: JSON.stringify({ name: 'x'.repeat(1024 * 1024) }), headers: { 'Content-Type': 'application/json' } });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('too_large');
    // Chunked (no Content-Length) is capped too.
    let chunks = 0;
    // Pull-based, so the producer stops when the Worker stops reading at the limit.
    const stream = new ReadableStream({
      pull(ctrl) {
        if (chunks++ < 20) ctrl.enqueue(new TextEncoder().encode('x'.repeat(100_000)));
        else ctrl.close();
      },
    });
    const res = await exports.default.fetch(new Request(`${ORIGIN}/api/v1/setup`, { method: 'POST', body: stream, headers: { 'Content-Type': 'application/json' }, duplex: 'half' } as RequestInit));
    expect(res.status).toBe(413);
    await res.text();
  });

  it('unknown routes and methods are JSON 404s; ids that are not ids are 400', async () => {
    const w = await buildWorld();
    const res = await get('/nothing-here', w.admin);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect((await get('/clients/abc', w.admin)).body.error.fields).toHaveProperty('id');
    expect((await get('/clients/-1', w.admin)).status).toBe(400);
    expect((await get('/clients/99999999999999999999', w.admin)).status).toBe(400);
    expect((await call('PUT', '/clients/1', { as: w.admin, body: {} })).status).toBe(404);
  });
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3.1 document built from the validating schemas, and a docs page', async () => {
    const doc = (await get('/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.schemas).toHaveProperty('Policy');
    const createClient = doc.paths['/api/v1/clients'].post.requestBody.content['application/json'].schema;
    expect(createClient.required).toEqual(['hostname']);
    expect(createClient.properties.port).toMatchObject({ type: 'integer', minimum: 1, maximum: 65535, default: 22 });
    expect(createClient.additionalProperties).toBe(false);
    const html = await exports.default.fetch(new Request(`${ORIGIN}/api/docs`));
    expect(html.headers.get('Content-Type')).toMatch(/text\/html/);
    const text = await html.text();
    expect(text).toContain('/api/v1/policies/{id}/launch');
    expect(text).toContain('operator');
    expect(text).not.toContain('<script');
  });
});
