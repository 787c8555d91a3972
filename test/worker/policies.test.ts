import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { open } from '../../shared/sealed';
import { get, patch, post, secret } from './helpers';
import { buildWorld, create } from './fixtures';


const base = (w: Awaited<ReturnType<typeof buildWorld>>) => ({ schedule: w.scheduleId, repository: w.repositoryId, clients: [w.clientId, w.client2Id] });

describe('policy options per type', () => {
  it('accepts valid options of every type', async () => {
    const w = await buildWorld();
    const c = String(w.clientId);
    const cases: Record<string, unknown> = {
      rootfs: { excludes: ['/home/*/.cache'] },
      config: {},
      mail: {},
      folders: { folders: ['/srv/www', '/etc/nginx'], excludes: ['*.tmp'] },
      mysql: { user: 'backup', databases: ['shop'], per_client: { [c]: { databases: ['crm'], port: 3307 } } },
      postgresql: { databases: ['app'] },
      piped: { command: 'tar -C /opt -cf - app', stdin_name: 'opt-app.tar' },
      proxmox: { vmids: { [c]: [100, 101] } },
      vm: { domains: { [c]: ['vm-web'] } },
    };
    for (const [type, options] of Object.entries(cases)) {
      const res = await post('/policies', { name: `p-${type}`, type, options, ...base(w) }, w.admin);
      expect(res.status, `${type}: ${res.text}`).toBe(201);
      expect(res.body.type).toBe(type);
    }
    expect((await get('/policies?type=mysql', w.admin)).body.count).toBe(1);
    expect((await get(`/policies?client=${w.clientId}`, w.admin)).body.count).toBe(10);
  });

  it('names the invalid option fields', async () => {
    const w = await buildWorld();
    const folders = await post('/policies', { name: 'f', type: 'folders', options: { folders: ['relative', '/ok'], excludes: ['a\nb'] }, ...base(w) }, w.admin);
    expect(folders.status).toBe(400);
    expect(Object.keys(folders.body.error.fields).sort()).toEqual(['options.excludes.0', 'options.folders.0']);
    const empty = await post('/policies', { name: 'f', type: 'folders', options: {}, ...base(w) }, w.admin);
    expect(Object.keys(empty.body.error.fields)).toEqual(['options.folders']);
    const piped = await post('/policies', { name: 'p', type: 'piped', options: { command: '' }, ...base(w) }, w.admin);
    expect(piped.body.error.fields).toHaveProperty('options.command');
    const dash = await post('/policies', { name: 'm', type: 'mysql', options: { databases: ['--all-databases'] }, ...base(w) }, w.admin);
    expect(dash.body.error.fields).toHaveProperty('options.databases.0');
    const stranger = await post('/policies', { name: 'x', type: 'proxmox', options: { vmids: { '999999': [100] } }, ...base(w) }, w.admin);
    expect(stranger.body.error.fields).toEqual({ 'options.vmids.999999': ['Client 999999 is not a client of this policy.'] });
    const unknownKey = await post('/policies', { name: 'r', type: 'rootfs', options: { exclude: ['/x'] }, ...base(w) }, w.admin);
    expect(unknownKey.body.error.fields).toHaveProperty('options.exclude');
    expect((await get('/policies', w.admin)).body.count).toBe(1);
  });

  it('validates the common fields and references', async () => {
    const w = await buildWorld();
    const res = await post(
      '/policies',
      { name: 'x', type: 'tape', schedule: 999999, repository: w.repositoryId, clients: [w.clientId, 999998], keep_daily: -1, keep_within: '2 days', compression: 'gzip', max_duration_seconds: 5 },
      w.admin,
    );
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.error.fields).sort()).toEqual(['compression', 'keep_daily', 'keep_within', 'max_duration_seconds', 'type']);
    const refs = await post('/policies', { name: 'x', type: 'rootfs', schedule: 999999, repository: 999999, clients: [999998] }, w.admin);
    expect(Object.keys(refs.body.error.fields).sort()).toEqual(['clients', 'repository', 'schedule']);
    const dup = await post('/policies', { name: 'web', type: 'rootfs', ...base(w) }, w.admin);
    expect(dup.status).toBe(409);
  });

  it('refuses clients on another relay than the repository', async () => {
    const w = await buildWorld();
    const relay = await create('/relays', { name: 'site-b' }, w.admin);
    const far = await create('/clients', { hostname: 'far.example.com', relay: relay.id }, w.admin);
    const res = await post('/policies', { name: 'x', type: 'rootfs', schedule: w.scheduleId, repository: w.repositoryId, clients: [far.id] }, w.admin);
    expect(res.status).toBe(400);
    expect(res.body.error.fields.clients[0]).toMatch(/far\.example\.com/);
  });

  it('keeps database passwords sealed and write-only, per client too', async () => {
    const w = await buildWorld();
    const pw = secret('mysql-root-pw');
    const pw2 = secret('mysql-client-pw');
    const c = String(w.clientId);
    const res = await post('/policies', { name: 'db', type: 'mysql', options: { user: 'root', password: pw, per_client: { [c]: { password: pw2 } } }, ...base(w) }, w.admin);
    expect(res.status, res.text).toBe(201);
    expect(res.body.options).toMatchObject({ user: 'root', has_password: true, per_client: { [c]: { has_password: true } } });
    const row = await env.DB.prepare('SELECT options, secrets FROM policies WHERE id = ?').bind(res.body.id).first<{ options: string; secrets: string }>();
    expect(row!.options).not.toContain(pw);
    const secrets = JSON.parse(row!.secrets) as Record<string, string>;
    expect(await open(w.relayKeys.privateKey, secrets.password!)).toBe(pw);
    expect(await open(w.relayKeys.privateKey, secrets[`per_client.${c}.password`]!)).toBe(pw2);

    // Editing other options keeps the passwords; null clears one.
    const edit = await patch(`/policies/${res.body.id}`, { options: { user: 'backup', per_client: { [c]: { password: null } } } }, w.admin);
    expect(edit.status, edit.text).toBe(200);
    expect(edit.body.options).toMatchObject({ user: 'backup', has_password: true, per_client: { [c]: { has_password: false } } });
  });

  it('changing the type needs the new options', async () => {
    const w = await buildWorld();
    const res = await patch(`/policies/${w.policyId}`, { type: 'folders' }, w.admin);
    expect(res.body.error.fields).toHaveProperty('options');
    const ok = await patch(`/policies/${w.policyId}`, { type: 'folders', options: { folders: ['/srv'] } }, w.admin);
    expect(ok.body).toMatchObject({ type: 'folders', options: { folders: ['/srv'], excludes: [] } });
  });
});

describe('calendar', () => {
  it('lists upcoming runs in the schedule timezone, bounded', async () => {
    const w = await buildWorld();
    const res = await get(`/policies/${w.policyId}/calendar?from=2026-03-27T00:00:00Z&to=2026-03-31T00:00:00Z`, w.admin);
    expect(res.status, res.text).toBe(200);
    // 02:00 Europe/Paris; on 2026-03-29 02:00 does not exist, the run happens at 03:00 CEST (01:00Z).
    expect(res.body.runs).toEqual(['2026-03-27T01:00:00.000Z', '2026-03-28T01:00:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:00:00.000Z']);
    expect(res.body.timezone).toBe('Europe/Paris');
    expect((await get(`/policies/${w.policyId}/calendar?from=2026-03-27T00:00:00Z&to=2026-03-01T00:00:00Z`, w.admin)).body.error.fields).toHaveProperty('to');
    expect((await get(`/policies/${w.policyId}/calendar?from=2026-01-01T00:00:00Z&to=2028-01-01T00:00:00Z`, w.admin)).status).toBe(400);
    expect((await get(`/policies/${w.policyId}/calendar?from=yesterday`, w.admin)).body.error.fields).toHaveProperty('from');
    expect((await get('/policies/999999/calendar', w.admin)).status).toBe(404);
    const month = await get(`/policies/${w.policyId}/calendar`, w.admin);
    expect(month.body.runs.length).toBeGreaterThanOrEqual(30);
  });
});
