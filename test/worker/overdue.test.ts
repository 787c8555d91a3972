/**
 * Overdue clients through the API: each client's last successful backup per policy and
 * its `overdue` flag (GET /clients/{id} and the list), `GET /clients?overdue=`, and the
 * SQL filter held to the same answers as the pure rule (worker/jobs/overdue.ts) at the
 * boundary, with the index that keeps it cheap however many jobs there are.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { backupStates, overdueFilter } from '../../worker/api/clients/backups';
import { openDb } from '../../worker/db/client';
import { clients } from '../../worker/db/schema';
import { get, patch } from './helpers';
import { buildWorld, create, type World } from './fixtures';

const H = 3_600_000;
const LONG_AGO = Date.now() - 1000 * H;

/**
 * test/worker/setup.ts replays only 0001_seed before each test, so the settings that
 * later migrations insert (overdue_hours, in 0005) are missing: insert them as 0005 does.
 */
async function scheduleSettings() {
  const inserts = env.TEST_MIGRATIONS.flatMap((m) => m.queries).filter((q) => /INSERT OR IGNORE INTO `settings`/.test(q) && q.includes("'overdue_hours'"));
  expect(inserts).toHaveLength(1);
  await env.DB.prepare(inserts[0]!).run();
}

async function job(client: number, policy: number | null, finishedHoursAgo: number, status = 'successful', type = 'backup') {
  await env.DB.prepare("INSERT INTO jobs (type, status, launch_type, client_id, policy_id, finished) VALUES (?, ?, 'scheduled', ?, ?, ?)")
    .bind(type, status, client, policy, Date.now() - finishedHoursAgo * H)
    .run();
}

async function backdate(table: 'clients' | 'policies', id: number, at = LONG_AGO) {
  await env.DB.prepare(`UPDATE ${table} SET created = ? WHERE id = ?`).bind(at, id).run();
}

/**
 * A world with one client per case. Policy `web` (daily, the 26 h setting) is old unless
 * said otherwise; so are the clients.
 */
async function overdueWorld() {
  const w = await buildWorld({ ready: true });
  await scheduleSettings();
  const a = w.admin;
  const host = async (name: string, enabled = true) => (await create('/clients', { hostname: `${name}.example.com`, enabled }, a)).id as number;
  const ids = {
    fresh: w.clientId, // web: success 2 h ago
    stale: w.client2Id, // web: success 30 h ago, newer failures and a newer successful prune
    never: await host('never'), // old client on web, never backed up
    newcomer: await host('newcomer'), // created now, on web, never backed up
    weekly: await host('weekly'), // weekly policy (200 h): success 100 h ago
    disabledPolicy: await host('disabled-policy'), // only on a disabled policy, stale
    pausedSchedule: await host('paused-schedule'), // only on a policy whose schedule is disabled
    disabledClient: await host('disabled-client', false), // web, stale, but the client is disabled
    alone: await host('alone'), // on no policy
  };
  const webClients = [ids.fresh, ids.stale, ids.never, ids.newcomer, ids.disabledClient];
  expect((await patch(`/policies/${w.policyId}`, { clients: webClients }, a)).status).toBe(200);
  const weekly = await create('/policies', { name: 'weekly', type: 'config', schedule: w.scheduleId, repository: w.repositoryId, clients: [ids.weekly, ids.fresh], expected_interval_hours: 200 }, a);
  const off = await create('/policies', { name: 'off', type: 'config', schedule: w.scheduleId, repository: w.repositoryId, clients: [ids.disabledPolicy], enabled: false }, a);
  const paused = await create('/schedules', { name: 'paused', crontab: '0 3 * * *', enabled: false }, a);
  const pausedPolicy = await create('/policies', { name: 'paused', type: 'config', schedule: paused.id, repository: w.repositoryId, clients: [ids.pausedSchedule] }, a);
  for (const p of [w.policyId, weekly.id, off.id, pausedPolicy.id]) await backdate('policies', p);
  for (const [name, id] of Object.entries(ids)) if (name !== 'newcomer') await backdate('clients', id);

  await job(ids.fresh, w.policyId, 50);
  await job(ids.fresh, w.policyId, 2);
  await job(ids.fresh, weekly.id, 10);
  await job(ids.stale, w.policyId, 30);
  await job(ids.stale, w.policyId, 40);
  await job(ids.stale, w.policyId, 1, 'failed');
  await job(ids.stale, w.policyId, 0.5, 'canceled');
  await job(ids.stale, w.policyId, 1, 'successful', 'prune');
  // A successful backup of another policy, or of a deleted one (policy_id null), is not web's.
  await job(ids.stale, weekly.id, 1);
  await job(ids.stale, null, 1);
  await job(ids.weekly, weekly.id, 100);
  await job(ids.disabledPolicy, off.id, 500);
  await job(ids.disabledClient, w.policyId, 500);
  return { w, ids, policies: { web: w.policyId, weekly: weekly.id, off: off.id, paused: pausedPolicy.id } };
}

const OVERDUE = ['stale', 'never'];

describe('client backups and overdue flag', () => {
  it('shows the last successful backup per enabled policy, its interval and whether it is overdue', async () => {
    const { w, ids, policies } = await overdueWorld();
    const fresh = (await get(`/clients/${ids.fresh}`, w.admin)).body;
    expect(fresh.overdue).toBe(false);
    expect(fresh.backups).toHaveLength(2);
    expect(fresh.backups.map((b: any) => [b.policy, b.policy_name, b.expected_interval_hours, b.overdue])).toEqual([
      [policies.web, 'web', 26, false],
      [policies.weekly, 'weekly', 200, false],
    ]);
    // The newest success, to the millisecond, as ISO.
    const newest = await env.DB.prepare("SELECT max(finished) AS f FROM jobs WHERE client_id = ? AND policy_id = ? AND status = 'successful'").bind(ids.fresh, policies.web).first<{ f: number }>();
    expect(fresh.backups[0].last_success).toBe(new Date(newest!.f).toISOString());

    const stale = (await get(`/clients/${ids.stale}`, w.admin)).body;
    expect(stale.overdue).toBe(true);
    expect(stale.backups).toHaveLength(1);
    // Newer failures, cancels, prunes and other policies' backups do not count.
    expect(Date.now() - Date.parse(stale.backups[0].last_success)).toBeGreaterThan(30 * H - 60_000);
    expect(stale.backups[0]).toMatchObject({ policy: policies.web, overdue: true, expected_interval_hours: 26 });

    const never = (await get(`/clients/${ids.never}`, w.admin)).body;
    expect(never).toMatchObject({ overdue: true, backups: [{ policy: policies.web, last_success: null, overdue: true }] });
    // On an old policy, but the client is new: not overdue before one interval.
    expect((await get(`/clients/${ids.newcomer}`, w.admin)).body).toMatchObject({ overdue: false, backups: [{ last_success: null, overdue: false }] });
    expect((await get(`/clients/${ids.weekly}`, w.admin)).body).toMatchObject({ overdue: false, backups: [{ policy: policies.weekly, expected_interval_hours: 200, overdue: false }] });
    expect((await get(`/clients/${ids.disabledPolicy}`, w.admin)).body).toMatchObject({ overdue: false, backups: [] });
    expect((await get(`/clients/${ids.pausedSchedule}`, w.admin)).body).toMatchObject({ overdue: false, backups: [] });
    const disabled = (await get(`/clients/${ids.disabledClient}`, w.admin)).body;
    expect(disabled).toMatchObject({ enabled: false, overdue: false, backups: [{ policy: policies.web, overdue: false }] });
    expect(disabled.backups[0].last_success).not.toBeNull();
    expect((await get(`/clients/${ids.alone}`, w.admin)).body).toMatchObject({ overdue: false, backups: [] });

    // The list carries the same fields; create and update answer with them too.
    const list = (await get('/clients?page_size=500', w.admin)).body.results as any[];
    expect(list.find((c) => c.id === ids.stale)).toMatchObject({ overdue: true, backups: stale.backups });
    const created = await create('/clients', { hostname: 'brand-new.example.com' }, w.admin);
    expect(created).toMatchObject({ backups: [], overdue: false });
    expect((await patch(`/clients/${ids.stale}`, { bandwidth_limit: 100 }, w.admin)).body).toMatchObject({ overdue: true, backups: stale.backups });
  });

  it('a new policy is not overdue at once; a new success clears the flag', async () => {
    const w = await buildWorld({ ready: true });
    // Policy and clients just created, never backed up.
    expect((await get(`/clients/${w.clientId}`, w.admin)).body).toMatchObject({ overdue: false, backups: [{ policy: w.policyId, last_success: null, overdue: false }] });
    await backdate('policies', w.policyId);
    await backdate('clients', w.clientId);
    expect((await get(`/clients/${w.clientId}`, w.admin)).body.overdue).toBe(true);
    await job(w.clientId, w.policyId, 0);
    expect((await get(`/clients/${w.clientId}`, w.admin)).body.overdue).toBe(false);
  });

  it('the policy override and the overdue_hours setting move the threshold; disabling a policy or schedule clears it', async () => {
    const { w, ids, policies } = await overdueWorld();
    expect((await get(`/clients/${ids.stale}`, w.admin)).body.overdue).toBe(true);
    expect((await get('/settings/overdue_hours', w.admin)).body.value).toBe(26);
    expect((await patch('/settings/overdue_hours', { value: 48 }, w.admin)).status).toBe(200);
    const relaxed = (await get(`/clients/${ids.stale}`, w.admin)).body;
    expect(relaxed).toMatchObject({ overdue: false, backups: [{ expected_interval_hours: 48, overdue: false }] });
    expect((await patch(`/policies/${policies.web}`, { expected_interval_hours: 12 }, w.admin)).status).toBe(200);
    expect((await get(`/clients/${ids.stale}`, w.admin)).body).toMatchObject({ overdue: true, backups: [{ expected_interval_hours: 12 }] });
    // 2 h old backup of `fresh` is fine under 12 h.
    expect((await get(`/clients/${ids.fresh}`, w.admin)).body.overdue).toBe(false);
    expect((await patch(`/policies/${policies.web}`, { enabled: false }, w.admin)).status).toBe(200);
    expect((await get(`/clients/${ids.stale}`, w.admin)).body).toMatchObject({ overdue: false, backups: [] });
    expect((await patch(`/policies/${policies.web}`, { enabled: true }, w.admin)).status).toBe(200);
    expect((await patch(`/schedules/${w.scheduleId}`, { enabled: false }, w.admin)).status).toBe(200);
    expect((await get(`/clients/${ids.stale}`, w.admin)).body).toMatchObject({ overdue: false, backups: [] });
  });
});

describe('GET /clients?overdue=', () => {
  it('lists exactly the overdue clients (or the others), with counts and keyset pages', async () => {
    const { w, ids } = await overdueWorld();
    const name = (id: number) => Object.entries(ids).find(([, v]) => v === id)![0];
    const yes = (await get('/clients?overdue=true', w.admin)).body;
    expect(yes.results.map((c: any) => name(c.id)).sort()).toEqual([...OVERDUE].sort());
    expect(yes).toMatchObject({ count: 2, count_exact: true });
    expect(yes.results.every((c: any) => c.overdue)).toBe(true);
    const no = (await get('/clients?overdue=false&page_size=500', w.admin)).body;
    expect(no.count).toBe(Object.keys(ids).length - OVERDUE.length);
    expect(no.results.some((c: any) => c.overdue)).toBe(false);
    expect((await get('/clients?overdue=1', w.admin)).body.count).toBe(2);
    expect((await get('/clients?overdue=0', w.admin)).body.count).toBe(no.count);

    // Keyset pages: one at a time, forwards, ordered by hostname; then back.
    const seen: number[] = [];
    let page = (await get('/clients?overdue=true&page_size=1&order_by=-hostname', w.admin)).body;
    seen.push(...page.results.map((c: any) => c.id));
    expect(page.count).toBe(2);
    while (page.next) {
      page = (await get(page.next.replace(/^.*\/api\/v1/, ''), w.admin)).body;
      seen.push(...page.results.map((c: any) => c.id));
    }
    // -hostname: never.example.com sorts after 10.0.0.2 (stale), so it comes first.
    expect(seen).toEqual([ids.never, ids.stale]);
    const back = (await get(page.previous.replace(/^.*\/api\/v1/, ''), w.admin)).body;
    expect(back.results.map((c: any) => c.id)).toEqual([seen[0]]);

    // Combined with other filters.
    expect((await get(`/clients?overdue=true&policy=${w.policyId}`, w.admin)).body.count).toBe(2);
    expect((await get('/clients?overdue=true&search=never', w.admin)).body.results.map((c: any) => c.id)).toEqual([ids.never]);
    expect((await get('/clients?overdue=true&enabled=false', w.admin)).body.count).toBe(0);

    // A new success takes a client off the list.
    await job(ids.never, w.policyId, 0);
    expect((await get('/clients?overdue=true', w.admin)).body.results.map((c: any) => c.id)).toEqual([ids.stale]);

    const bad = await get('/clients?overdue=maybe', w.admin);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toHaveProperty('overdue');
    expect((await get('/clients?overdue=true')).status).toBe(401);
  });

  it('the SQL filter and the pure rule agree at the boundary, for every case', async () => {
    const { ids } = await overdueWorld();
    const db = openDb(env.DB);
    const rows = await db.select().from(clients);
    // Each case's reference time: its newest success, or the later creation.
    const times = (await env.DB.prepare("SELECT finished FROM jobs WHERE finished IS NOT NULL UNION SELECT created FROM policies UNION SELECT created FROM clients").all<{ finished: number }>()).results.map((r) => r.finished);
    let compared = 0;
    for (const hours of [26, 200]) {
      for (const t of times) {
        for (const now of [t + hours * H - 1, t + hours * H, t + hours * H + 1]) {
          const at = new Date(now);
          const sqlSays = new Set((await db.select({ id: clients.id }).from(clients).where(overdueFilter(at, hours))).map((r) => r.id));
          const states = await backupStates(db, rows, hours, at);
          for (const row of rows) {
            expect(sqlSays.has(row.id), `client ${row.id} at ${at.toISOString()} (${hours} h)`).toBe(states.get(row.id)!.overdue);
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(500);
    expect(Object.keys(ids)).toHaveLength(rows.length);
  });

  it('reads the newest success from jobs_last_success_idx, not by scanning jobs', async () => {
    await overdueWorld();
    const db = openDb(env.DB);
    const plan = async (query: { toSQL(): { sql: string; params: unknown[] } }) => {
      const { sql, params } = query.toSQL();
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
      return results.map((r) => r.detail);
    };
    const filter = await plan(db.select({ id: clients.id }).from(clients).where(overdueFilter(new Date(), 26)));
    expect(filter.some((d) => /jobs_last_success_idx/.test(d)), filter.join('\n')).toBe(true);
    // From each client's own links to its policies by id, never a walk over every policy.
    expect(filter.some((d) => /SEARCH opc USING .*INDEX policy_clients_client_idx \(client_id=\?\)/.test(d)), filter.join('\n')).toBe(true);
    expect(filter.some((d) => /SEARCH op USING INTEGER PRIMARY KEY/.test(d)), filter.join('\n')).toBe(true);
    expect(filter.some((d) => /SCAN (ls|jobs)\b/.test(d)), filter.join('\n')).toBe(false);
    // The loader's query: capture it by running backupStates against a recording D1.
    const statements: { sql: string; params: unknown[] }[] = [];
    const recording = new Proxy(env.DB, {
      get(target, key) {
        if (key === 'prepare') {
          return (sql: string) => {
            const stmt = target.prepare(sql);
            return new Proxy(stmt, {
              get(s, k) {
                if (k === 'bind') return (...params: unknown[]) => (statements.push({ sql, params }), s.bind(...params));
                const v = Reflect.get(s, k);
                return typeof v === 'function' ? v.bind(s) : v;
              },
            });
          };
        }
        const v = Reflect.get(target, key);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const rows = await db.select().from(clients);
    await backupStates(openDb(recording as D1Database), rows, 26, new Date());
    const loader = statements.find((s) => s.sql.includes('policy_clients'))!;
    const loaderPlan = await plan({ toSQL: () => loader });
    expect(loaderPlan.some((d) => /jobs_last_success_idx/.test(d)), loaderPlan.join('\n')).toBe(true);
    expect(loaderPlan.some((d) => /SEARCH policy_clients USING .*INDEX policy_clients_client_idx/.test(d)), loaderPlan.join('\n')).toBe(true);
    expect(loaderPlan.some((d) => /SEARCH policies USING INTEGER PRIMARY KEY/.test(d)), loaderPlan.join('\n')).toBe(true);
    expect(loaderPlan.some((d) => /SCAN (ls|jobs)\b/.test(d)), loaderPlan.join('\n')).toBe(false);
  });

  it('stays cheap with many jobs and policies: 200 clients × 2 policies, 100,000 jobs, 2,000 other policies', async () => {
    const w: World = await buildWorld({ ready: true });
    await env.DB.prepare(
      `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 200)
       INSERT INTO clients (hostname, relay_id, ready, created) SELECT 'bulk' || i || '.example.com', 1, 1, ? FROM seq`,
    )
      .bind(LONG_AGO)
      .run();
    const second = await create('/policies', { name: 'second', type: 'config', schedule: w.scheduleId, repository: w.repositoryId }, w.admin);
    await env.DB.prepare("INSERT INTO policy_clients (policy_id, client_id) SELECT ?, id FROM clients WHERE hostname LIKE 'bulk%'").bind(w.policyId).run();
    await env.DB.prepare("INSERT INTO policy_clients (policy_id, client_id) SELECT ?, id FROM clients WHERE hostname LIKE 'bulk%'").bind(second.id).run();
    // Many other enabled policies, none of these clients': the filter must not walk them per client.
    await env.DB.prepare(
      `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 2000)
       INSERT INTO policies (name, type, schedule_id, repository_id, options, secrets) SELECT 'extra' || i, 'config', ?, ?, '{"excludes":[]}', '{}' FROM seq`,
    )
      .bind(w.scheduleId, w.repositoryId)
      .run();
    await env.DB.prepare('UPDATE policies SET created = ?').bind(LONG_AGO).run();
    // 250 jobs per (client, policy): backups, mostly successful, hourly until 30 h ago;
    // for the even-numbered bulk clients a last success 1 h ago on both policies.
    await env.DB.prepare(
      `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < 249)
       INSERT INTO jobs (type, status, launch_type, client_id, policy_id, finished)
       SELECT 'backup', CASE WHEN seq.i % 5 = 0 THEN 'failed' ELSE 'successful' END, 'scheduled', pc.client_id, pc.policy_id,
              ?1 - (30 + seq.i) * 3600000
       FROM seq JOIN policy_clients pc JOIN clients c ON c.id = pc.client_id WHERE c.hostname LIKE 'bulk%'`,
    )
      .bind(Date.now())
      .run();
    await env.DB.prepare(
      `INSERT INTO jobs (type, status, launch_type, client_id, policy_id, finished)
       SELECT 'backup', 'successful', 'scheduled', pc.client_id, pc.policy_id, ?1 FROM policy_clients pc JOIN clients c ON c.id = pc.client_id
       WHERE c.hostname LIKE 'bulk%' AND CAST(substr(c.hostname, 5) AS INTEGER) % 2 = 0`,
    )
      .bind(Date.now() - H)
      .run();
    expect((await env.DB.prepare('SELECT count(*) AS n FROM jobs').first<{ n: number }>())!.n).toBeGreaterThanOrEqual(100_000);
    const started = Date.now();
    const overdue = await get('/clients?overdue=true&page_size=500', w.admin);
    const elapsed = Date.now() - started;
    expect(overdue.status, overdue.text.slice(0, 300)).toBe(200);
    expect(overdue.body.count).toBe(100);
    expect(overdue.body.results.every((c: any) => c.backups.length === 2 && c.backups.every((b: any) => b.overdue))).toBe(true);
    expect((await get('/clients?overdue=false&search=bulk&page_size=500', w.admin)).body.count).toBe(100);
    // Generous: the point is index seeks, not a scan of 100,000 jobs per client (which takes minutes).
    expect(elapsed).toBeLessThan(5000);
  });
});
