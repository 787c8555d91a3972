/**
 * The job loop through the real Worker and TaskManager Durable Object, with the test
 * playing the relay on the WebSocket: offer → accept → lease → log → finish, chains,
 * refusals, lease expiry, reconnects and cancel.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, get, ORIGIN, post, secret } from './helpers';
import { buildWorld, create, type World } from './fixtures';

class FakeRelay {
  readonly inbox: any[] = [];
  closed = false;
  private wake: (() => void) | null = null;
  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener('message', (e) => {
      this.inbox.push(JSON.parse(e.data as string));
      this.wake?.();
    });
    ws.addEventListener('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }
  send(m: unknown) {
    this.ws.send(JSON.stringify(m));
  }
  /** The next message of a type (others before it are kept). */
  async take(type: string, ms = 3000): Promise<any> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type);
      if (i >= 0) return this.inbox.splice(i, 1)[0];
      if (Date.now() > deadline) throw new Error(`no ${type}; inbox: ${JSON.stringify(this.inbox).slice(0, 500)}`);
      await Promise.race([new Promise<void>((r) => (this.wake = r)), new Promise((r) => setTimeout(r, 50))]);
    }
  }
}

async function connectRelay(w: World, jobs: unknown[] = []): Promise<FakeRelay> {
  const pairing = await post('/relays/1/pairing', {}, w.admin);
  const paired = await call('POST', '/relays/pair', { body: { token: pairing.body.token, public_key: (await get('/relays/1', w.admin)).body.public_key, version: 'test' } });
  expect(paired.status, paired.text).toBe(200);
  const res = await exports.default.fetch(new Request(`${ORIGIN}/relay/connect`, { headers: { Upgrade: 'websocket', Authorization: `Bearer ${secret(paired.body.credential)}` } }));
  const relay = new FakeRelay(res.webSocket!);
  relay.send({ type: 'hello', v: 1, version: 'test', jobs });
  await relay.take('welcome');
  return relay;
}

/** Launches the world's policy and takes its first backup through offer → accept → lease. */
async function leasedBackup(w: World) {
  const relay = await connectRelay(w);
  await post(`/policies/${w.policyId}/launch`, {}, w.admin);
  const offer = await relay.take('offer');
  relay.send({ type: 'accept', jobId: offer.spec.jobId, attempt: 1 });
  await relay.take('lease');
  return { relay, offer };
}

const job = async (w: World, id: number) => (await get(`/jobs/${id}`, w.admin)).body;
const tm = () => env.TASK_MANAGER.get(env.TASK_MANAGER.idFromName('relay:1'));

describe('dispatch', () => {
  it('runs a chain: backup offered, leased, logged, finished with stats; its catalog becomes pending', async () => {
    const w = await buildWorld({ ready: true });
    await post(`/policies/${w.policyId}`, {}, w.admin);
    const relay = await connectRelay(w);
    const jobs = (await post(`/policies/${w.policyId}/launch`, {}, w.admin)).body.jobs as any[];
    const backup = jobs[0];
    const offer = await relay.take('offer');
    expect(offer.spec).toMatchObject({ kind: 'backup', jobId: backup.id, attempt: 1, archiveName: backup.archive_name });
    // One job per client and per repository: the second client's backup shares the repository.
    expect(relay.inbox.filter((m) => m.type === 'offer')).toHaveLength(0);
    expect((await job(w, backup.id)).status).toBe('starting');

    relay.send({ type: 'accept', jobId: backup.id, attempt: 1 });
    const lease = await relay.take('lease');
    expect(lease.leaseUntil).toBeGreaterThan(Date.now());
    expect((await job(w, backup.id))).toMatchObject({ status: 'running', started: expect.any(String) });

    relay.send({ type: 'log', jobId: backup.id, attempt: 1, seq: 1, lines: [{ stream: 'stderr', text: 'Creating archive', time: Date.now() }] });
    expect((await relay.take('ack')).seq).toBe(1);
    // finish before all lines are stored is answered with the ack, not recorded.
    const result = {
      archive: { name: backup.archive_name, stats: { original_size: 1000, compressed_size: 600, deduplicated_size: 100, nfiles: 12 } },
      cache: { stats: { total_size: 5000, total_csize: 3000, unique_csize: 700 } },
    };
    relay.send({ type: 'finish', jobId: backup.id, attempt: 1, lastSeq: 2, status: 'successful', exitCode: 0, explanation: null, result });
    expect((await relay.take('ack')).seq).toBe(1);
    relay.send({ type: 'log', jobId: backup.id, attempt: 1, seq: 2, lines: [{ stream: 'stdout', text: 'done', time: Date.now() }] });
    await relay.take('ack');
    relay.send({ type: 'finish', jobId: backup.id, attempt: 1, lastSeq: 2, status: 'successful', exitCode: 0, explanation: null, result });
    await relay.take('finish_ack');
    expect(await job(w, backup.id)).toMatchObject({ status: 'successful', exit_code: 0, original_size: 1000, deduplicated_size: 100, file_count: 12 });
    // The repository's totals come from the same document.
    expect((await get(`/repositories/${w.repositoryId}`, w.admin)).body).toMatchObject({ original_size: 5000, compressed_size: 3000, deduplicated_size: 700 });
    expect((await get(`/jobs/${backup.id}/stdout`, w.admin)).text).toBe('Creating archive\ndone\n');

    // Its catalog became pending; of the same age, the second client's (manual) backup goes first.
    const next = await relay.take('offer');
    expect(next.spec).toMatchObject({ kind: 'backup', jobId: jobs[3].id });
    expect((await job(w, jobs[1].id)).explanation).toBe(`waiting: repository busy with job ${jobs[3].id}`);
    // A duplicate finish is acknowledged and changes nothing.
    relay.send({ type: 'finish', jobId: backup.id, attempt: 1, lastSeq: 2, status: 'failed', exitCode: 2, explanation: 'late', result: null });
    await relay.take('finish_ack');
    expect((await job(w, backup.id)).status).toBe('successful');
  });

  it('a refused or failed job fails the jobs that wait on it, with the reason', async () => {
    const w = await buildWorld({ ready: true });
    const relay = await connectRelay(w);
    const jobs = (await post(`/policies/${w.policyId}/launch`, {}, w.admin)).body.jobs as any[];
    const offer = await relay.take('offer');
    relay.send({ type: 'reject', jobId: offer.spec.jobId, attempt: 1, reason: 'piped commands are not allowed on this relay' });
    const second = await relay.take('offer');
    expect(second.spec.jobId).toBe(jobs[3].id);
    expect(await job(w, jobs[0].id)).toMatchObject({ status: 'failed', explanation: 'The relay refused the job: piped commands are not allowed on this relay' });
    expect((await job(w, jobs[1].id)).explanation).toMatch(new RegExp(`job ${jobs[0].id}, which it depends on, did not succeed`));
    expect((await job(w, jobs[2].id)).status).toBe('failed');
  });

  it('an expired lease makes the job lost, never re-run', async () => {
    const w = await buildWorld({ ready: true });
    const { relay, offer } = await leasedBackup(w);
    await runInDurableObject(tm(), async (_o, state) => {
      state.storage.sql.exec('UPDATE leases SET deadline = ?', Date.now() - 1);
      await state.storage.setAlarm(Date.now());
    });
    // Miniflare may already have fired the due alarm; run it if it is still pending.
    await runDurableObjectAlarm(tm());
    expect(await job(w, offer.spec.jobId)).toMatchObject({ status: 'lost', explanation: expect.stringMatching(/stopped reporting.*not run again/) });
    // Its client is free again: the next job of the repository is offered, not the lost one.
    const next = await relay.take('offer');
    expect(next.spec.jobId).not.toBe(offer.spec.jobId);
  });

  it('a reconnect that does not report a leased job marks it lost; one that does keeps it', async () => {
    const w = await buildWorld({ ready: true });
    const { relay, offer } = await leasedBackup(w);
    const again = await connectRelay(w, [{ jobId: offer.spec.jobId, attempt: 1, state: 'running', lastSeq: 0 }]);
    expect((await job(w, offer.spec.jobId)).status).toBe('running');
    await connectRelay(w, []);
    expect(await job(w, offer.spec.jobId)).toMatchObject({ status: 'lost', explanation: expect.stringMatching(/reconnected without this job/) });
    void again;
    void relay;
  });

  it('cancel of a running job reaches the relay', async () => {
    const w = await buildWorld({ ready: true });
    const { relay, offer } = await leasedBackup(w);
    expect((await post(`/jobs/${offer.spec.jobId}/cancel`, {}, w.admin)).status).toBe(202);
    expect(await relay.take('cancel')).toEqual({ type: 'cancel', jobId: offer.spec.jobId, attempt: 1 });
    relay.send({ type: 'finish', jobId: offer.spec.jobId, attempt: 1, lastSeq: 0, status: 'canceled', exitCode: null, explanation: 'Canceled by the operator.', result: null });
    await relay.take('finish_ack');
    expect((await job(w, offer.spec.jobId)).status).toBe('canceled');
  });

  it('a cancel while the job is on offer is sent again with the lease; an accept after the offer was taken back gets no lease', async () => {
    const w = await buildWorld({ ready: true });
    const relay = await connectRelay(w);
    await post(`/policies/${w.policyId}/launch`, {}, w.admin);
    const offer = await relay.take('offer');
    expect((await post(`/jobs/${offer.spec.jobId}/cancel`, {}, w.admin)).status).toBe(202);
    await relay.take('cancel'); // the relay may not know the job yet: it is told again below
    relay.send({ type: 'accept', jobId: offer.spec.jobId, attempt: 1 });
    await relay.take('lease');
    expect(await relay.take('cancel')).toEqual({ type: 'cancel', jobId: offer.spec.jobId, attempt: 1 });

    // An offer taken back (the job is pending again in D1) is not leased on a late accept.
    const other = await create('/policies', { name: 'other', type: 'config', schedule: w.scheduleId, repository: w.repositoryId, clients: [w.client2Id] }, w.admin);
    relay.send({ type: 'finish', jobId: offer.spec.jobId, attempt: 1, lastSeq: 0, status: 'canceled', exitCode: null, explanation: 'Canceled before it started; nothing ran.', result: null });
    await relay.take('finish_ack');
    await post(`/policies/${other.id}/launch`, {}, w.admin);
    const late = await relay.take('offer');
    await env.DB.prepare("UPDATE jobs SET status = 'pending' WHERE id = ?").bind(late.spec.jobId).run();
    relay.send({ type: 'accept', jobId: late.spec.jobId, attempt: 1 });
    expect(await relay.take('error')).toMatchObject({ code: 'unknown_job', about: 'accept' });
    expect(relay.inbox.some((m) => m.type === 'lease' && m.jobId === late.spec.jobId)).toBe(false);
  });
});
