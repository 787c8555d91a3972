/** Rules that keep objects consistent when they move, are deleted, or hold secrets. */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { seal } from '../../shared/sealed';
import { call, del, get, patch, post, secret, setupAdmin } from './helpers';
import { buildWorld, create } from './fixtures';

const tokenOf = (url: string) => new URL(url).pathname.split('/').pop()!;

describe('readiness tokens', () => {
  it('a new prepare, or moving the object, voids the earlier tokens', async () => {
    const w = await buildWorld();
    const first = await post(`/clients/${w.clientId}/prepare`, {}, w.admin);
    await post(`/jobs/${first.body.job.id}/cancel`, {}, w.admin);
    const second = await post(`/clients/${w.clientId}/prepare`, {}, w.admin);
    await env.DB.prepare("UPDATE jobs SET status = 'failed' WHERE id = ?").bind(second.body.job.id).run();
    const third = await post(`/clients/${w.clientId}/prepare`, {}, w.admin);
    expect((await call('POST', `/ready/${tokenOf(second.body.readiness.url)}`, {})).status).toBe(404);
    // Moving the client: the host behind the old address must not mark the new one ready.
    await patch(`/clients/${w.clientId}`, { hostname: 'moved.example.com' }, w.admin);
    expect((await call('POST', `/ready/${tokenOf(third.body.readiness.url)}`, {})).status).toBe(404);
    expect((await get(`/clients/${w.clientId}`, w.admin)).body.ready).toBe(false);
  });

  it('the printed curl quotes every word and public_url cannot smuggle shell text', async () => {
    const w = await buildWorld();
    for (const bad of ["https://x.example/'$(reboot)'", 'https://x.example/`id`', 'https://x.example/a b', 'ftp://x.example', 'https://x.example/?a=1&b=2']) {
      expect((await patch('/settings/public_url', { value: bad }, w.admin)).status, bad).toBe(400);
    }
    await patch('/settings/public_url', { value: 'https://backup.example.org:8443/orch' }, w.admin);
    const res = await post(`/repositories/${w.repositoryId}/prepare`, {}, w.admin);
    expect(res.body.readiness.curl).toBe(`curl -fsS -X POST -H 'Content-Type: application/json' -d '{}' ${res.body.readiness.url}`);
    expect(res.body.readiness.url).toMatch(/^https:\/\/backup\.example\.org:8443\/orch\/api\/v1\/ready\/[A-Za-z0-9_-]{43}$/);
  });
});

describe('moving between relays', () => {
  it('a client or repository used by a policy cannot move to another relay', async () => {
    const w = await buildWorld();
    const b = await create('/relays', { name: 'site-b' }, w.admin);
    const c = await patch(`/clients/${w.clientId}`, { relay: b.id }, w.admin);
    expect(c.status).toBe(409);
    expect(c.body.error.message).toContain('web');
    const r = await patch(`/repositories/${w.repositoryId}`, { relay: b.id, passphrase: secret('pp-for-site-b') }, w.admin);
    expect(r.status).toBe(409);
    expect((await get(`/clients/${w.clientId}`, w.admin)).body.relay).toBe(1);
  });

  it('a relay key cannot change under sealed database passwords either', async () => {
    const admin = await setupAdmin();
    const { pairDefaultRelay } = await import('./fixtures');
    const keys = await pairDefaultRelay(admin);
    const cl = await create('/clients', { hostname: 'db1' }, admin);
    const repo = await create('/repositories', { name: 'plain', path: '/srv/plain', encryption: 'none' }, admin);
    const s = await create('/schedules', { name: 's', crontab: '0 1 * * *' }, admin);
    await create('/policies', { name: 'mysql-db1', type: 'mysql', schedule: s.id, repository: repo.id, clients: [cl.id], options: { password: secret('db-pw-xyz') } }, admin);
    const other = await (await import('../../shared/sealed')).generateSealingKeyPair();
    const res = await patch('/relays/1', { public_key: other.publicKey }, admin);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('policy mysql-db1');
    expect((await get('/relays/1', admin)).body.public_key).toBe(keys.publicKey);
  });
});

describe('secrets before pairing', () => {
  it('an already sealed value is refused too while the relay has no key', async () => {
    const admin = await setupAdmin();
    const { generateSealingKeyPair } = await import('../../shared/sealed');
    const elsewhere = await generateSealingKeyPair();
    const res = await post('/repositories', { name: 'r', path: '/r', passphrase_sealed: await seal(elsewhere.publicKey, secret('x-sealed-elsewhere')) }, admin);
    expect(res.status).toBe(409);
    expect((await get('/repositories', admin)).body.count).toBe(0);
  });
});

describe('deleting objects with active jobs', () => {
  it('is refused, naming the jobs', async () => {
    const w = await buildWorld({ ready: true });
    const jobs = (await post(`/policies/${w.policyId}/launch`, {}, w.admin)).body.jobs as any[];
    const res = await del(`/policies/${w.policyId}`, w.admin);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain(String(jobs[0].id));
    const lone = await create('/clients', { hostname: 'lone' }, w.admin);
    await env.DB.prepare("INSERT INTO jobs (type, status, launch_type, client_id) VALUES ('prepare_client', 'running', 'manual', ?)").bind(lone.id).run();
    expect((await del(`/clients/${lone.id}`, w.admin)).status).toBe(409);
    await env.DB.prepare("UPDATE jobs SET status = 'successful'").run();
    expect((await del(`/clients/${lone.id}`, w.admin)).status).toBe(204);
    expect((await del(`/policies/${w.policyId}`, w.admin)).status).toBe(204);
  });
});

describe('API tokens always expire', () => {
  it('refuses a token without expiry or beyond a year', async () => {
    const admin = await setupAdmin();
    expect((await post('/tokens', { name: 'forever', expires_in_days: null }, admin)).status).toBe(400);
    expect((await post('/tokens', { name: 'long', expires_in_days: 400 }, admin)).status).toBe(400);
    const t = await post('/tokens', { name: 'default' }, admin);
    secret(t.body.token);
    const days = (new Date(t.body.expires).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89);
    expect(days).toBeLessThanOrEqual(90);
  });
});

describe('relaunch follows the launch rules', () => {
  it('numbers attempts across retries and refuses what a launch refuses', async () => {
    const w = await buildWorld({ ready: true });
    const jobs = (await post(`/policies/${w.policyId}/launch`, {}, w.admin)).body.jobs as any[];
    await env.DB.prepare("UPDATE jobs SET status = 'failed'").run();
    const original = jobs[0];
    const r2 = (await post(`/jobs/${original.id}/relaunch`, {}, w.admin)).body.jobs.find((j: any) => j.type === 'backup');
    expect(r2).toMatchObject({ attempt: 2, archive_name: `${original.archive_name}-r2`, relaunch_of: original.id });
    await env.DB.prepare("UPDATE jobs SET status = 'failed'").run();
    // Relaunching the original again must not reuse -r2 (borg would refuse an existing archive).
    const r3 = (await post(`/jobs/${original.id}/relaunch`, {}, w.admin)).body.jobs.find((j: any) => j.type === 'backup');
    expect(r3).toMatchObject({ attempt: 3, archive_name: `${original.archive_name}-r3` });
    await env.DB.prepare("UPDATE jobs SET status = 'failed'").run();
    await patch(`/schedules/${w.scheduleId}`, { enabled: false }, w.admin);
    const refused = await post(`/jobs/${original.id}/relaunch`, {}, w.admin);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/Schedule nightly .*disabled/);
  });

  it('a prepare job is relaunched through the prepare path', async () => {
    const w = await buildWorld();
    const first = (await post(`/clients/${w.clientId}/prepare`, {}, w.admin)).body.job;
    await env.DB.prepare("UPDATE jobs SET status = 'failed' WHERE id = ?").bind(first.id).run();
    const again = await post(`/jobs/${first.id}/relaunch`, {}, w.admin);
    expect(again.status, again.text).toBe(201);
    expect(again.body.jobs[0]).toMatchObject({ type: 'prepare_client', launch_type: 'relaunch', attempt: 2, relaunch_of: first.id, status: 'pending' });
    expect((await post(`/clients/${w.clientId}/prepare`, {}, w.admin)).status).toBe(409);
    expect((await env.DB.prepare('SELECT count(*) AS n FROM readiness_tokens WHERE object_id = ?').bind(w.clientId).first<{ n: number }>())!.n).toBe(1);
  });
});
