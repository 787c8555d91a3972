import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { taskManagerFor } from '../../worker/taskmanager/TaskManager';
import { call, del, get, patch, post, userWithRole } from './helpers';
import { buildWorld } from './fixtures';


async function setStatus(id: number, status: string, extra = '') {
  await env.DB.prepare(`UPDATE jobs SET status = ?${extra} WHERE id = ?`).bind(status, id).run();
}

describe('launching a policy', () => {
  it('creates the whole chain for not-ready objects, in dependency order', async () => {
    const w = await buildWorld();
    const op = await userWithRole(w.admin, 'operator');
    const res = await post(`/policies/${w.policyId}/launch`, {}, op.session);
    expect(res.status, res.text).toBe(201);
    const jobs = res.body.jobs as any[];
    expect(jobs.map((j) => `${j.type}:${j.client ?? '-'}`)).toEqual([
      'prepare_repository:-',
      `prepare_client:${w.clientId}`,
      `backup:${w.clientId}`,
      `catalog:${w.clientId}`,
      `prune:${w.clientId}`,
      `prepare_client:${w.client2Id}`,
      `backup:${w.client2Id}`,
      `catalog:${w.client2Id}`,
      `prune:${w.client2Id}`,
      'compact:-',
    ]);
    const byKey = Object.fromEntries(jobs.map((j) => [`${j.type}:${j.client ?? '-'}`, j]));
    const backup = byKey[`backup:${w.clientId}`];
    expect(backup).toMatchObject({ status: 'waiting', launch_type: 'manual', attempt: 1, relay: 1, repository: w.repositoryId, policy: w.policyId });
    expect(backup.archive_name).toMatch(/^rootfs-web1\.example\.com-\d{4}-\d\d-\d\d_\d\d-\d\d$/);
    expect(byKey['prepare_repository:-'].status).toBe('pending');
    expect(byKey[`catalog:${w.clientId}`].master_job).toBe(backup.id);
    expect(byKey[`prune:${w.clientId}`].master_job).toBe(backup.id);

    const detail = await get(`/jobs/${backup.id}`, op.session);
    expect(detail.body.depends_on).toEqual([byKey[`prepare_client:${w.clientId}`].id]);
    const compact = await get(`/jobs/${byKey['compact:-'].id}`, op.session);
    expect(compact.body.depends_on).toEqual([byKey[`prune:${w.clientId}`].id, byKey[`prune:${w.client2Id}`].id]);
    const prepClient = await get(`/jobs/${byKey[`prepare_client:${w.clientId}`].id}`, op.session);
    expect(prepClient.body.depends_on).toEqual([byKey['prepare_repository:-'].id]);

    const audit = await get('/audit?action=launch', w.admin);
    expect(audit.body.results[0]).toMatchObject({ object_type: 'policy', object_id: w.policyId, actor: op.email });
  });

  it('skips prepare for ready objects and follows the settings for catalog/prune/compact', async () => {
    const w = await buildWorld({ ready: true });
    await patch('/settings/catalog_enabled', { value: false }, w.admin);
    await patch('/settings/auto_compact', { value: false }, w.admin);
    const res = await post(`/policies/${w.policyId}/launch`, {}, w.admin);
    expect(res.body.jobs.map((j: any) => j.type)).toEqual(['backup', 'prune', 'backup', 'prune']);
    expect(res.body.jobs[0].status).toBe('pending');
  });

  it('409 with the reason when something it needs is disabled, or a client is busy', async () => {
    const w = await buildWorld({ ready: true });
    const first = await post(`/policies/${w.policyId}/launch`, {}, w.admin);
    expect(first.status).toBe(201);
    const busy = await post(`/policies/${w.policyId}/launch`, {}, w.admin);
    expect(busy.status).toBe(409);
    expect(busy.body.error.message).toMatch(/web1\.example\.com/);
    expect((await get('/jobs', w.admin)).body.count).toBe(first.body.jobs.length);

    for (const j of first.body.jobs) await setStatus(j.id, 'successful');
    const cases: [string, unknown, RegExp][] = [
      [`/policies/${w.policyId}`, { enabled: false }, /Policy web is disabled/],
      [`/schedules/${w.scheduleId}`, { enabled: false }, /Schedule nightly .*disabled/],
      [`/repositories/${w.repositoryId}`, { enabled: false }, /Repository main .*disabled/],
      ['/relays/1', { enabled: false }, /Relay default .*disabled/],
    ];
    for (const [path, body, reason] of cases) {
      await patch(path, body, w.admin);
      const res = await post(`/policies/${w.policyId}/launch`, {}, w.admin);
      expect(res.status).toBe(409);
      expect(res.body.error.message).toMatch(reason);
      await patch(path, { enabled: true }, w.admin);
    }
    await patch(`/clients/${w.clientId}`, { enabled: false }, w.admin);
    await patch(`/clients/${w.client2Id}`, { enabled: false }, w.admin);
    const none = await post(`/policies/${w.policyId}/launch`, {}, w.admin);
    expect(none.body.error.message).toMatch(/No client of this policy is enabled/);
    await patch(`/clients/${w.client2Id}`, { enabled: true }, w.admin);
    const one = await post(`/policies/${w.policyId}/launch`, {}, w.admin);
    expect(one.status).toBe(201);
    expect(one.body.jobs.filter((j: any) => j.type === 'backup').map((j: any) => j.client)).toEqual([w.client2Id]);
    expect((await post('/policies/999999/launch', {}, w.admin)).status).toBe(404);
  });
});

describe('cancel and relaunch', () => {
  it('cancels a job that has not started, with the jobs waiting on it', async () => {
    const w = await buildWorld({ ready: true });
    const jobs = (await post(`/policies/${w.policyId}/launch`, {}, w.admin)).body.jobs as any[];
    const backup = jobs[0];
    const res = await post(`/jobs/${backup.id}/cancel`, {}, w.admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'canceled', cancel_requested: true });
    expect(res.body.finished).not.toBeNull();
    const chain = (await get(`/jobs?master_job=${backup.id}`, w.admin)).body.results;
    expect(chain.map((j: any) => j.status)).toEqual(['canceled', 'canceled']);
    // compact waited on both prunes: canceled too (it would wait forever).
    const compact = jobs.find((j) => j.type === 'compact');
    expect((await get(`/jobs/${compact.id}`, w.admin)).body.status).toBe('canceled');
    // The other client's chain is untouched.
    expect((await get(`/jobs/${jobs[3].id}`, w.admin)).body.status).toBe('pending');
    expect((await post(`/jobs/${backup.id}/cancel`, {}, w.admin)).status).toBe(409);
  });

  it('asks the relay to stop a running job (202) and relaunches only ended jobs', async () => {
    const w = await buildWorld({ ready: true });
    const jobs = (await post(`/policies/${w.policyId}/launch`, {}, w.admin)).body.jobs as any[];
    await setStatus(jobs[0].id, 'running');
    const res = await post(`/jobs/${jobs[0].id}/cancel`, {}, w.admin);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'running', cancel_requested: true });
    expect((await post(`/jobs/${jobs[0].id}/relaunch`, {}, w.admin)).status).toBe(409);

    for (const j of jobs) await setStatus(j.id, 'failed');
    const again = await post(`/jobs/${jobs[0].id}/relaunch`, {}, w.admin);
    expect(again.status, again.text).toBe(201);
    const backup = again.body.jobs.find((j: any) => j.type === 'backup');
    expect(backup).toMatchObject({ launch_type: 'relaunch', attempt: 2, relaunch_of: jobs[0].id, client: w.clientId });
    expect(backup.archive_name).toBe(`${jobs[0].archive_name}-r2`);
    expect(again.body.jobs.map((j: any) => j.type)).toEqual(['backup', 'catalog', 'prune', 'compact']);
    expect((await post(`/jobs/${jobs[0].id}/relaunch`, {}, w.admin)).status).toBe(409);
    expect((await post('/jobs/999999/relaunch', {}, w.admin)).status).toBe(404);
  });
});

describe('job lists', () => {
  it('filter by status, type, client, policy, repository', async () => {
    const w = await buildWorld({ ready: true });
    const jobs = (await post(`/policies/${w.policyId}/launch`, {}, w.admin)).body.jobs as any[];
    await setStatus(jobs[0].id, 'failed');
    const q = async (s: string) => (await get(`/jobs?${s}`, w.admin)).body;
    expect((await q('status=failed')).results.map((j: any) => j.id)).toEqual([jobs[0].id]);
    expect((await q('status=failed,pending')).count).toBe(2);
    expect((await q('type=backup')).count).toBe(2);
    expect((await q('type=backup,prune')).count).toBe(4);
    expect((await q(`client=${w.client2Id}`)).count).toBe(3);
    expect((await q(`policy=${w.policyId}&repository=${w.repositoryId}`)).count).toBe(jobs.length);
    expect((await q('type=backup&status=pending')).results[0].client).toBe(w.client2Id);
    const bad = await get('/jobs?status=exploded&client=abc', w.admin);
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.error.fields).sort()).toEqual(['client', 'status']);
  });
});

describe('job output', () => {
  it('serves stored lines as text or JSON, by range, and as a download', async () => {
    const w = await buildWorld({ ready: true });
    // A job that waits for its chain: the TaskManager writes no waiting line into its output.
    const job = (await post(`/policies/${w.policyId}/launch`, {}, w.admin)).body.jobs[1];
    const tm = taskManagerFor(env, 1);
    const now = Date.now();
    const lines = Array.from({ length: 12_000 }, (_, i) => ({ stream: (i % 10 === 0 ? 'stderr' : 'stdout') as 'stdout' | 'stderr', text: `line ${i + 1} <b>&</b>`, time: now + i }));
    for (let i = 0; i < lines.length; i += 2000) await tm.appendLines(job.id, lines.slice(i, i + 2000));

    const txt = await call('GET', `/jobs/${job.id}/stdout?start_line=2&end_line=4`, { as: w.admin });
    expect(txt.status).toBe(200);
    expect(txt.headers.get('Content-Type')).toMatch(/^text\/plain/);
    expect(txt.text).toBe('line 2 <b>&</b>\nline 3 <b>&</b>\nline 4 <b>&</b>\n');
    const json = await get(`/jobs/${job.id}/stdout?format=json&start_line=11&end_line=11`, w.admin);
    expect(json.body).toMatchObject({ job: job.id, total_lines: 12_000, start_line: 11, end_line: 11, truncated: false });
    expect(json.body.lines).toEqual([{ line: 11, time: new Date(now + 10).toISOString(), stream: 'stderr', text: 'line 11 <b>&</b>' }]);
    const capped = await get(`/jobs/${job.id}/stdout?format=json`, w.admin);
    expect(capped.body.lines).toHaveLength(10_000);
    expect(capped.body.truncated).toBe(true);
    const download = await call('GET', `/jobs/${job.id}/stdout?download=true`, { as: w.admin });
    expect(download.headers.get('Content-Disposition')).toBe(`attachment; filename="job-${job.id}.txt"`);
    expect(download.text.split('\n').filter(Boolean)).toHaveLength(12_000);
    const bad = await get(`/jobs/${job.id}/stdout?start_line=5&end_line=2&format=xml`, w.admin);
    expect(Object.keys(bad.body.error.fields).sort()).toEqual(['format']);
    expect((await get(`/jobs/${job.id}/stdout?start_line=5&end_line=2`, w.admin)).body.error.fields).toHaveProperty('end_line');
    expect((await get('/jobs/999999/stdout', w.admin)).status).toBe(404);
    // Another job's output is separate.
    const other = await get(`/jobs/${job.id + 1}/stdout?format=json`, w.admin);
    expect(other.body.total_lines).toBe(0);
  });
});

describe('prepare and the readiness token', () => {
  it('a prepare job prints a one-time curl that marks the client ready, once', async () => {
    const w = await buildWorld();
    const op = await userWithRole(w.admin, 'operator');
    const res = await post(`/clients/${w.clientId}/prepare`, {}, op.session);
    expect(res.status, res.text).toBe(201);
    expect(res.body.job).toMatchObject({ type: 'prepare_client', status: 'pending', client: w.clientId });
    expect(res.body.readiness.curl).toContain(res.body.readiness.url);
    expect((await post(`/clients/${w.clientId}/prepare`, {}, op.session)).status).toBe(409);
    const token = new URL(res.body.readiness.url).pathname.split('/').pop()!;
    const row = await env.DB.prepare('SELECT token_hash FROM readiness_tokens').first<{ token_hash: string }>();
    expect(row!.token_hash).not.toContain(token);

    const bad = await call('POST', `/ready/${token}`, { body: { ip: 'not an ip', borg_version: 'x' } });
    expect(bad.status).toBe(400);
    const ok = await call('POST', `/ready/${token}`, { body: { ip: '192.0.2.7', borg_version: '1.2.4' } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toEqual({ object: 'client', id: w.clientId, ready: true });
    expect((await get(`/clients/${w.clientId}`, w.admin)).body).toMatchObject({ ready: true, ip: '192.0.2.7', borg_version: '1.2.4' });
    const twice = await call('POST', `/ready/${token}`, {});
    expect(twice.status).toBe(404);
    expect((await call('POST', `/ready/${'A'.repeat(43)}`, {})).status).toBe(404);
    expect((await call('POST', '/ready/short', {})).status).toBe(404);
  });

  it('expires, and dies with a canceled prepare job; repositories work the same', async () => {
    const w = await buildWorld();
    const r1 = await post(`/repositories/${w.repositoryId}/prepare`, {}, w.admin);
    expect(r1.body.job.type).toBe('prepare_repository');
    const t1 = new URL(r1.body.readiness.url).pathname.split('/').pop()!;
    await env.DB.prepare('UPDATE readiness_tokens SET expires = ?').bind(Date.now() - 1).run();
    expect((await call('POST', `/ready/${t1}`, {})).status).toBe(404);
    await post(`/jobs/${r1.body.job.id}/cancel`, {}, w.admin);

    const r2 = await post(`/repositories/${w.repositoryId}/prepare`, {}, w.admin);
    const t2 = new URL(r2.body.readiness.url).pathname.split('/').pop()!;
    await post(`/jobs/${r2.body.job.id}/cancel`, {}, w.admin);
    expect((await call('POST', `/ready/${t2}`, {})).status).toBe(404);

    const r3 = await post(`/repositories/${w.repositoryId}/prepare`, {}, w.admin);
    const t3 = new URL(r3.body.readiness.url).pathname.split('/').pop()!;
    expect((await call('POST', `/ready/${t3}`, {})).body).toEqual({ object: 'repository', id: w.repositoryId, ready: true });
    expect((await get(`/repositories/${w.repositoryId}`, w.admin)).body.ready).toBe(true);
  });

  it('uses the public_url setting in the curl, and refuses disabled objects', async () => {
    const w = await buildWorld();
    await patch('/settings/public_url', { value: 'https://backup.example.org' }, w.admin);
    const res = await post(`/clients/${w.clientId}/prepare`, {}, w.admin);
    expect(res.body.readiness.url).toMatch(/^https:\/\/backup\.example\.org\/api\/v1\/ready\/[A-Za-z0-9_-]{43}$/);
    await patch(`/clients/${w.client2Id}`, { enabled: false }, w.admin);
    expect((await post(`/clients/${w.client2Id}/prepare`, {}, w.admin)).status).toBe(409);
    expect((await post('/clients/999999/prepare', {}, w.admin)).status).toBe(404);
  });
});

describe('stats', () => {
  it('counts backups per day over 30 days', async () => {
    const w = await buildWorld({ ready: true });
    const day = 86_400_000;
    const today = Math.floor(Date.now() / day) * day;
    const insert = (status: string, finished: number, type = 'backup', size = 1000) =>
      env.DB.prepare("INSERT INTO jobs (type, status, launch_type, finished, original_size, deduplicated_size, client_id) VALUES (?, ?, 'scheduled', ?, ?, ?, ?)").bind(type, status, finished, size, size / 10, w.clientId).run();
    await insert('successful', today + 1000);
    await insert('successful', today + 2000, 'backup', 3000);
    await insert('failed', today + 3000);
    await insert('lost', today - day + 5);
    await insert('successful', today - 40 * day);
    await insert('successful', today + 10, 'prune');
    const res = await get('/stats', w.admin);
    expect(res.body.days).toHaveLength(30);
    const last = res.body.days.at(-1);
    expect(last).toEqual({ date: new Date(today).toISOString().slice(0, 10), successful: 2, failed: 1, original_size: 4000, deduplicated_size: 400 });
    expect(res.body.days.at(-2)).toMatchObject({ successful: 0, failed: 1 });
    expect(res.body.days.reduce((n: number, d: any) => n + d.successful, 0)).toBe(2);
  });
});

describe('deleting a policy keeps its jobs', () => {
  it('jobs outlive the policy with policy null', async () => {
    const w = await buildWorld({ ready: true });
    const jobs = (await post(`/policies/${w.policyId}/launch`, {}, w.admin)).body.jobs as any[];
    for (const j of jobs) await setStatus(j.id, 'successful');
    expect((await del(`/policies/${w.policyId}`, w.admin)).status).toBe(204);
    expect((await get(`/jobs/${jobs[0].id}`, w.admin)).body.policy).toBeNull();
  });
});

describe('concurrent launches', () => {
  it('two launches at once: exactly one is created, the other is a 409, nothing duplicated', async () => {
    const w = await buildWorld({ ready: true });
    const results = await Promise.all([post(`/policies/${w.policyId}/launch`, {}, w.admin), post(`/policies/${w.policyId}/launch`, {}, w.admin), post(`/policies/${w.policyId}/launch`, {}, w.admin)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    const created = results.find((r) => r.status === 201)!.body.jobs.length;
    expect((await get('/jobs', w.admin)).body.count).toBe(created);
    for (const r of results.filter((r) => r.status === 409)) expect(r.body.error.message).toMatch(/active (job|backup)/);
  });

  it('the database refuses a second active backup even past the API check', async () => {
    const w = await buildWorld({ ready: true });
    const insert = () => env.DB.prepare("INSERT INTO jobs (type, status, launch_type, client_id, repository_id) VALUES ('backup', 'pending', 'manual', ?, ?)").bind(w.clientId, w.repositoryId).run();
    await insert();
    await expect(insert()).rejects.toThrow(/UNIQUE constraint failed: jobs.client_id, jobs.repository_id/);
    await env.DB.prepare("UPDATE jobs SET status = 'successful'").run();
    await insert();
  });
});
