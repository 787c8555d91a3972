import { describe, expect, it } from 'vitest';
import { del, get, patch, post, setupAdmin, userWithRole } from './helpers';
import { create, pairDefaultRelay } from './fixtures';

describe('relays', () => {
  it('the default relay exists; relays are created, renamed, disabled and deleted', async () => {
    const admin = await setupAdmin();
    const list = await get('/relays', admin);
    expect(list.body.results).toEqual([expect.objectContaining({ id: 1, name: 'default', paired: false, connected: false, public_key: null, enabled: true })]);
    const r = await create('/relays', { name: 'site-b' }, admin);
    expect((await post('/relays', { name: 'site-b' }, admin)).status).toBe(409);
    expect((await patch(`/relays/${r.id}`, { name: 'site-c', enabled: false }, admin)).body).toMatchObject({ name: 'site-c', enabled: false });
    expect((await get('/relays?enabled=false', admin)).body.results.map((x: any) => x.name)).toEqual(['site-c']);
    expect((await del(`/relays/${r.id}`, admin)).status).toBe(204);
    expect((await get(`/relays/${r.id}`, admin)).status).toBe(404);
    const keys = await pairDefaultRelay(admin);
    const shown = (await get('/relays/1', admin)).body;
    expect(shown.public_key).toBe(keys.publicKey);
    expect(shown).not.toHaveProperty('credential_hash');
  });
});

describe('ping, config, me', () => {
  it('ping is public and says whether setup is needed', async () => {
    expect((await get('/ping')).body).toMatchObject({ status: 'ok', setup_needed: true, version: expect.any(String) });
    await setupAdmin();
    expect((await get('/ping')).body.setup_needed).toBe(false);
  });

  it('config lists the enumerations and the public URL', async () => {
    const admin = await setupAdmin();
    const viewer = await userWithRole(admin, 'viewer');
    const cfg = (await get('/config', viewer.session)).body;
    expect(cfg.policy_types).toHaveLength(9);
    expect(cfg.job_statuses).toContain('lost');
    expect(cfg.max_page_size).toBe(500);
    expect(cfg.public_url).toBe('https://orchestrator.test');
    await patch('/settings/public_url', { value: 'https://backup.example.org/' }, admin);
    expect((await get('/config', viewer.session)).body.public_url).toBe('https://backup.example.org');
  });

  it('me shows the caller and updates name and notification preferences', async () => {
    const admin = await setupAdmin();
    const me = (await get('/me', admin)).body;
    expect(me.notifications).toEqual({ backup_failed: true, backup_succeeded: false, summary: false, daily_report: false, weekly_report: false, monthly_report: false });
    const upd = await patch('/me', { name: 'Root', notifications: { daily_report: true } }, admin);
    expect(upd.body).toMatchObject({ name: 'Root', notifications: { backup_failed: true, daily_report: true } });
    expect((await patch('/me', { role: 'admin' }, admin)).body.error.fields).toEqual({ role: ['Unknown field.'] });
    expect((await patch('/me', { notifications: { pager: true } }, admin)).body.error.fields).toHaveProperty('notifications.pager');
  });
});

describe('audit log', () => {
  it('records who did what, with field names only', async () => {
    const admin = await setupAdmin();
    const s = await create('/schedules', { name: 'n', crontab: '0 3 * * *' }, admin);
    await patch(`/schedules/${s.id}`, { crontab: '0 4 * * *' }, admin);
    await del(`/schedules/${s.id}`, admin);
    const log = (await get('/audit?object_type=schedule', admin)).body.results;
    expect(log.map((e: any) => e.action)).toEqual(['delete', 'update', 'create']);
    expect(log[1]).toMatchObject({ actor: 'admin@example.com', object_id: s.id, detail: { fields: ['crontab'] } });
    expect((await get('/audit?action=setup', admin)).body.count).toBe(1);
    expect((await get('/audit?action=explode', admin)).status).toBe(400);
  });
});
