import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { open } from '../../shared/sealed';
import { del, get, patch, post, secret, setupAdmin, userWithRole } from './helpers';
import { buildWorld, create, markReady, pairDefaultRelay } from './fixtures';


describe('clients', () => {
  it('create with defaults, get, update, list, delete', async () => {
    const admin = await setupAdmin();
    const c = await create('/clients', { hostname: 'Web1.Example.com' }, admin);
    expect(c).toMatchObject({ hostname: 'web1.example.com', port: 22, ssh_user: 'root', relay: 1, ready: false, enabled: true, bandwidth_limit: null, behind_firewall: false, usable: false });
    expect(c.unusable_reasons).toEqual(['client is not prepared (ready is false)']);
    expect((await get(`/clients/${c.id}`, admin)).body.hostname).toBe('web1.example.com');
    const upd = await patch(`/clients/${c.id}`, { bandwidth_limit: 5000, behind_firewall: true }, admin);
    expect(upd.body).toMatchObject({ bandwidth_limit: 5000, behind_firewall: true });
    expect((await del(`/clients/${c.id}`, admin)).status).toBe(204);
    expect((await get(`/clients/${c.id}`, admin)).status).toBe(404);
    expect((await del(`/clients/${c.id}`, admin)).status).toBe(404);
  });

  it('names every invalid field', async () => {
    const admin = await setupAdmin();
    const res = await post('/clients', { hostname: 'bad host;rm -rf /', port: 70000, ssh_user: 'Root User', relay: 'x', bandwidth_limit: -1, behind_firewall: 'yes', extra: 1 }, admin);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid');
    expect(Object.keys(res.body.error.fields).sort()).toEqual(['bandwidth_limit', 'behind_firewall', 'extra', 'hostname', 'port', 'relay', 'ssh_user']);
    expect((await get('/clients', admin)).body.count).toBe(0);
    expect((await post('/clients', { hostname: 'ok', relay: 99 }, admin)).body.error.fields).toEqual({ relay: ['No such relay.'] });
  });

  it('refuses a duplicate host on the same relay and port (409)', async () => {
    const admin = await setupAdmin();
    await create('/clients', { hostname: 'db1' }, admin);
    const dup = await post('/clients', { hostname: 'DB1' }, admin);
    expect(dup.status).toBe(409);
    expect(dup.body.error.fields).toHaveProperty('hostname');
    await create('/clients', { hostname: 'db1', port: 2222 }, admin);
  });

  it('moving a client makes it not ready and forgets its host key', async () => {
    const admin = await setupAdmin();
    const c = await create('/clients', { hostname: 'db1', host_key_fingerprint: 'SHA256:' + 'A'.repeat(43) }, admin);
    await markReady('clients', c.id);
    expect((await get(`/clients/${c.id}`, admin)).body.ready).toBe(true);
    const moved = await patch(`/clients/${c.id}`, { hostname: 'db2' }, admin);
    expect(moved.body).toMatchObject({ ready: false, host_key_fingerprint: null });
  });

  it('a client used by a policy cannot be deleted; the policy is named', async () => {
    const w = await buildWorld();
    const res = await del(`/clients/${w.clientId}`, w.admin);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('web');
  });
});

describe('repositories and write-only passphrases', () => {
  it('refuses a passphrase until the relay has a public key, then stores it sealed to that key', async () => {
    const admin = await setupAdmin();
    const passphrase = secret('very secret passphrase 1');
    const early = await post('/repositories', { name: 'r', path: '/srv/borg/r', passphrase }, admin);
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/relay pair/);
    expect((await get('/repositories', admin)).body.count).toBe(0);

    const keys = await pairDefaultRelay(admin);
    const repo = await create('/repositories', { name: 'r', path: '/srv/borg/r', passphrase }, admin);
    expect(repo).toMatchObject({ encryption: 'repokey-blake2', has_passphrase: true, ready: false });
    expect(repo).not.toHaveProperty('passphrase');
    const row = await env.DB.prepare('SELECT passphrase_sealed FROM repositories WHERE id = ?').bind(repo.id).first<{ passphrase_sealed: string }>();
    expect(row!.passphrase_sealed).toMatch(/^sealed:v1:/);
    expect(row!.passphrase_sealed).not.toContain(passphrase);
    expect(await open(keys.privateKey, row!.passphrase_sealed)).toBe(passphrase);
    // The audit log names the field, never the value.
    const newPass = secret('rotated passphrase 2');
    await patch(`/repositories/${repo.id}`, { passphrase: newPass }, admin);
    const audit = await get('/audit?object_type=repository', admin);
    expect(audit.body.results[0].detail).toEqual({ fields: ['passphrase'] });
    const row2 = await env.DB.prepare('SELECT passphrase_sealed FROM repositories WHERE id = ?').bind(repo.id).first<{ passphrase_sealed: string }>();
    expect(await open(keys.privateKey, row2!.passphrase_sealed)).toBe(newPass);
  });

  it('accepts an already sealed passphrase and refuses a fake one', async () => {
    const admin = await setupAdmin();
    const keys = await pairDefaultRelay(admin);
    const { seal } = await import('../../shared/sealed');
    const sealed = await seal(keys.publicKey, secret('sealed in the browser'));
    const repo = await create('/repositories', { name: 'r', path: 'borg@b:/r', passphrase_sealed: sealed }, admin);
    expect(repo.has_passphrase).toBe(true);
    const fake = await post('/repositories', { name: 'r2', path: 'borg@b:/r2', passphrase_sealed: 'plaintext' }, admin);
    expect(fake.status).toBe(400);
    expect(fake.body.error.fields).toHaveProperty('passphrase_sealed');
    const both = await post('/repositories', { name: 'r3', path: 'borg@b:/r3', passphrase: 'x', passphrase_sealed: sealed }, admin);
    expect(both.status).toBe(400);
  });

  it('validates paths and encryption, and none takes no passphrase', async () => {
    const admin = await setupAdmin();
    await pairDefaultRelay(admin);
    const bad = await post('/repositories', { name: '', path: 'relative/path', encryption: 'rot13' }, admin);
    expect(Object.keys(bad.body.error.fields).sort()).toEqual(['encryption', 'name', 'path']);
    for (const path of ['user@host:/srv/x', 'ssh://user@host:2222/srv/x', '/local/x', 'host:x']) {
      expect((await post('/repositories', { name: path, path, encryption: 'none' }, admin)).status, path).toBe(201);
    }
    const none = await post('/repositories', { name: 'n', path: '/n', encryption: 'none', passphrase: 'x' }, admin);
    expect(none.status).toBe(400);
    const noPass = await create('/repositories', { name: 'np', path: '/np' }, admin);
    expect(noPass.unusable_reasons).toContain('repository has no passphrase');
  });

  it('changing the relay key is refused while secrets are sealed to it', async () => {
    const w = await buildWorld();
    const { generateSealingKeyPair } = await import('../../shared/sealed');
    const other = await generateSealingKeyPair();
    const res = await patch('/relays/1', { public_key: other.publicKey }, w.admin);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('main');
    expect((await patch('/relays/1', { public_key: 'garbage' }, w.admin)).body.error.fields).toHaveProperty('public_key');
  });

  it('an initialised repository keeps its encryption; deletion refused while a policy uses it', async () => {
    const w = await buildWorld({ ready: true });
    const res = await patch(`/repositories/${w.repositoryId}`, { encryption: 'repokey' }, w.admin);
    expect(res.status).toBe(409);
    expect((await del(`/repositories/${w.repositoryId}`, w.admin)).status).toBe(409);
    expect((await del('/relays/1', w.admin)).body.error.message).toMatch(/client web1.example.com/);
  });
});

describe('schedules', () => {
  it('validate crontab and timezone, show next runs, and move the policies next_run on change', async () => {
    const w = await buildWorld();
    const bad = await post('/schedules', { name: 'b', crontab: '61 * * *', timezone: 'Mars/Base' }, w.admin);
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.crontab[0]).toMatch(/5 fields/);
    expect(bad.body.error.fields.timezone[0]).toMatch(/Unknown timezone/);
    const s = (await get(`/schedules/${w.scheduleId}`, w.admin)).body;
    expect(s.next_runs).toHaveLength(5);
    const before = (await get(`/policies/${w.policyId}`, w.admin)).body.next_run;
    expect(new Date(before).getTime()).toBeGreaterThan(Date.now());
    await patch(`/schedules/${w.scheduleId}`, { crontab: '*/5 * * * *', timezone: 'UTC' }, w.admin);
    const after = (await get(`/policies/${w.policyId}`, w.admin)).body.next_run;
    expect(new Date(after).getTime() - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    expect(new Date(after).getUTCMinutes() % 5).toBe(0);
    expect((await del(`/schedules/${w.scheduleId}`, w.admin)).status).toBe(409);
  });
});

describe('disabled and not-ready objects make their users unusable, with reasons', () => {
  it('explains why a policy cannot run', async () => {
    const w = await buildWorld({ ready: true });
    expect((await get(`/policies/${w.policyId}`, w.admin)).body).toMatchObject({ usable: true, unusable_reasons: [] });
    await patch(`/schedules/${w.scheduleId}`, { enabled: false }, w.admin);
    await patch(`/repositories/${w.repositoryId}`, { enabled: false }, w.admin);
    await patch('/relays/1', { enabled: false }, w.admin);
    const p = (await get(`/policies/${w.policyId}`, w.admin)).body;
    expect(p.usable).toBe(false);
    expect(p.unusable_reasons).toEqual(
      expect.arrayContaining(['schedule nightly is disabled', 'repository is disabled (main)', 'relay default is disabled (main)', 'no client of the policy is usable']),
    );
    const c = (await get(`/clients/${w.clientId}`, w.admin)).body;
    expect(c.unusable_reasons).toEqual(['relay default is disabled']);
  });
});

describe('users', () => {
  it('admins manage users; the last admin cannot be removed or demoted', async () => {
    const admin = await setupAdmin();
    const dup = await post('/users', { email: 'ADMIN@example.com', password: 'x'.repeat(12) }, admin);
    expect(dup.status).toBe(409);
    expect((await patch(`/users/${admin.id}`, { role: 'viewer' }, admin)).status).toBe(409);
    expect((await del(`/users/${admin.id}`, admin)).status).toBe(409);
    const other = await userWithRole(admin, 'admin');
    expect((await patch(`/users/${admin.id}`, { role: 'operator' }, other.session)).status).toBe(200);
    const list = await get('/users?role=admin', other.session);
    expect(list.body.results.map((u: any) => u.email)).toEqual([other.email]);
    expect((await get('/users?search=ADMIN%40', other.session)).body.count).toBe(1);
  });
});

describe('settings', () => {
  it('are typed; secrets are write-only', async () => {
    const admin = await setupAdmin();
    const all = await get('/settings', admin);
    expect(all.body.results.map((s: any) => s.key)).toEqual(expect.arrayContaining(['public_url', 'catalog_enabled', 'auto_prune', 'auto_compact', 'backup_user', 'job_retention_days', 'max_concurrent_jobs', 'mail_password', 'max_concurrent_jobs_global', 'overdue_hours', 'housekeeping_hour']));
    expect(all.body.results.find((s: any) => s.key === 'job_retention_days').value).toBe(90);
    // Dropped by 0008: it was never honored (one job per client, always).
    expect(all.body.results.map((s: any) => s.key)).not.toContain('max_concurrent_jobs_per_client');
    expect((await patch('/settings/auto_prune', { value: 'yes' }, admin)).body.error.fields).toEqual({ value: ['Must be true or false.'] });
    expect((await patch('/settings/job_retention_days', { value: 0 }, admin)).status).toBe(400);
    expect((await patch('/settings/public_url', { value: 'javascript:alert(1)' }, admin)).status).toBe(400);
    expect((await patch('/settings/job_retention_days', { value: 90 }, admin)).body.value).toBe(90);
    const pw = secret('smtp password 3');
    const set = await patch('/settings/mail_password', { value: pw }, admin);
    expect(set.body).toMatchObject({ value: null, has_value: true, type: 'secret' });
    const row = await env.DB.prepare("SELECT value FROM settings WHERE key = 'mail_password'").first<{ value: string }>();
    expect(row!.value).not.toContain(pw);
    expect((await patch('/settings/nope', { value: 1 }, admin)).status).toBe(404);
    // backup_user is the default ssh user of new clients.
    await patch('/settings/backup_user', { value: 'borg' }, admin);
    expect((await create('/clients', { hostname: 'h1' }, admin)).ssh_user).toBe('borg');
  });
});

describe('clearing a passphrase', () => {
  it('null removes it and the repository says so', async () => {
    const w = await buildWorld();
    const res = await patch(`/repositories/${w.repositoryId}`, { passphrase: null }, w.admin);
    expect(res.status, res.text).toBe(200);
    expect(res.body.has_passphrase).toBe(false);
    expect(res.body.unusable_reasons).toContain('repository has no passphrase');
  });
});

describe('PATCH changes only what it is given', () => {
  it('users keep role, name and active state; relays stay disabled', async () => {
    const admin = await setupAdmin();
    const op = await userWithRole(admin, 'operator');
    await patch(`/users/${op.id}`, { name: 'Olga', active: false }, admin);
    const renamed = await patch(`/users/${op.id}`, { email: 'olga@example.com' }, admin);
    expect(renamed.body).toMatchObject({ email: 'olga@example.com', name: 'Olga', role: 'operator', active: false });
    const audit = (await get(`/audit?object_type=user&object_id=${op.id}`, admin)).body.results[0];
    expect(audit.detail).toEqual({ fields: ['email'] });
    // The last admin can get a new password without counting as a demotion.
    expect((await patch(`/users/${admin.id}`, { password: secret('another long password') }, admin)).status).toBe(200);
    const r = await create('/relays', { name: 'off', enabled: false }, admin);
    expect((await patch(`/relays/${r.id}`, { name: 'still-off' }, admin)).body).toMatchObject({ name: 'still-off', enabled: false });
    for (const path of [`/clients`, `/schedules`]) {
      const o = await create(path, path === '/clients' ? { hostname: 'h9', enabled: false, port: 2200 } : { name: 's9', crontab: '0 1 * * *', enabled: false, timezone: 'Asia/Tokyo' }, admin);
      const after = (await patch(`${path}/${o.id}`, path === '/clients' ? { bandwidth_limit: 10 } : { name: 's10' }, admin)).body;
      expect(after.enabled, path).toBe(false);
      if (path === '/clients') expect(after.port).toBe(2200);
      else expect(after.timezone).toBe('Asia/Tokyo');
    }
  });
});
