import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { get, setupAdmin, type As } from './helpers';
import { buildWorld } from './fixtures';

async function seedJobs(n: number, clientId: number | null = null) {
  const stmts = [];
  for (let i = 0; i < n; i++) {
    stmts.push(env.DB.prepare("INSERT INTO jobs (type, status, launch_type, client_id, created) VALUES ('backup', ?, 'scheduled', ?, ?)").bind(i % 3 === 0 ? 'failed' : 'successful', clientId, 1_700_000_000_000 + (i % 7) * 1000));
  }
  for (let i = 0; i < stmts.length; i += 50) await env.DB.batch(stmts.slice(i, i + 50));
}

/** GET a `next`/`previous` link of a page. */
function follow(link: string, as: As) {
  const u = new URL(link, 'https://x');
  return get(u.pathname.replace('/api/v1', '') + u.search, as);
}

async function walk(url: string, as: As, dir: 'next' | 'previous' = 'next') {
  const pages: number[][] = [];
  let next: string | null = url;
  while (next) {
    const res = await follow(next, as);
    expect(res.status, res.text).toBe(200);
    pages.push(res.body.results.map((r: any) => r.id));
    next = res.body[dir];
  }
  return pages;
}

describe('keyset pagination', () => {
  it('walks every row exactly once, forwards and back, newest first for jobs', async () => {
    const admin = await setupAdmin();
    await seedJobs(130);
    const first = await get('/jobs?page_size=50', admin);
    expect(first.body.count).toBe(130);
    expect(first.body.previous).toBeNull();
    expect(first.body.next).toMatch(/^https:\/\/orchestrator\.test\/api\/v1\/jobs\?page_size=50&cursor=/);
    const pages = await walk('/api/v1/jobs?page_size=50', admin);
    expect(pages.map((p) => p.length)).toEqual([50, 50, 30]);
    const ids = pages.flat();
    expect(new Set(ids).size).toBe(130);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    // From the last page, previous links lead back through the same pages.
    const second = await follow(first.body.next, admin);
    const last = await follow(second.body.next, admin);
    expect(last.body.results).toHaveLength(30);
    expect(last.body.next).toBeNull();
    const back = await walk(last.body.previous, admin, 'previous');
    expect(back).toEqual([pages[1], pages[0]]);
  });

  it('stays stable while rows are inserted: no row skipped or repeated', async () => {
    const admin = await setupAdmin();
    await seedJobs(60);
    const p1 = await get('/jobs?page_size=25', admin);
    await seedJobs(40); // newer rows land before page 1, not inside the walk
    const rest = await walk(p1.body.next, admin);
    const seen = [...p1.body.results.map((r: any) => r.id), ...rest.flat()];
    expect(seen).toHaveLength(60);
    expect(new Set(seen).size).toBe(60);
  });

  it('orders by another field with id as tie-breaker, and filters with the cursor', async () => {
    const admin = await setupAdmin();
    await seedJobs(40);
    const pages = await walk('/api/v1/jobs?page_size=7&order_by=created', admin);
    const rows = pages.flat();
    expect(rows).toHaveLength(40);
    const all = (await env.DB.prepare('SELECT id, created FROM jobs ORDER BY created, id').all<{ id: number }>()).results.map((r) => r.id);
    expect(rows).toEqual(all);
    const failed = (await walk('/api/v1/jobs?page_size=4&status=failed', admin)).flat();
    expect(failed).toHaveLength(14);
    const expected = (await env.DB.prepare("SELECT id FROM jobs WHERE status = 'failed' ORDER BY id DESC").all<{ id: number }>()).results.map((r) => r.id);
    expect(failed).toEqual(expected);
  });

  it('refuses bad page sizes, cursors and orderings with a named field', async () => {
    const admin = await setupAdmin();
    const big = await get('/jobs?page_size=501', admin);
    expect(big.body.error.fields).toHaveProperty('page_size');
    expect((await get('/jobs?page_size=0', admin)).status).toBe(400);
    expect((await get('/jobs?page_size=abc', admin)).status).toBe(400);
    expect((await get('/jobs?page_size=500', admin)).status).toBe(200);
    expect((await get('/jobs?cursor=garbage', admin)).body.error.fields).toHaveProperty('cursor');
    expect((await get('/jobs?cursor=' + btoa('{"o":"-id","v":"x;DROP TABLE jobs","i":"1","d":"n"}'), admin)).status).toBe(400);
    expect((await get('/jobs?order_by=password_hash', admin)).body.error.fields.order_by[0]).toMatch(/Must be one of/);
    await seedJobs(3);
    const p = await get('/jobs?page_size=1', admin);
    const cursor = new URL(p.body.next).searchParams.get('cursor')!;
    const mismatch = await get(`/jobs?page_size=1&order_by=created&cursor=${cursor}`, admin);
    expect(mismatch.body.error.fields.cursor[0]).toMatch(/order_by/);
  });

  it('lists of every object page the same way', async () => {
    const w = await buildWorld();
    for (const kind of ['users', 'tokens', 'relays', 'clients', 'repositories', 'schedules', 'policies', 'audit']) {
      const res = await get(`/${kind}?page_size=1`, w.admin);
      expect(res.status, kind).toBe(200);
      expect(Object.keys(res.body).sort(), kind).toEqual(['count', 'count_exact', 'next', 'previous', 'results']);
    }
    const clients = await walk('/api/v1/clients?page_size=1&order_by=-hostname', w.admin);
    expect(clients).toEqual([[w.clientId], [w.client2Id]]);
    expect((await get('/clients?search=WEB1', w.admin)).body.count).toBe(1);
    expect((await get('/clients?search=%25', w.admin)).body.count).toBe(0);
    expect((await get('/clients?ready=false&enabled=true', w.admin)).body.count).toBe(2);
    expect((await get('/clients?ready=maybe', w.admin)).body.error.fields).toHaveProperty('ready');
  });
});

describe('counts', () => {
  it('are exact up to the cap and say so past it', async () => {
    const admin = await setupAdmin();
    await env.DB.prepare(
      "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 10005) INSERT INTO jobs (type, status, launch_type) SELECT 'backup', CASE WHEN n % 2 = 0 THEN 'failed' ELSE 'successful' END , 'scheduled' FROM seq",
    ).run();
    const all = await get('/jobs?page_size=1', admin);
    expect(all.body).toMatchObject({ count: 10_000, count_exact: false });
    const failed = await get('/jobs?page_size=1&status=failed', admin);
    expect(failed.body).toMatchObject({ count: 5002, count_exact: true });
  });
});
