/**
 * A relay's `report` (worker/taskmanager/report.ts) through the real Worker and TaskManager
 * Durable Object, with the test playing the relay on the WebSocket: prepare jobs are created
 * through the API, offered, accepted and leased, then reported on. An accepted report marks
 * the object ready in D1 and consumes its readiness tokens; every refused one is answered
 * with a reason and changes nothing.
 */
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { generateSealingKeyPair } from '../../shared/sealed';
import { call, get, ORIGIN, post, secret } from './helpers';
import { buildWorld, create, type World } from './fixtures';
import { connectRelay, TestSocket } from './sockets';

const FP = 'SHA256:uSTS8y5a2Mq2b0c3T3b0AxbfW8sE0LxJ3yQm0p1fW2c';
const OTHER_FP = 'SHA256:Zz9QwErTyUiOpAsDfGhJkLzXcVbNm1234567890abcd';

const tokenOf = (url: string) => new URL(url).pathname.split('/').pop()!;

interface Prepared {
  jobId: number;
  /** The token of the prepare response (replaced by the one minted at dispatch). */
  createdToken: string;
  /** The token of the spec's readinessUrl, minted when the job was offered. */
  specToken: string;
}

/** Prepares the world's first client and its repository; both jobs end up leased to the test relay. */
async function leasedPrepares(w: World): Promise<{ relay: TestSocket; client: Prepared; repository: Prepared }> {
  const relay = await connectRelay(w);
  const pc = await post(`/clients/${w.clientId}/prepare`, {}, w.admin);
  expect(pc.status, pc.text).toBe(201);
  const pr = await post(`/repositories/${w.repositoryId}/prepare`, {}, w.admin);
  expect(pr.status, pr.text).toBe(201);
  const offers = [await relay.take('offer'), await relay.take('offer')];
  const specOf = (kind: string) => {
    const o = offers.find((m) => m.spec.kind === kind);
    expect(o, `an offer of ${kind}`).toBeDefined();
    return o.spec;
  };
  const cs = specOf('prepare_client');
  const rs = specOf('prepare_repository');
  expect(cs).toMatchObject({ jobId: pc.body.job.id, attempt: 1, client: { clientId: w.clientId } });
  expect(rs).toMatchObject({ jobId: pr.body.job.id, attempt: 1, repository: { repositoryId: w.repositoryId } });
  for (const s of [cs, rs]) {
    relay.send({ type: 'accept', jobId: s.jobId, attempt: 1 });
    expect((await relay.take('lease')).jobId).toBe(s.jobId);
  }
  expect((await job(w, cs.jobId)).status).toBe('running');
  expect((await job(w, rs.jobId)).status).toBe('running');
  return {
    relay,
    client: { jobId: cs.jobId, createdToken: tokenOf(pc.body.readiness.url), specToken: tokenOf(cs.readinessUrl) },
    repository: { jobId: rs.jobId, createdToken: tokenOf(pr.body.readiness.url), specToken: tokenOf(rs.readinessUrl) },
  };
}

const job = async (w: World, id: number) => (await get(`/jobs/${id}`, w.admin)).body;

const clientReport = (clientId: number, over: Record<string, unknown> = {}) => ({ object: 'client', clientId, ip: '192.0.2.10', borgVersion: '1.2.4', hostKeyFingerprint: FP, ...over });
const repositoryReport = (repositoryId: number, over: Record<string, unknown> = {}) => ({
  object: 'repository',
  repositoryId,
  originalSize: 1_000_000,
  compressedSize: 600_000,
  deduplicatedSize: 250_000,
  ...over,
});

async function report(relay: TestSocket, jobId: number, attempt: number, body: unknown) {
  relay.send({ type: 'report', jobId, attempt, report: body });
  const ack = await relay.take('report_ack');
  expect(ack).toMatchObject({ jobId, attempt });
  return ack as { type: 'report_ack'; jobId: number; attempt: number; ok: boolean; reason: string | null };
}

const clientRow = (id: number) =>
  env.DB.prepare('SELECT ready, ip, borg_version, host_key_fingerprint, mark_as_to_update FROM clients WHERE id = ?')
    .bind(id)
    .first<{ ready: number; ip: string | null; borg_version: string | null; host_key_fingerprint: string | null; mark_as_to_update: number }>();
const repositoryRow = (id: number) =>
  env.DB.prepare('SELECT ready, original_size, compressed_size, deduplicated_size FROM repositories WHERE id = ?')
    .bind(id)
    .first<{ ready: number; original_size: number | null; compressed_size: number | null; deduplicated_size: number | null }>();
const tokenCount = async (objectType: 'client' | 'repository', id: number) =>
  (await env.DB.prepare('SELECT count(*) AS n FROM readiness_tokens WHERE object_type = ? AND object_id = ?').bind(objectType, id).first<{ n: number }>())!.n;

/** Everything a report could change, to compare before and after a refused one. */
async function snapshot(w: World) {
  return {
    clients: (await env.DB.prepare('SELECT id, ready, ip, borg_version, host_key_fingerprint, mark_as_to_update, modified FROM clients ORDER BY id').all()).results,
    repositories: (await env.DB.prepare('SELECT id, ready, original_size, compressed_size, deduplicated_size, modified FROM repositories ORDER BY id').all()).results,
    tokens: (await env.DB.prepare('SELECT token_hash, job_id, object_type, object_id, used FROM readiness_tokens ORDER BY token_hash').all()).results,
    jobs: (await env.DB.prepare('SELECT id, status, explanation FROM jobs ORDER BY id').all()).results,
  };
}

/** Creates, pairs and connects a second relay (its own TaskManager). */
async function connectSecondRelay(w: World): Promise<TestSocket> {
  const created = await create('/relays', { name: 'site-b' }, w.admin);
  const keys = await generateSealingKeyPair();
  secret(keys.privateKey);
  const paired = await call('POST', '/relays/pair', { body: { token: created.pairing.token, public_key: keys.publicKey, version: 'test' } });
  expect(paired.status, paired.text).toBe(200);
  const res = await exports.default.fetch(new Request(`${ORIGIN}/relay/connect`, { headers: { Upgrade: 'websocket', Authorization: `Bearer ${secret(paired.body.credential)}` } }));
  expect(res.status).toBe(101);
  const relay = new TestSocket(res.webSocket!);
  relay.send({ type: 'hello', v: 1, version: 'test', jobs: [] });
  await relay.take('welcome');
  return relay;
}

describe('report', () => {
  it('marks the job’s own client ready: address, borg version and host key stored, to-update cleared, its readiness tokens consumed', async () => {
    const w = await buildWorld();
    const { relay, client, repository } = await leasedPrepares(w);
    await env.DB.prepare('UPDATE clients SET mark_as_to_update = 1 WHERE id = ?').bind(w.clientId).run();
    expect(await clientRow(w.clientId)).toMatchObject({ ready: 0, host_key_fingerprint: null, mark_as_to_update: 1 });
    // The token of the prepare response was replaced by the one minted at dispatch.
    expect(client.specToken).not.toBe(client.createdToken);
    expect(await tokenCount('client', w.clientId)).toBe(1);

    const ack = await report(relay, client.jobId, 1, clientReport(w.clientId));
    expect(ack).toEqual({ type: 'report_ack', jobId: client.jobId, attempt: 1, ok: true, reason: null });
    expect(await clientRow(w.clientId)).toEqual({ ready: 1, ip: '192.0.2.10', borg_version: '1.2.4', host_key_fingerprint: FP, mark_as_to_update: 0 });
    expect((await get(`/clients/${w.clientId}`, w.admin)).body).toMatchObject({ ready: true, ip: '192.0.2.10', borg_version: '1.2.4' });

    // The curl the relay would have printed no longer works, nor does the one of the prepare response.
    expect(await tokenCount('client', w.clientId)).toBe(0);
    expect((await call('POST', `/ready/${client.specToken}`, {})).status).toBe(404);
    expect((await call('POST', `/ready/${client.createdToken}`, {})).status).toBe(404);
    // Only that client's tokens: the repository's (and the other client's state) are untouched.
    expect(await tokenCount('repository', w.repositoryId)).toBe(1);
    expect(await repositoryRow(w.repositoryId)).toMatchObject({ ready: 0 });
    expect(await clientRow(w.client2Id)).toMatchObject({ ready: 0, host_key_fingerprint: null });
    // A report does not end the job: its finish does.
    expect((await job(w, client.jobId)).status).toBe('running');

    // Reported again with the key now pinned (a retry after a lost ack): accepted; null address and version keep the stored ones.
    const again = await report(relay, client.jobId, 1, clientReport(w.clientId, { ip: null, borgVersion: null }));
    expect(again.ok).toBe(true);
    expect(await clientRow(w.clientId)).toMatchObject({ ready: 1, ip: '192.0.2.10', borg_version: '1.2.4', host_key_fingerprint: FP });
    void repository;
  });

  it('marks the job’s own repository ready with its sizes, and consumes its readiness tokens', async () => {
    const w = await buildWorld();
    const { relay, client, repository } = await leasedPrepares(w);
    expect(await tokenCount('repository', w.repositoryId)).toBe(1);
    const ack = await report(relay, repository.jobId, 1, repositoryReport(w.repositoryId));
    expect(ack).toEqual({ type: 'report_ack', jobId: repository.jobId, attempt: 1, ok: true, reason: null });
    expect(await repositoryRow(w.repositoryId)).toEqual({ ready: 1, original_size: 1_000_000, compressed_size: 600_000, deduplicated_size: 250_000 });
    expect((await get(`/repositories/${w.repositoryId}`, w.admin)).body.ready).toBe(true);
    expect(await tokenCount('repository', w.repositoryId)).toBe(0);
    expect((await call('POST', `/ready/${repository.specToken}`, {})).status).toBe(404);
    expect((await call('POST', `/ready/${repository.createdToken}`, {})).status).toBe(404);
    // The client's prepare is untouched, its token still valid (not used here).
    expect(await tokenCount('client', w.clientId)).toBe(1);
    expect(await clientRow(w.clientId)).toMatchObject({ ready: 0 });
    void client;
  });

  it('refuses, with a reason and changing nothing: another object, the other kind, another relay’s job, a stale attempt, a job that is not running', async () => {
    const w = await buildWorld();
    const { relay, client, repository } = await leasedPrepares(w);
    const before = await snapshot(w);
    const refused = async (socket: TestSocket, jobId: number, attempt: number, body: unknown, reason: RegExp) => {
      const ack = await report(socket, jobId, attempt, body);
      expect(ack.ok, JSON.stringify(ack)).toBe(false);
      expect(ack.reason).toMatch(reason);
      expect(await snapshot(w)).toEqual(before);
    };

    // Wrong object id: the other client, a client that does not exist, another repository id.
    await refused(relay, client.jobId, 1, clientReport(w.client2Id), new RegExp(`Job ${client.jobId} does not prepare client ${w.client2Id}\\.`));
    await refused(relay, client.jobId, 1, clientReport(999_999), new RegExp(`does not prepare client 999999`));
    await refused(relay, repository.jobId, 1, repositoryReport(w.repositoryId + 1000), new RegExp(`Job ${repository.jobId} does not prepare repository ${w.repositoryId + 1000}\\.`));
    // The wrong kind for the job, even with the right ids.
    await refused(relay, client.jobId, 1, repositoryReport(w.repositoryId), new RegExp(`Job ${client.jobId} does not prepare repository ${w.repositoryId}\\.`));
    await refused(relay, repository.jobId, 1, clientReport(w.clientId), new RegExp(`Job ${repository.jobId} does not prepare client ${w.clientId}\\.`));
    // A job that does not exist.
    await refused(relay, 999_999, 1, clientReport(w.clientId), /Job 999999 attempt 1 is not a job of this relay\./);
    // A stale (or future) attempt of the right job.
    await refused(relay, client.jobId, 2, clientReport(w.clientId), new RegExp(`Job ${client.jobId} attempt 2 is not a job of this relay\\.`));
    // Another relay reporting on this relay's jobs.
    const other = await connectSecondRelay(w);
    await refused(other, client.jobId, 1, clientReport(w.clientId), new RegExp(`Job ${client.jobId} attempt 1 is not a job of this relay\\.`));
    await refused(other, repository.jobId, 1, repositoryReport(w.repositoryId), new RegExp(`Job ${repository.jobId} attempt 1 is not a job of this relay\\.`));

    // A job that is no longer running: finished, then reported.
    relay.send({ type: 'finish', jobId: client.jobId, attempt: 1, lastSeq: 0, status: 'failed', exitCode: 2, explanation: 'borg is too old', result: null });
    await relay.take('finish_ack');
    expect((await job(w, client.jobId)).status).toBe('failed');
    const afterFinish = await snapshot(w);
    const late = await report(relay, client.jobId, 1, clientReport(w.clientId));
    expect(late).toMatchObject({ ok: false, reason: `Job ${client.jobId} is failed, not running.` });
    expect(await snapshot(w)).toEqual(afterFinish);
    expect(await clientRow(w.clientId)).toMatchObject({ ready: 0, host_key_fingerprint: null });

    // The repository job still running is still accepted: none of the above broke the DO.
    expect((await report(relay, repository.jobId, 1, repositoryReport(w.repositoryId))).ok).toBe(true);
    expect(await repositoryRow(w.repositoryId)).toMatchObject({ ready: 1 });
  });

  it('refuses a client whose pinned host key differs from the reported one; the pin stays, the client stays not ready', async () => {
    const w = await buildWorld();
    const { relay, client } = await leasedPrepares(w);
    await env.DB.prepare('UPDATE clients SET host_key_fingerprint = ? WHERE id = ?').bind(FP, w.clientId).run();
    const before = await snapshot(w);
    const ack = await report(relay, client.jobId, 1, clientReport(w.clientId, { hostKeyFingerprint: OTHER_FP, ip: '198.51.100.9', borgVersion: '1.4.0' }));
    expect(ack.ok).toBe(false);
    expect(ack.reason).toMatch(/host key/);
    expect(ack.reason).toContain(OTHER_FP);
    expect(ack.reason).toContain(FP);
    expect(ack.reason).toMatch(/re-pin/);
    expect(await snapshot(w)).toEqual(before);
    expect(await clientRow(w.clientId)).toMatchObject({ ready: 0, host_key_fingerprint: FP, ip: null, borg_version: null });
    // Its readiness token was not consumed by the refused report.
    expect(await tokenCount('client', w.clientId)).toBe(1);
    // The same relay reporting the pinned key is accepted.
    expect((await report(relay, client.jobId, 1, clientReport(w.clientId))).ok).toBe(true);
    expect(await clientRow(w.clientId)).toMatchObject({ ready: 1, host_key_fingerprint: FP });
  });

  it('answers a malformed report with an error naming it, changes nothing, and keeps working', async () => {
    const w = await buildWorld();
    const { relay, client, repository } = await leasedPrepares(w);
    const before = await snapshot(w);
    // Each with the field its error names.
    const malformed: [unknown, string][] = [
      [{ type: 'report', jobId: client.jobId, attempt: 1, report: { ...clientReport(w.clientId), clientId: 'one' } }, 'report.clientId'],
      [{ type: 'report', jobId: client.jobId, attempt: 1, report: { object: 'server', clientId: w.clientId } }, 'report.object'],
      [{ type: 'report', jobId: client.jobId, attempt: 1, report: { object: 'client', clientId: w.clientId, ip: null, borgVersion: null } }, 'report.hostKeyFingerprint'],
      [{ type: 'report', jobId: repository.jobId, attempt: 1, report: repositoryReport(w.repositoryId, { originalSize: -1 }) }, 'report.originalSize'],
      [{ type: 'report', jobId: repository.jobId, attempt: 1, report: repositoryReport(w.repositoryId, { deduplicatedSize: 1.5 }) }, 'report.deduplicatedSize'],
      [{ type: 'report', jobId: client.jobId, attempt: 1, report: clientReport(w.clientId, { hostKeyFingerprint: 'x'.repeat(101) }) }, 'report.hostKeyFingerprint'],
      [{ type: 'report', jobId: 0, attempt: 1, report: clientReport(w.clientId) }, 'jobId'],
      [{ type: 'report', jobId: client.jobId, attempt: 1 }, 'report'],
    ];
    for (const [m, field] of malformed) {
      relay.send(m);
      const err = await relay.take('error');
      expect(err, JSON.stringify(m)).toMatchObject({ type: 'error', code: 'invalid_message', about: 'report' });
      expect(err.message, JSON.stringify(m)).toMatch(new RegExp(`^Invalid report: ${field.replace('.', '\\.')}: `));
    }
    expect(relay.inbox.filter((m) => m.type === 'report_ack')).toHaveLength(0);
    expect(relay.closed).toBeNull();
    expect(await snapshot(w)).toEqual(before);
    // The same socket and DO go on: a valid report is accepted.
    expect((await report(relay, client.jobId, 1, clientReport(w.clientId))).ok).toBe(true);
    expect(await clientRow(w.clientId)).toMatchObject({ ready: 1, host_key_fingerprint: FP });
  });
});
