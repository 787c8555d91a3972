/**
 * Daily housekeeping inside workerd: jobs written straight into D1 at chosen ages, their output
 * stored in the relays' TaskManagers, then exactly which rows and which lines remain.
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import type { JobStatus, JobType, LaunchType } from '../../shared/domain';
import { QUERY_BUDGET, runHousekeeping, SYSTEM_ACTOR } from '../../worker/housekeeping';
import { CANDIDATES_SQL, CLEAR_MASTERS_SQL, CLEAR_RELAUNCH_ORIGINS_SQL, DELETE_JOBS_SQL } from '../../worker/housekeeping/candidates';
import { buildWorld, create, type World } from './fixtures';
import { del, get, patch } from './helpers';

const NOW = new Date('2026-06-01T03:00:00Z');
const DAY = 86_400_000;
const ago = (days: number) => NOW.getTime() - days * DAY;
const LINES = 3;

const tm = (relayId = 1) => env.TASK_MANAGER.get(env.TASK_MANAGER.idFromName(`relay:${relayId}`));

interface JobInit {
  status: JobStatus;
  /** Days before NOW. */
  createdDaysAgo: number;
  /** Days before NOW; default an hour after created for an ended job, null for an active one. */
  finishedDaysAgo?: number | null;
  type?: JobType;
  client?: number | null;
  policy?: number | null;
  relay?: number;
  launchType?: LaunchType;
  master?: number;
  relaunchOf?: number;
  /** Output lines stored in the TaskManager (default LINES). */
  lines?: number;
}

const ACTIVE = new Set<string>(['new', 'pending', 'waiting', 'starting', 'running']);

async function insertJob(w: World, j: JobInit): Promise<number> {
  const created = ago(j.createdDaysAgo);
  const finished = j.finishedDaysAgo !== undefined ? (j.finishedDaysAgo === null ? null : ago(j.finishedDaysAgo)) : ACTIVE.has(j.status) ? null : created + 3_600_000;
  const row = await env.DB.prepare(
    `INSERT INTO jobs (type, policy_id, client_id, repository_id, relay_id, status, launch_type, master_job_id, relaunch_of_id, created, modified, finished)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11) RETURNING id`,
  )
    .bind(
      j.type ?? 'prune',
      j.policy === undefined ? w.policyId : j.policy,
      j.client === undefined ? w.clientId : j.client,
      w.repositoryId,
      j.relay ?? 1,
      j.status,
      j.launchType ?? 'scheduled',
      j.master ?? null,
      j.relaunchOf ?? null,
      created,
      finished,
    )
    .first<{ id: number }>();
  const lines = j.lines ?? LINES;
  if (lines) await tm(j.relay ?? 1).appendLines(row!.id, Array.from({ length: lines }, (_, i) => ({ stream: 'stdout' as const, text: `job ${row!.id} line ${i + 1}`, time: created + i })));
  return row!.id;
}

async function remaining(ids: number[]): Promise<number[]> {
  const { results } = await env.DB.prepare('SELECT id FROM jobs WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id').bind(JSON.stringify(ids)).all<{ id: number }>();
  return results.map((r) => r.id);
}

const storedLines = async (id: number, relayId = 1) => (await tm(relayId).readLines(id, { start: 1, end: null, limit: 100 })).total;
const count = async (sql: string, ...args: unknown[]) => (await env.DB.prepare(sql).bind(...args).first<{ n: number }>())!.n;

/**
 * The env runHousekeeping sees, counting what it costs: D1 statements (each one in a batch
 * counts, as on the platform) and TaskManager calls.
 */
function countingEnv() {
  const counts = { d1: 0, taskManager: 0 };
  const unwrap = new WeakMap<object, D1PreparedStatement>();
  const passThrough = <T extends object>(target: T, prop: string | symbol) => {
    const v = Reflect.get(target, prop);
    return typeof v === 'function' ? v.bind(target) : v;
  };
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === 'bind') return (...args: unknown[]) => wrap(target.bind(...args));
        if (prop === 'first' || prop === 'all' || prop === 'run' || prop === 'raw')
          return (...args: unknown[]) => {
            counts.d1++;
            return (target[prop] as (...a: unknown[]) => unknown)(...args);
          };
        return passThrough(target, prop);
      },
    });
    unwrap.set(proxy, stmt);
    return proxy;
  };
  const DB = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === 'prepare') return (query: string) => wrap(target.prepare(query));
      if (prop === 'batch')
        return (stmts: D1PreparedStatement[]) => {
          counts.d1 += stmts.length;
          return target.batch(stmts.map((s) => unwrap.get(s) ?? s));
        };
      return passThrough(target, prop);
    },
  });
  const TASK_MANAGER = new Proxy(env.TASK_MANAGER, {
    get(target, prop) {
      if (prop !== 'get') return passThrough(target, prop);
      return (id: DurableObjectId) => {
        const stub = target.get(id);
        return {
          deleteJobOutput: (ids: number[]) => {
            counts.taskManager++;
            return stub.deleteJobOutput(ids);
          },
        };
      };
    },
  });
  const counted = new Proxy(env, { get: (target, prop) => (prop === 'DB' ? DB : prop === 'TASK_MANAGER' ? TASK_MANAGER : Reflect.get(target, prop)) });
  return { env: counted as Env, counts };
}

let w: World;
beforeEach(async () => {
  w = await buildWorld();
  // setup.ts re-seeds the settings from 0001_seed alone, where the retention is still 30;
  // migration 0005 makes it 90, as in every real database.
  await env.DB.prepare("UPDATE settings SET value = '90' WHERE key = 'job_retention_days'").run();
});

describe('housekeeping', () => {
  it('deletes ended jobs past retention with their output; keeps recent and active ones however old', async () => {
    const oldEnded: Record<string, number> = {};
    const recentEnded: Record<string, number> = {};
    for (const status of ['successful', 'failed', 'error', 'canceled', 'lost'] as const) {
      oldEnded[status] = await insertJob(w, { status, createdDaysAgo: 120 });
      recentEnded[status] = await insertJob(w, { status, createdDaysAgo: 10 });
    }
    const oldActive: Record<string, number> = {};
    for (const status of ['new', 'pending', 'waiting', 'starting', 'running'] as const) oldActive[status] = await insertJob(w, { status, createdDaysAgo: 400, type: 'check' });
    // Canceled before it ever ran: no `finished`, so `created` decides.
    const neverRan = await insertJob(w, { status: 'canceled', createdDaysAgo: 95, finishedDaysAgo: null });
    // Created long ago but ended within retention: `finished` decides.
    const longRun = await insertJob(w, { status: 'failed', createdDaysAgo: 100, finishedDaysAgo: 80 });
    // Just either side of the cutoff.
    const justPast = await insertJob(w, { status: 'failed', createdDaysAgo: 91, finishedDaysAgo: 90.001 });
    const justWithin = await insertJob(w, { status: 'failed', createdDaysAgo: 91, finishedDaysAgo: 89.999 });

    const report = await runHousekeeping(env, NOW);

    const gone = [...Object.values(oldEnded), neverRan, justPast];
    const kept = [...Object.values(recentEnded), ...Object.values(oldActive), longRun, justWithin];
    expect(await remaining([...gone, ...kept])).toEqual(kept.sort((a, b) => a - b));
    for (const id of gone) expect(await storedLines(id), `job ${id}`).toBe(0);
    for (const id of kept) expect(await storedLines(id), `job ${id}`).toBe(LINES);
    expect(report).toMatchObject({ retentionDays: 90, jobs: gone.length, lines: gone.length * LINES, deferred: 0, more: false, batches: 1 });
    expect(report.cutoff.toISOString()).toBe('2026-03-03T03:00:00.000Z');
    // The API no longer knows them; a kept one still reads whole.
    expect((await get(`/jobs/${oldEnded.failed}`, w.admin)).status).toBe(404);
    expect((await get(`/jobs/${oldEnded.failed}/stdout?format=json`, w.admin)).status).toBe(404);
    expect((await get(`/jobs/${recentEnded.failed}/stdout?format=json`, w.admin)).body.total_lines).toBe(LINES);
  });

  it("keeps each (client, policy)'s last successful backup whatever its age, and nothing else of it", async () => {
    const p2 = (await create('/policies', { name: 'db', type: 'rootfs', schedule: w.scheduleId, repository: w.repositoryId, clients: [w.clientId] }, w.admin)).id as number;
    const backup = (client: number, policy: number | null, status: JobStatus, daysAgo: number) => insertJob(w, { type: 'backup', client, policy, status, createdDaysAgo: daysAgo });
    // client 1, policy 1: the latest success is 200 days old and stays; older ones go, and a later failure does too.
    const c1p1Oldest = await backup(w.clientId, w.policyId, 'successful', 300);
    const c1p1Last = await backup(w.clientId, w.policyId, 'successful', 200);
    const c1p1Failed = await backup(w.clientId, w.policyId, 'failed', 150);
    const c1p1Catalog = await insertJob(w, { type: 'catalog', status: 'successful', createdDaysAgo: 200, master: c1p1Last });
    // client 1, policy 2: its only success, 400 days old, stays.
    const c1p2Only = await backup(w.clientId, p2, 'successful', 400);
    // client 2, policy 1: a recent success exists, so the old one goes.
    const c2p1Old = await backup(w.client2Id, w.policyId, 'successful', 200);
    const c2p1Recent = await backup(w.client2Id, w.policyId, 'successful', 5);
    // Ran by a policy since deleted: no pair left to keep it for.
    const orphan = await backup(w.client2Id, null, 'successful', 500);
    // Older `created` but the later `finished` makes it the latest success (a relaunch's archive, say).
    const lateFinisher = await insertJob(w, { type: 'backup', client: w.client2Id, policy: p2, status: 'successful', createdDaysAgo: 300, finishedDaysAgo: 100 });
    const earlyFinisher = await insertJob(w, { type: 'backup', client: w.client2Id, policy: p2, status: 'successful', createdDaysAgo: 250, finishedDaysAgo: 249 });

    const report = await runHousekeeping(env, NOW);

    const kept = [c1p1Last, c1p2Only, c2p1Recent, lateFinisher];
    const gone = [c1p1Oldest, c1p1Failed, c1p1Catalog, c2p1Old, orphan, earlyFinisher];
    expect(await remaining([...kept, ...gone])).toEqual(kept.sort((a, b) => a - b));
    for (const id of kept) expect(await storedLines(id)).toBe(LINES);
    for (const id of gone) expect(await storedLines(id)).toBe(0);
    expect(report.jobs).toBe(gone.length);
    // A second run finds nothing more: the kept backups stay kept.
    expect(await runHousekeeping(env, NOW)).toMatchObject({ jobs: 0, lines: 0, more: false });
    expect(await remaining(kept)).toEqual(kept);
  });

  it('takes the dependency edges and readiness tokens along, keeps what an active job waits for, and clears references to deleted jobs', async () => {
    const oldBackup = await insertJob(w, { type: 'backup', status: 'failed', createdDaysAgo: 120 });
    const oldCatalog = await insertJob(w, { type: 'catalog', status: 'failed', createdDaysAgo: 120, master: oldBackup });
    const oldPrepare = await insertJob(w, { type: 'prepare_client', status: 'successful', createdDaysAgo: 120 });
    // An old job a still-waiting job depends on stays while it waits.
    const awaited = await insertJob(w, { type: 'prepare_repository', status: 'successful', createdDaysAgo: 150 });
    const waiting = await insertJob(w, { type: 'compact', status: 'waiting', createdDaysAgo: 1, client: null });
    // A recent ended job that depended on an old one keeps its row; the edge goes with the old job.
    const recentDependent = await insertJob(w, { type: 'prune', status: 'successful', createdDaysAgo: 2 });
    // Recent jobs pointing at old ones by master_job / relaunch_of.
    const relaunch = await insertJob(w, { type: 'backup', status: 'successful', createdDaysAgo: 3, launchType: 'relaunch', relaunchOf: oldBackup });
    const recentCatalog = await insertJob(w, { type: 'catalog', status: 'successful', createdDaysAgo: 3, master: oldBackup });
    await env.DB.batch(
      [
        [oldCatalog, oldBackup],
        [waiting, awaited],
        [recentDependent, oldBackup],
      ].map(([job, on]) => env.DB.prepare('INSERT INTO job_dependencies (job_id, depends_on_id) VALUES (?, ?)').bind(job, on)),
    );
    await env.DB.prepare("INSERT INTO readiness_tokens (token_hash, job_id, object_type, object_id, expires) VALUES ('h-old', ?, 'client', ?, ?)").bind(oldPrepare, w.clientId, ago(119)).run();

    const report = await runHousekeeping(env, NOW);

    expect(await remaining([oldBackup, oldCatalog, oldPrepare, awaited, waiting, recentDependent, relaunch, recentCatalog])).toEqual(
      [awaited, waiting, recentDependent, relaunch, recentCatalog].sort((a, b) => a - b),
    );
    expect(await count('SELECT count(*) AS n FROM job_dependencies WHERE job_id IN (?, ?, ?)', oldCatalog, waiting, recentDependent)).toBe(1);
    expect(await count('SELECT count(*) AS n FROM job_dependencies WHERE job_id = ? AND depends_on_id = ?', waiting, awaited)).toBe(1);
    expect(await count('SELECT count(*) AS n FROM readiness_tokens WHERE job_id = ?', oldPrepare)).toBe(0);
    expect(report.referencesCleared).toBe(2);
    const r = (await get(`/jobs/${relaunch}`, w.admin)).body;
    expect(r).toMatchObject({ id: relaunch, relaunch_of: null, launch_type: 'relaunch' });
    expect((await get(`/jobs/${recentCatalog}`, w.admin)).body).toMatchObject({ master_job: null });
    expect((await get(`/jobs/${recentDependent}`, w.admin)).body.depends_on).toEqual([]);
    // Once the waiting job has ended, the job it waited for goes too.
    await env.DB.prepare("UPDATE jobs SET status = 'canceled', finished = ? WHERE id = ?").bind(ago(1), waiting).run();
    expect(await runHousekeeping(env, NOW)).toMatchObject({ jobs: 1, lines: LINES });
    expect(await remaining([awaited, waiting])).toEqual([waiting]);
  });

  it('honors the job_retention_days setting', async () => {
    const d45 = await insertJob(w, { status: 'failed', createdDaysAgo: 45 });
    const d20 = await insertJob(w, { status: 'failed', createdDaysAgo: 20 });
    expect(await runHousekeeping(env, NOW)).toMatchObject({ retentionDays: 90, jobs: 0 });
    expect((await patch('/settings/job_retention_days', { value: 30 }, w.admin)).status).toBe(200);
    expect(await runHousekeeping(env, NOW)).toMatchObject({ retentionDays: 30, jobs: 1, lines: LINES });
    expect(await remaining([d45, d20])).toEqual([d20]);
    expect(await storedLines(d20)).toBe(LINES);
    // A missing setting means the default, never "delete everything".
    await env.DB.prepare("DELETE FROM settings WHERE key = 'job_retention_days'").run();
    const d100 = await insertJob(w, { status: 'failed', createdDaysAgo: 100 });
    expect(await runHousekeeping(env, NOW)).toMatchObject({ retentionDays: 90, jobs: 1 });
    expect(await remaining([d100, d20])).toEqual([d20]);
  });

  it('is idempotent and audited as a system action with counts only', async () => {
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await insertJob(w, { status: 'failed', createdDaysAgo: 100 + i }));
    const kept = await insertJob(w, { status: 'failed', createdDaysAgo: 1 });
    const first = await runHousekeeping(env, NOW);
    expect(first).toMatchObject({ jobs: 4, lines: 4 * LINES, more: false });
    const second = await runHousekeeping(env, NOW);
    expect(second).toMatchObject({ jobs: 0, lines: 0, referencesCleared: 0, batches: 0, subrequests: 0, more: false });
    expect(await remaining([...ids, kept])).toEqual([kept]);

    const { results } = await env.DB.prepare("SELECT user_id, actor, action, object_type, object_id, detail, address FROM audit_log WHERE actor = ?").bind(SYSTEM_ACTOR).all<Record<string, unknown>>();
    expect(results).toHaveLength(1); // the empty second run writes nothing
    expect(results[0]).toMatchObject({ user_id: null, action: 'delete', object_type: 'job', object_id: null, address: null });
    expect(JSON.parse(results[0]!.detail as string)).toEqual({ housekeeping: true, retention_days: 90, jobs: 4, lines: 4 * LINES, references_cleared: 0 });
    expect((await get('/audit?action=delete', w.admin)).body.results[0]).toMatchObject({ actor: SYSTEM_ACTOR, object_type: 'job' });
  });

  it('deletes the rows of jobs whose relay was deleted (their output is out of reach)', async () => {
    const relay2 = (await create('/relays', { name: 'site2' }, w.admin)).id as number;
    const old = await insertJob(w, { status: 'failed', createdDaysAgo: 100, relay: relay2 });
    expect((await del(`/relays/${relay2}`, w.admin)).status).toBe(204);
    const { counts, env: counted } = countingEnv();
    const report = await runHousekeeping(counted, NOW);
    expect(report).toMatchObject({ jobs: 1, lines: 0, subrequests: 0 });
    expect(counts.taskManager).toBe(0);
    expect(await remaining([old])).toEqual([]);
  });

  it('leaves the rows of a relay whose TaskManager cannot be reached, so their output stays findable', async () => {
    const relay2 = (await create('/relays', { name: 'site2' }, w.admin)).id as number;
    const onRelay1 = await insertJob(w, { status: 'failed', createdDaysAgo: 100 });
    const onRelay2 = await insertJob(w, { status: 'failed', createdDaysAgo: 100, relay: relay2 });
    const unreachable = env.TASK_MANAGER.idFromName(`relay:${relay2}`);
    const TASK_MANAGER = {
      idFromName: (name: string) => env.TASK_MANAGER.idFromName(name),
      get: (id: DurableObjectId) => (id.equals(unreachable) ? { deleteJobOutput: () => Promise.reject(new Error('unreachable')) } : env.TASK_MANAGER.get(id)),
    };
    const failing = new Proxy(env, { get: (target, prop) => (prop === 'TASK_MANAGER' ? TASK_MANAGER : Reflect.get(target, prop)) }) as Env;
    expect(await runHousekeeping(failing, NOW)).toMatchObject({ jobs: 1, lines: LINES, deferred: 1, more: true });
    expect(await remaining([onRelay1, onRelay2])).toEqual([onRelay2]);
    expect(await storedLines(onRelay2, relay2)).toBe(LINES);
    expect(await runHousekeeping(env, NOW)).toMatchObject({ jobs: 1, lines: LINES, deferred: 0, more: false });
    expect(await storedLines(onRelay2, relay2)).toBe(0);
  });

  it("TaskManager.deleteJobOutput skips a job it still holds a lease for, and drops only those jobs' cached chunks", async () => {
    const stub = tm();
    for (const id of [900_005, 900_015, 900_006]) await stub.appendLines(id, [{ stream: 'stdout', text: 'x', time: 1 }]);
    await runInDurableObject(stub, async (instance, state) => {
      state.storage.sql.exec("INSERT INTO leases (job_id, attempt, state, deadline) VALUES (900006, 1, 'leased', ?)", Date.now() + 60_000);
      // The watchers' chunk cache is private; reached here only to see that it is cleared.
      const cache = (instance as unknown as { subscribers: { chunkCache: Map<string, unknown> } }).subscribers.chunkCache;
      for (const key of ['900005:0', '900015:0', '900006:0']) cache.set(key, { json: '{}', last: 1 });
      expect(await instance.deleteJobOutput([900_005, 900_006])).toBe(1);
      expect([...cache.keys()]).toEqual(['900015:0']);
      state.storage.sql.exec('DELETE FROM leases WHERE job_id = 900006');
    });
    expect([await storedLines(900_005), await storedLines(900_015), await storedLines(900_006)]).toEqual([0, 1, 1]);
  });

  it('drains 1,500 old jobs on two relays over bounded calls, within the query budget', async () => {
    const relay2 = (await create('/relays', { name: 'site2' }, w.admin)).id as number;
    const N = 1500;
    // Written in one statement per relay; their output one TaskManager call each.
    const created = ago(200);
    for (const relay of [1, relay2]) {
      await env.DB.prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO jobs (type, client_id, repository_id, relay_id, status, launch_type, created, modified, finished)
         SELECT 'prune', ?2, ?3, ?4, 'failed', 'scheduled', ?5 + i, ?5 + i, ?5 + i + 1000 FROM n`,
      )
        .bind(N / 2, w.clientId, w.repositoryId, relay, created)
        .run();
    }
    const { results } = await env.DB.prepare('SELECT id, relay_id FROM jobs ORDER BY id').all<{ id: number; relay_id: number }>();
    expect(results).toHaveLength(N);
    for (const j of results) await tm(j.relay_id).appendLines(j.id, [{ stream: 'stdout', text: `job ${j.id}`, time: created }]);
    const recent = await insertJob(w, { status: 'successful', createdDaysAgo: 1 });

    const calls = [];
    for (;;) {
      const { counts, env: counted } = countingEnv();
      const report = await runHousekeeping(counted, NOW);
      // The report's own count is what the platform would count.
      expect(report.queries).toBe(counts.d1);
      expect(report.subrequests).toBe(counts.taskManager);
      expect(counts.d1 + counts.taskManager).toBeLessThanOrEqual(QUERY_BUDGET);
      calls.push(report);
      if (!report.more) break;
      expect(calls.length).toBeLessThan(10);
    }
    // 100 jobs a batch (4 statements + 2 TaskManager calls); 9 batches fit in a budget of 60.
    expect(calls.map((r) => [r.jobs, r.batches, r.queries, r.subrequests, r.more])).toEqual([
      [900, 9, 1 + 9 * 4 + 1, 9 * 2, true],
      [600, 6, 1 + 6 * 4 + 1, 6 * 2, false],
    ]);
    expect(calls.reduce((n, r) => n + r.lines, 0)).toBe(N);
    expect(await count('SELECT count(*) AS n FROM jobs')).toBe(1);
    expect(await remaining([recent])).toEqual([recent]);
    for (const j of [results[0]!, results[N - 1]!]) expect(await storedLines(j.id, j.relay_id)).toBe(0);
  });

  it('reads old jobs from jobs_created_idx in its order, never every ended job sorted', async () => {
    const plan = async (sql: string, ...args: unknown[]) => (await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...args).all<{ detail: string }>()).results.map((r) => r.detail);
    const steps = await plan(CANDIDATES_SQL, ago(90), 0, 0, 101);
    expect(steps[0]).toMatch(/^SEARCH j USING INDEX jobs_created_idx \(created>\? AND created<\?\)/);
    expect(steps.join('\n')).not.toMatch(/TEMP B-TREE|SCAN j\b|SCAN n\b|SCAN a\b/);
    // Clearing references and deleting (with the cascades) read indexes too, never a whole table.
    for (const [sql, ...args] of [[CLEAR_MASTERS_SQL, '[1,2]'], [CLEAR_RELAUNCH_ORIGINS_SQL, '[1,2]', 1], [DELETE_JOBS_SQL, '[1,2]']] as const) {
      const detail = await plan(sql, ...args);
      expect(detail[0], sql).toMatch(/^SEARCH jobs USING /);
      expect(detail.join('\n'), sql).not.toMatch(/SCAN (jobs|job_dependencies|readiness_tokens)\b/);
    }
  });
});
