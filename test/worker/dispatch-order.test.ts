/**
 * Scheduling inside the TaskManager, through the real Worker, D1 and Durable Objects with
 * the test playing the relays: dispatch order, per-relay and global limits (two relays),
 * waiting reasons in the API and in the output, the sweep of jobs left `starting`, and the
 * edge's guard on a policy's maximum duration.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { generateSealingKeyPair } from '../../shared/sealed';
import { QUEUE_SQL } from '../../worker/taskmanager/jobs-d1';
import { Leases, OFFER_MS, OVERRUN_GRACE_MS, RECHECK_MS } from '../../worker/taskmanager/leases';
import { create, buildWorld, markReady, type World } from './fixtures';
import { call, get, ORIGIN, post, secret } from './helpers';
import { connectRelay, TestSocket } from './sockets';

const tm = (relayId = 1) => env.TASK_MANAGER.get(env.TASK_MANAGER.idFromName(`relay:${relayId}`));
const job = async (w: World, id: number) => (await get(`/jobs/${id}`, w.admin)).body;
const output = async (w: World, id: number) => (await get(`/jobs/${id}/stdout?format=json`, w.admin)).body.lines as { stream: string; text: string }[];

async function setting(key: string, value: number) {
  await env.DB.prepare("INSERT OR REPLACE INTO settings (key, value, type, \"group\", label, description, \"order\") VALUES (?, ?, 'integer', 'jobs', ?, '', 0)").bind(key, String(value), key).run();
}

/** Waits until `check` holds (dispatch runs after the API has answered). */
async function until<T>(what: string, read: () => Promise<T>, check: (v: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (check(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Accepts an offer and waits for its lease. */
async function accept(relay: TestSocket, offer: any) {
  relay.send({ type: 'accept', jobId: offer.spec.jobId, attempt: offer.spec.attempt });
  await relay.take('lease');
}

async function finish(relay: TestSocket, jobId: number, status = 'successful') {
  relay.send({ type: 'finish', jobId, attempt: 1, lastSeq: 0, status, exitCode: status === 'successful' ? 0 : 2, explanation: null, result: null });
  await relay.take('finish_ack');
}

/** A ready repository (on relay 1 unless said otherwise), its check jobs queued through the API. */
async function readyRepository(w: World, name: string, relay = 1) {
  const repo = await create('/repositories', { name, path: `borg@backup.example.com:/srv/borg/${name}`, passphrase: w.passphrase, relay }, w.admin);
  await markReady('repositories', repo.id);
  return repo.id as number;
}
const check = async (w: World, repositoryId: number) => (await post(`/repositories/${repositoryId}/check`, {}, w.admin)).body.job.id as number;

/** A second relay, paired and connected. */
async function secondRelay(w: World, name = 'branch'): Promise<{ id: number; socket: TestSocket }> {
  const created = await create('/relays', { name }, w.admin);
  const keys = await generateSealingKeyPair();
  secret(keys.privateKey);
  const paired = await call('POST', '/relays/pair', { body: { token: created.pairing.token, public_key: keys.publicKey, version: 'test' } });
  expect(paired.status, paired.text).toBe(200);
  const res = await exports.default.fetch(new Request(`${ORIGIN}/relay/connect`, { headers: { Upgrade: 'websocket', Authorization: `Bearer ${secret(paired.body.credential)}` } }));
  const socket = new TestSocket(res.webSocket!);
  socket.send({ type: 'hello', v: 1, version: 'test', jobs: [] });
  await socket.take('welcome');
  return { id: created.id, socket };
}

/** Inserts a job row directly (for ages and launch types the API would not give). */
async function insertJob(fields: { type?: string; repositoryId: number; relayId?: number; status?: string; launchType: string; created: number; modified?: number; started?: number | null }) {
  const row = await env.DB.prepare(
    `INSERT INTO jobs (type, repository_id, relay_id, status, launch_type, created, modified, started) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  )
    .bind(fields.type ?? 'check', fields.repositoryId, fields.relayId ?? 1, fields.status ?? 'pending', fields.launchType, fields.created, fields.modified ?? fields.created, fields.started ?? null)
    .first<{ id: number }>();
  return row!.id;
}

/** Moves the object's timers to now and runs its alarm (Miniflare may have run it already). */
async function fireAlarm(relayId: number, change: string, ...args: unknown[]) {
  await runInDurableObject(tm(relayId), async (_o, state) => {
    state.storage.sql.exec(change, ...args);
    await state.storage.setAlarm(Date.now());
  });
  await runDurableObjectAlarm(tm(relayId));
}

const leaseRow = (relayId: number, jobId: number) =>
  runInDurableObject(tm(relayId), async (_o, state) => state.storage.sql.exec('SELECT * FROM leases WHERE job_id = ?', jobId).toArray()[0] as Record<string, number | string> | undefined);

describe('dispatch order', () => {
  it('oldest first; at equal age manual and relaunch before scheduled before dependency', async () => {
    const w = await buildWorld({ ready: true });
    const t = Date.now() - 60_000;
    // Inserted in an order that is none of the expected one; all on one repository, so they run one by one.
    const scheduled = await insertJob({ repositoryId: w.repositoryId, launchType: 'scheduled', created: t });
    const manual = await insertJob({ repositoryId: w.repositoryId, launchType: 'manual', created: t });
    const oldest = await insertJob({ repositoryId: w.repositoryId, launchType: 'dependency', created: t - 1000 });
    const dependency = await insertJob({ repositoryId: w.repositoryId, launchType: 'dependency', created: t });
    const newer = await insertJob({ repositoryId: w.repositoryId, launchType: 'manual', created: t + 1000 });
    const relaunch = await insertJob({ repositoryId: w.repositoryId, launchType: 'relaunch', created: t });
    const relay = await connectRelay(w);
    const order: number[] = [];
    for (let i = 0; i < 6; i++) {
      const offer = await relay.take('offer');
      order.push(offer.spec.jobId);
      // Nothing else is offered while the repository is busy.
      expect(relay.inbox.filter((m) => m.type === 'offer')).toHaveLength(0);
      await accept(relay, offer);
      await finish(relay, offer.spec.jobId);
    }
    expect(order).toEqual([oldest, manual, relaunch, scheduled, dependency, newer]);
  });

  it('the queue is read through an index that gives its order', async () => {
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${QUEUE_SQL}`).bind(1, 200).all<{ detail: string }>();
    const plan = results.map((r) => r.detail).join('\n');
    expect(plan).toMatch(/USING INDEX jobs_dispatch_idx \(relay_id=\? AND status=\?\)/);
    // Only jobs of equal `created` are sorted.
    expect(plan).toMatch(/USE TEMP B-TREE FOR LAST 2 TERMS OF ORDER BY/);
  });
});

describe('waiting reasons', () => {
  it('a pending job says why it waits, in the API and once in its output; the reason goes when it starts', async () => {
    const w = await buildWorld({ ready: true });
    const relay = await connectRelay(w);
    const jobs = (await post(`/policies/${w.policyId}/launch`, {}, w.admin)).body.jobs as any[];
    const [first, catalog, , second] = jobs;
    expect((await relay.take('offer')).spec.jobId).toBe(first.id);
    const reason = `waiting: repository busy with job ${first.id}`;
    await until('the reason', () => job(w, second.id), (j) => j.explanation === reason);
    expect((await get(`/jobs?status=pending`, w.admin)).body.results.find((j: any) => j.id === second.id).explanation).toBe(reason);
    // A job waiting for its chain says for which job (read when shown, in the list too).
    expect((await job(w, catalog.id)).explanation).toBe(`waiting for job ${first.id} (backup)`);
    expect((await get(`/jobs?status=waiting`, w.admin)).body.results.find((j: any) => j.id === catalog.id).explanation).toBe(`waiting for job ${first.id} (backup)`);

    // More rounds with the same reason add no line.
    await tm().poke();
    await accept(relay, { spec: { jobId: first.id, attempt: 1 } });
    await tm().poke();
    expect(await output(w, second.id)).toEqual([expect.objectContaining({ stream: 'system', text: reason })]);

    // The relay drops: the reason changes, one more line.
    relay.ws.close(1000, 'bye');
    const gone = 'waiting: relay default is not connected';
    await until('the disconnected reason', () => job(w, second.id), (j) => j.explanation === gone);
    expect((await output(w, second.id)).map((l) => l.text)).toEqual([reason, gone]);

    // Back, the running job finishes: the second backup starts and its reason is cleared.
    const again = await connectRelay(w, [{ jobId: first.id, attempt: 1, state: 'running', lastSeq: 0 }]);
    await finish(again, first.id);
    const offer = await again.take('offer');
    expect(offer.spec.jobId).toBe(second.id);
    expect(await job(w, second.id)).toMatchObject({ status: 'starting', explanation: null });
    expect((await output(w, second.id)).map((l) => l.text)).toEqual([reason, gone, `waiting: repository busy with job ${first.id}`]);
    // The catalog of the first is pending now, behind the second backup.
    await until('the catalog reason', () => job(w, catalog.id), (j) => j.explanation === `waiting: repository busy with job ${second.id}`);
    expect((await output(w, catalog.id)).map((l) => l.text)).toEqual([`waiting: repository busy with job ${second.id}`]);
  });

  it('per-relay limit: the jobs past it wait, saying so, and start as room frees', async () => {
    const w = await buildWorld({ ready: true });
    await setting('max_concurrent_jobs', 2);
    const relay = await connectRelay(w);
    const repos = [await readyRepository(w, 'a'), await readyRepository(w, 'b'), await readyRepository(w, 'c')];
    const ids: number[] = [];
    for (const r of repos) ids.push(await check(w, r));
    const offers = [await relay.take('offer'), await relay.take('offer')];
    expect(offers.map((o) => o.spec.jobId)).toEqual(ids.slice(0, 2));
    await until('the limit reason', () => job(w, ids[2]!), (j) => j.explanation === 'waiting: relay limit of 2 running jobs reached');
    for (const o of offers) await accept(relay, o);
    expect(relay.inbox.filter((m) => m.type === 'offer')).toHaveLength(0);
    await finish(relay, ids[0]!);
    expect((await relay.take('offer')).spec.jobId).toBe(ids[2]);
  });

  it('global limit across two relays; a job end there pokes the relay that waited', async () => {
    const w = await buildWorld({ ready: true });
    await setting('max_concurrent_jobs_global', 2);
    const relay = await connectRelay(w);
    const other = await secondRelay(w);
    const here = [await check(w, await readyRepository(w, 'a')), await check(w, await readyRepository(w, 'b'))];
    for (let i = 0; i < here.length; i++) {
      const offer = await relay.take('offer');
      expect(here).toContain(offer.spec.jobId);
      await accept(relay, offer);
    }
    const there = await check(w, await readyRepository(w, 'far', other.id));
    await until('the global reason', () => job(w, there), (j) => j.explanation === 'waiting: global limit of 2 running jobs reached');
    expect(other.socket.inbox.filter((m) => m.type === 'offer')).toHaveLength(0);
    expect((await output(w, there)).map((l) => l.text)).toEqual(['waiting: global limit of 2 running jobs reached']);
    // Nothing of relay 2 announces room on relay 1: it looks again by itself within a minute.
    const alarm = await runInDurableObject(tm(other.id), (_o, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now() + RECHECK_MS - 10_000);
    expect(alarm).toBeLessThanOrEqual(Date.now() + RECHECK_MS);
    // A job of relay 1 ends: relay 1 has nothing else to run, so relay 2 is poked and starts its job.
    await finish(relay, here[0]!);
    const offer = await other.socket.take('offer');
    expect(offer.spec.jobId).toBe(there);
    expect((await job(w, there)).explanation).toBeNull();
    await accept(other.socket, offer);
    // The limit holds: relay 1 gets nothing more while two jobs run.
    const third = await check(w, await readyRepository(w, 'c'));
    await tm().poke();
    expect((await job(w, third)).explanation).toBe('waiting: global limit of 2 running jobs reached');
    expect(relay.inbox.filter((m) => m.type === 'offer')).toHaveLength(0);
  });
});

describe('jobs left starting', () => {
  it('a starting job with no lease goes back to the queue once older than an offer; a running one is leased again', async () => {
    const w = await buildWorld({ ready: true });
    const relay = await connectRelay(w);
    const now = Date.now();
    // As if the object had reset between D1's write and its own: no lease row, no offer sent.
    const stale = await insertJob({ repositoryId: w.repositoryId, status: 'starting', launchType: 'manual', created: now - 120_000, modified: now - OFFER_MS - 1000 });
    await tm().poke();
    const offer = await relay.take('offer');
    expect(offer.spec.jobId).toBe(stale);
    expect((await job(w, stale)).status).toBe('starting');
    await accept(relay, offer);
    await finish(relay, stale);

    // A young one may be a round in progress: left alone, and looked at again when it is old enough.
    const young = await insertJob({ repositoryId: w.repositoryId, status: 'starting', launchType: 'manual', created: now, modified: Date.now() });
    await tm().poke();
    expect((await job(w, young)).status).toBe('starting');
    const alarm = await runInDurableObject(tm(), (_o, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThanOrEqual(now + OFFER_MS - 1000);
    expect(alarm).toBeLessThanOrEqual(Date.now() + OFFER_MS);
    await env.DB.prepare('UPDATE jobs SET modified = ? WHERE id = ?').bind(Date.now() - OFFER_MS - 1, young).run();
    await fireAlarm(1, "DELETE FROM meta WHERE key = 'recheck'");
    expect((await relay.take('offer')).spec.jobId).toBe(young);
    await accept(relay, { spec: { jobId: young, attempt: 1 } });
    await finish(relay, young);

    // Running with no lease: leased again; a relay that does not report it lets it expire into lost.
    const orphan = await insertJob({ repositoryId: w.repositoryId, status: 'running', launchType: 'manual', created: now, modified: now - 5000, started: now - 5000 });
    await tm().poke();
    expect(await leaseRow(1, orphan)).toMatchObject({ state: 'leased', attempt: 1 });
    await fireAlarm(1, 'UPDATE leases SET deadline = ? WHERE job_id = ?', Date.now() - 1, orphan);
    expect(await job(w, orphan)).toMatchObject({ status: 'lost', explanation: expect.stringMatching(/stopped reporting/) });
  });

  it('an unanswered offer still goes back to the queue (it never started), not lost', async () => {
    const w = await buildWorld({ ready: true });
    const relay = await connectRelay(w);
    const id = await check(w, w.repositoryId);
    expect((await relay.take('offer')).spec.jobId).toBe(id);
    await fireAlarm(1, 'UPDATE leases SET deadline = ? WHERE job_id = ?', Date.now() - 1, id);
    // Back in the queue and offered again at once.
    expect((await relay.take('offer')).spec.jobId).toBe(id);
    expect((await job(w, id)).status).toBe('starting');
  });
});

describe('maximum duration at the edge', () => {
  async function overrunning(w: World) {
    await env.DB.prepare('UPDATE policies SET max_duration_seconds = 1 WHERE id = ?').bind(w.policyId).run();
    const relay = await connectRelay(w);
    const jobs = (await post(`/policies/${w.policyId}/launch`, {}, w.admin)).body.jobs as any[];
    const offer = await relay.take('offer');
    expect(offer.spec.maxDurationSeconds).toBe(1);
    const before = Date.now();
    await accept(relay, offer);
    const lease = (await leaseRow(1, offer.spec.jobId))!;
    expect(lease).toMatchObject({ state: 'leased', max_seconds: 1 });
    expect(lease.hard_deadline).toBeGreaterThanOrEqual(before + 1000 + OVERRUN_GRACE_MS);
    expect(lease.hard_deadline).toBeLessThanOrEqual(Date.now() + 1000 + OVERRUN_GRACE_MS);
    // Past its maximum and the grace (the relay did not stop it): the edge sends cancel and says why.
    await fireAlarm(1, 'UPDATE leases SET hard_deadline = ? WHERE job_id = ?', Date.now() - 1, offer.spec.jobId);
    expect(await relay.take('cancel')).toEqual({ type: 'cancel', jobId: offer.spec.jobId, attempt: 1 });
    expect((await output(w, offer.spec.jobId)).map((l) => l.text)).toEqual([expect.stringMatching(/ran past its maximum duration of 1 s .*asked the relay to stop it/)]);
    expect(await leaseRow(1, offer.spec.jobId)).toMatchObject({ state: 'stopping' });
    expect((await job(w, offer.spec.jobId)).status).toBe('running');
    return { relay, jobs, jobId: offer.spec.jobId as number };
  }

  it('a job past its maximum duration and a grace is sent cancel; stopped, it is failed with the reason', async () => {
    const w = await buildWorld({ ready: true });
    const { relay, jobs, jobId } = await overrunning(w);
    // Heartbeats still keep a stopping job's lease (an invalid message's error marks when it was read).
    await runInDurableObject(tm(), async (_o, state) => state.storage.sql.exec('UPDATE leases SET deadline = 1 WHERE job_id = ?', jobId));
    relay.send({ type: 'heartbeat', jobs: [{ jobId, attempt: 1 }] });
    relay.send('{nope');
    await relay.take('error');
    expect((await leaseRow(1, jobId))!.deadline).toBeGreaterThan(Date.now());
    relay.send({ type: 'finish', jobId, attempt: 1, lastSeq: 0, status: 'canceled', exitCode: null, explanation: 'Canceled.', result: null });
    await relay.take('finish_ack');
    expect(await job(w, jobId)).toMatchObject({ status: 'failed', explanation: 'Stopped by the orchestrator: the job ran past its maximum duration of 1 s.' });
    expect((await job(w, jobs[1].id)).status).toBe('failed');
  });

  it('one that does not stop within another grace is failed, and its repository is free again', async () => {
    const w = await buildWorld({ ready: true });
    const { relay, jobs, jobId } = await overrunning(w);
    await fireAlarm(1, 'UPDATE leases SET hard_deadline = ? WHERE job_id = ?', Date.now() - 1, jobId);
    expect(await job(w, jobId)).toMatchObject({ status: 'failed', explanation: expect.stringMatching(/did not stop within 300 s of being asked; marked failed/) });
    expect(await leaseRow(1, jobId)).toBeUndefined();
    expect((await relay.take('offer')).spec.jobId).toBe(jobs[3].id);
  });

  it('an object created before these columns gets them', async () => {
    const old = env.TASK_MANAGER.get(env.TASK_MANAGER.idFromName('relay:schema-test'));
    await runInDurableObject(old, async (_o, state) => {
      const sql = state.storage.sql;
      sql.exec('DROP TABLE leases');
      sql.exec('CREATE TABLE leases (job_id INTEGER PRIMARY KEY, attempt INTEGER NOT NULL, state TEXT NOT NULL, deadline INTEGER NOT NULL)');
      sql.exec("INSERT INTO leases VALUES (7, 1, 'leased', 123)");
      sql.exec("DELETE FROM meta WHERE key = 'schema'");
      const leases = new Leases(sql);
      leases.migrate();
      leases.migrate();
      expect(leases.get(7)).toEqual({ jobId: 7, attempt: 1, state: 'leased', deadline: 123, maxSeconds: null, hardDeadline: null });
      leases.offer(8, 1, 60, 1000);
      leases.accept(8, 2000);
      expect(leases.get(8)!.hardDeadline).toBe(2000 + 60_000 + OVERRUN_GRACE_MS);
    });
  });
});
