/**
 * The scheduler inside workerd with real D1: the Worker's scheduled() handler (the Cron
 * Trigger) launches due policies exactly as a manual launch would, once, and moves next_run
 * past now; the batch/claim logic of worker/scheduler/tick.ts under overlap and volume.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../worker/db/client';
import worker from '../../worker/index';
import { runSchedulerTick } from '../../worker/scheduler/tick';
import { buildWorld, create } from './fixtures';
import { get, patch, post } from './helpers';

const NOW = new Date('2026-11-26T10:00:30Z');

async function tick(at: Date) {
  const ctx = createExecutionContext();
  // The Worker's own handler, as the Cron Trigger calls it.
  await (worker as ExportedHandler<Env>).scheduled!(createScheduledController({ scheduledTime: at.getTime(), cron: '* * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

const setNextRun = (policyId: number, at: Date) => env.DB.prepare(`UPDATE policies SET next_run = ${at.getTime()} WHERE id = ?`).bind(policyId).run();
const nextRunOf = async (policyId: number) => (await env.DB.prepare('SELECT next_run AS n FROM policies WHERE id = ?').bind(policyId).first<{ n: number | null }>())!.n;
const jobsOf = async (policyId: number) =>
  (await env.DB.prepare('SELECT type, launch_type, status, client_id, archive_name FROM jobs WHERE policy_id = ? ORDER BY id').bind(policyId).all<Record<string, unknown>>()).results;

describe('scheduled()', () => {
  it('launches a due policy like a manual launch, with launch_type scheduled, once; next_run moves past now (catch-up once)', async () => {
    const w = await buildWorld({ ready: true });
    // Due three days ago (a long outage): one launch, not one per missed run.
    await setNextRun(w.policyId, new Date(NOW.getTime() - 3 * 86_400_000));
    await tick(NOW);
    const jobs = await jobsOf(w.policyId);
    expect(jobs.map((j) => j.type)).toEqual(['backup', 'catalog', 'prune', 'backup', 'catalog', 'prune', 'compact']);
    expect(new Set(jobs.map((j) => j.launch_type))).toEqual(new Set(['scheduled', 'dependency']));
    expect(jobs.filter((j) => j.type === 'backup').map((j) => j.launch_type)).toEqual(['scheduled', 'scheduled']);
    expect(jobs[0]!.archive_name).toBe('rootfs-web1.example.com-2026-11-26_10-00');
    // The schedule is "0 2 * * *" in Europe/Paris: next run 2026-11-27 02:00 CET.
    expect(new Date((await nextRunOf(w.policyId))!).toISOString()).toBe('2026-11-27T01:00:00.000Z');
    // The same minute again (a retried trigger): nothing new.
    await tick(NOW);
    expect(await jobsOf(w.policyId)).toHaveLength(7);
    // The same plan a manual launch makes.
    const manual = await create('/policies', { name: 'manual twin', type: 'rootfs', schedule: w.scheduleId, repository: w.repositoryId, clients: [w.clientId], keep_daily: 7 }, w.admin);
    expect((await post(`/policies/${manual.id}/launch`, {}, w.admin)).status).toBe(409); // the clients are busy: the scheduled run holds them
  });

  it('launches nothing for a policy that is not due, disabled, or whose schedule, repository or relay is disabled', async () => {
    const w = await buildWorld({ ready: true });
    const due = new Date(NOW.getTime() - 60_000);
    await setNextRun(w.policyId, new Date(NOW.getTime() + 1000));
    await tick(NOW);
    expect(await jobsOf(w.policyId)).toHaveLength(0);
    for (const [path, body] of [
      [`/policies/${w.policyId}`, { enabled: false }],
      [`/schedules/${w.scheduleId}`, { enabled: false }],
      [`/repositories/${w.repositoryId}`, { enabled: false }],
      ['/relays/1', { enabled: false }],
    ] as const) {
      expect((await patch(path, body, w.admin)).status).toBe(200);
      await setNextRun(w.policyId, due);
      await tick(NOW);
      expect(await jobsOf(w.policyId)).toHaveLength(0);
      expect(await nextRunOf(w.policyId)).toBe(due.getTime()); // left alone: it runs once re-enabled
      expect((await patch(path, { enabled: true }, w.admin)).status).toBe(200);
    }
  });

  it('skips a client still busy on the repository for this run, runs the others; no enabled client: skipped, next_run still moves', async () => {
    const w = await buildWorld({ ready: true });
    await env.DB.prepare(`INSERT INTO jobs (type, policy_id, client_id, repository_id, relay_id, status, launch_type, archive_name) VALUES ('backup', ?, ?, ?, 1, 'running', 'manual', 'old')`)
      .bind(w.policyId, w.clientId, w.repositoryId)
      .run();
    await setNextRun(w.policyId, new Date(NOW.getTime() - 1000));
    const report = await runSchedulerTick(openDb(env.DB), NOW);
    expect(report.launched).toBe(1);
    expect(report.skipped).toEqual([{ policy: w.policyId, reason: 'clients still busy on the repository, skipped this run: web1.example.com' }]);
    const backups = (await jobsOf(w.policyId)).filter((j) => j.type === 'backup' && j.launch_type === 'scheduled');
    expect(backups.map((j) => j.client_id)).toEqual([w.client2Id]);

    const lonely = await create('/policies', { name: 'no clients', type: 'config', schedule: w.scheduleId, repository: w.repositoryId, clients: [] }, w.admin);
    await setNextRun(lonely.id, new Date(NOW.getTime() - 1000));
    const r2 = await runSchedulerTick(openDb(env.DB), NOW);
    expect(r2.skipped).toEqual([{ policy: lonely.id, reason: 'no enabled client' }]);
    expect((await nextRunOf(lonely.id))!).toBeGreaterThan(NOW.getTime());
  });

  it('two overlapping ticks launch a run once', async () => {
    const w = await buildWorld({ ready: true });
    await setNextRun(w.policyId, new Date(NOW.getTime() - 1000));
    const [a, b] = await Promise.all([runSchedulerTick(openDb(env.DB), NOW), runSchedulerTick(openDb(env.DB), NOW)]);
    expect(a.launched + b.launched).toBe(1);
    expect((await jobsOf(w.policyId)).filter((j) => j.type === 'backup')).toHaveLength(2);
  });

  it('handles more due policies than a batch, with a fixed number of queries per batch', async () => {
    const w = await buildWorld({ ready: true });
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) {
      // One client each, so no two policies want the same client on the repository.
      const c = await create('/clients', { hostname: `host-${i}.example.com` }, w.admin);
      await env.DB.prepare('UPDATE clients SET ready = 1 WHERE id = ?').bind(c.id).run();
      const p = await create('/policies', { name: `p${i}`, type: 'folders', schedule: w.scheduleId, repository: w.repositoryId, clients: [c.id], options: { folders: ['/srv'] }, catalog_enabled: false }, w.admin);
      ids.push(p.id);
      await setNextRun(p.id, new Date(NOW.getTime() - (i + 1) * 1000));
    }
    const report = await runSchedulerTick(openDb(env.DB), NOW, { batch: 3 });
    expect(report).toMatchObject({ due: 7, launched: 7, jobs: 7, batches: 3, more: false, skipped: [] });
    // 3 batches: each 1 select + 1 claim + 3 reads + 1 settings + 3 writes.
    expect(report.queries).toBe(3 * 9);
    for (const id of ids) expect((await jobsOf(id)).map((j) => j.launch_type)).toEqual(['scheduled']);
  });

  it('adds the policy jitter to next_run, on create and after a run', async () => {
    const w = await buildWorld({ ready: true });
    const p = await create('/policies', { name: 'jittered', type: 'config', schedule: w.scheduleId, repository: w.repositoryId, clients: [w.clientId], jitter_seconds: 900 }, w.admin);
    expect(p.jitter_seconds).toBe(900);
    const offset = (at: number) => ((at - Date.parse('2026-01-01T01:00:00Z')) % 86_400_000) / 1000; // seconds after 02:00 Paris (CET)
    const created = Date.parse((await get(`/policies/${p.id}`, w.admin)).body.next_run);
    // Winter or summer time: 02:00 Paris is 01:00 or 00:00 UTC; the jitter is within 15 min after it.
    const after = offset(created) < 0 ? offset(created) + 86_400 : offset(created);
    expect(after % 3600).toBeLessThanOrEqual(900);
    await setNextRun(p.id, new Date(NOW.getTime() - 1000));
    await runSchedulerTick(openDb(env.DB), NOW, { random: () => 0.5 });
    expect(new Date((await nextRunOf(p.id))!).toISOString()).toBe('2026-11-27T01:07:30.000Z');
  });

  it('runs housekeeping in the housekeeping hour (UTC), not in other hours', async () => {
    await buildWorld({ ready: true });
    const old = Date.parse('2026-01-01T00:00:00Z');
    await env.DB.prepare(`INSERT INTO jobs (type, relay_id, status, launch_type, created, modified, finished) VALUES ('compact', 1, 'successful', 'manual', ${old}, ${old}, ${old})`).run();
    const count = async () => (await env.DB.prepare('SELECT count(*) AS n FROM jobs').first<{ n: number }>())!.n;
    await tick(new Date('2026-11-26T10:00:30Z'));
    expect(await count()).toBe(1);
    await tick(new Date('2026-11-26T03:00:30Z')); // housekeeping_hour defaults to 3
    expect(await count()).toBe(0);
  });

  it('a schedule the runtime cannot evaluate skips its policies and blocks no other', async () => {
    const w = await buildWorld({ ready: true });
    const broken = await create('/schedules', { name: 'broken', crontab: '0 3 * * *', timezone: 'UTC' }, w.admin);
    const bad = await create('/policies', { name: 'bad', type: 'config', schedule: broken.id, repository: w.repositoryId, clients: [w.client2Id] }, w.admin);
    // As if the runtime no longer knew a stored timezone.
    await env.DB.prepare("UPDATE schedules SET timezone = 'Not/AZone' WHERE id = ?").bind(broken.id).run();
    // The bad policy sorts first (earlier next_run).
    await setNextRun(bad.id, new Date(NOW.getTime() - 60_000));
    await setNextRun(w.policyId, new Date(NOW.getTime() - 1000));
    const report = await runSchedulerTick(openDb(env.DB), NOW);
    expect(report.skipped).toEqual([{ policy: bad.id, reason: expect.stringMatching(/^the schedule cannot be evaluated: /) }]);
    expect(report.launched).toBe(1);
    expect(await nextRunOf(bad.id)).toBeNull();
    expect((await jobsOf(w.policyId)).filter((j) => j.type === 'backup')).toHaveLength(2);
  });

  it('editing a policy keeps its due run unless the schedule, the jitter or its enabled state changed', async () => {
    const w = await buildWorld({ ready: true });
    const due = new Date(Date.now() - 30_000);
    await setNextRun(w.policyId, due);
    expect((await patch(`/policies/${w.policyId}`, { name: 'renamed', keep_daily: 3 }, w.admin)).status).toBe(200);
    expect(await nextRunOf(w.policyId)).toBe(due.getTime()); // still due: the next tick runs it
    expect((await patch(`/policies/${w.policyId}`, { jitter_seconds: 60 }, w.admin)).status).toBe(200);
    expect((await nextRunOf(w.policyId))!).toBeGreaterThan(Date.now());
    await setNextRun(w.policyId, due);
    expect((await patch(`/policies/${w.policyId}`, { enabled: false }, w.admin)).status).toBe(200);
    expect((await patch(`/policies/${w.policyId}`, { enabled: true }, w.admin)).status).toBe(200);
    expect((await nextRunOf(w.policyId))!).toBeGreaterThan(Date.now()); // back on: from now, no stale run
  });
});
