/**
 * Sizes past D1's per-statement limit of 100 bound parameters and well past what a
 * statement-per-row batch could do: a policy with 150 clients, a page of 500 policies.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { get, post } from './helpers';
import { buildWorld } from './fixtures';

async function insertClients(n: number): Promise<number[]> {
  await env.DB.prepare(
    `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
     INSERT INTO clients (hostname, relay_id, ready) SELECT 'bulk' || i || '.example.com', 1, 1 FROM seq`,
  )
    .bind(n)
    .run();
  const { results } = await env.DB.prepare("SELECT id FROM clients WHERE hostname LIKE 'bulk%' ORDER BY id").all<{ id: number }>();
  return results.map((r) => r.id);
}

describe('large policies and pages', () => {
  it('a policy with 150 clients is created, listed and launched in one atomic batch', async () => {
    const w = await buildWorld({ ready: true });
    const ids = await insertClients(150);
    const res = await post('/policies', { name: 'big', type: 'config', schedule: w.scheduleId, repository: w.repositoryId, clients: ids, keep_daily: 3 }, w.admin);
    expect(res.status, res.text).toBe(201);
    expect(res.body.clients).toHaveLength(150);
    expect((await get(`/clients?policy=${res.body.id}&page_size=500`, w.admin)).body.count).toBe(150);

    const launch = await post(`/policies/${res.body.id}/launch`, {}, w.admin);
    expect(launch.status, launch.text.slice(0, 300)).toBe(201);
    const jobs = launch.body.jobs as any[];
    // backup, catalog, prune per client, and one compact.
    expect(jobs).toHaveLength(150 * 3 + 1);
    const compact = jobs.at(-1);
    expect((await get(`/jobs/${compact.id}`, w.admin)).body.depends_on).toHaveLength(150);
    const backups = jobs.filter((j) => j.type === 'backup');
    for (const b of [backups[0], backups[77], backups[149]]) {
      const chain = (await get(`/jobs?master_job=${b.id}`, w.admin)).body.results.map((j: any) => j.type).sort();
      expect(chain).toEqual(['catalog', 'prune']);
    }
    // A second launch is refused for all of them, and nothing was half-written.
    const again = await post(`/policies/${res.body.id}/launch`, {}, w.admin);
    expect(again.status).toBe(409);
    expect((await get('/jobs?page_size=1', w.admin)).body.count).toBe(451);
    // Canceling a backup cancels its own chain, and compact which waited on every prune.
    expect((await post(`/jobs/${backups[5].id}/cancel`, {}, w.admin)).status).toBe(200);
    expect((await get(`/jobs/${compact.id}`, w.admin)).body.status).toBe('canceled');
  });

  it('a page of 500 policies with their clients, schedules and repositories', async () => {
    const w = await buildWorld({ ready: true });
    const [c1, c2] = await insertClients(2);
    await env.DB.prepare(
      `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 520)
       INSERT INTO policies (name, type, schedule_id, repository_id, options, secrets) SELECT 'p' || i, 'rootfs', ?, ?, '{"excludes":[]}', '{}' FROM seq`,
    )
      .bind(w.scheduleId, w.repositoryId)
      .run();
    await env.DB.prepare("INSERT INTO policy_clients (policy_id, client_id) SELECT id, ? FROM policies WHERE name LIKE 'p%'").bind(c1).run();
    await env.DB.prepare("INSERT INTO policy_clients (policy_id, client_id) SELECT id, ? FROM policies WHERE name LIKE 'p%'").bind(c2).run();
    const page = await get('/policies?page_size=500', w.admin);
    expect(page.status, page.text.slice(0, 300)).toBe(200);
    expect(page.body.results).toHaveLength(500);
    expect(page.body.results[499].clients).toEqual([c1, c2]);
    expect(page.body.results.every((p: any) => p.usable)).toBe(true);
  });
});
