/** Pairing a relay and its WebSocket to the TaskManager, through the real Worker and Durable Object. */
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { generateSealingKeyPair } from '../../shared/sealed';
import { PING_TEXT } from '../../shared/protocol';
import { call, get, ORIGIN, post, secret, setupAdmin } from './helpers';

async function pairNewRelay(admin: { cookie: string }, name = 'site-a') {
  const created = await post('/relays', { name }, admin);
  expect(created.status, created.text).toBe(201);
  const keys = await generateSealingKeyPair();
  secret(keys.privateKey);
  const token = created.body.pairing.token as string;
  const res = await call('POST', '/relays/pair', { body: { token, public_key: keys.publicKey, version: '0.1.0' } });
  expect(res.status, res.text).toBe(200);
  return { relay: created.body, token, credential: secret(res.body.credential as string), keys };
}

class Socket {
  readonly messages: any[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];
  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener('message', (e) => {
      this.messages.push(JSON.parse(e.data as string));
      this.waiters.splice(0).forEach((w) => w());
    });
    ws.addEventListener('close', (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.waiters.splice(0).forEach((w) => w());
    });
  }
  send(msg: unknown) {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }
  async next(count = 1, ms = 2000): Promise<any[]> {
    const deadline = Date.now() + ms;
    while (this.messages.length < count && !this.closed && Date.now() < deadline) {
      await Promise.race([new Promise<void>((r) => this.waiters.push(r)), new Promise((r) => setTimeout(r, 50))]);
    }
    return this.messages.splice(0, count);
  }
}

async function connect(credential: string | null): Promise<Response> {
  const headers: Record<string, string> = { Upgrade: 'websocket' };
  if (credential) headers.Authorization = `Bearer ${credential}`;
  return exports.default.fetch(new Request(`${ORIGIN}/relay/connect`, { headers }));
}

describe('pairing', () => {
  it('a pairing token works once and yields a credential; the key is registered', async () => {
    const admin = await setupAdmin();
    const { relay, token, keys } = await pairNewRelay(admin);
    expect(relay.pairing.command).toContain(`--token ${token}`);
    const again = await call('POST', '/relays/pair', { body: { token, public_key: keys.publicKey, version: '0.1.0' } });
    expect(again.status).toBe(404);
    const shown = (await get(`/relays/${relay.id}`, admin)).body;
    expect(shown).toMatchObject({ paired: true, public_key: keys.publicKey, version: '0.1.0' });
    const row = await env.DB.prepare('SELECT credential_hash, pairing_token_hash FROM relays WHERE id = ?').bind(relay.id).first<{ credential_hash: string; pairing_token_hash: string | null }>();
    expect(row!.credential_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.pairing_token_hash).toBeNull();
  });

  it('refuses bad, expired and foreign tokens and bad keys', async () => {
    const admin = await setupAdmin();
    const created = await post('/relays', { name: 'x' }, admin);
    const keys = await generateSealingKeyPair();
    const bad = await call('POST', '/relays/pair', { body: { token: 'bp_1_' + 'A'.repeat(43), public_key: keys.publicKey, version: '1' } });
    expect(bad.status).toBe(404);
    const badKey = await call('POST', '/relays/pair', { body: { token: created.body.pairing.token, public_key: 'nope', version: '1' } });
    expect(badKey.body.error.fields).toHaveProperty('public_key');
    const fresh = await post(`/relays/${created.body.id}/pairing`, {}, admin);
    expect(fresh.status).toBe(201);
    // The older token is replaced by the new one.
    expect((await call('POST', '/relays/pair', { body: { token: created.body.pairing.token, public_key: keys.publicKey, version: '1' } })).status).toBe(404);
    await env.DB.prepare('UPDATE relays SET pairing_expires = ? WHERE id = ?').bind(Date.now() - 1, created.body.id).run();
    expect((await call('POST', '/relays/pair', { body: { token: fresh.body.token, public_key: keys.publicKey, version: '1' } })).status).toBe(404);
  });
});

describe('relay socket', () => {
  it('authenticates before the Durable Object, then speaks the protocol', async () => {
    const admin = await setupAdmin();
    const { relay, credential } = await pairNewRelay(admin);
    expect((await exports.default.fetch(new Request(`${ORIGIN}/relay/connect`))).status).toBe(426);
    expect((await connect(null)).status).toBe(401);
    expect((await connect(`br_${relay.id}_${'A'.repeat(43)}`)).status).toBe(401);
    const res = await connect(credential);
    expect(res.status).toBe(101);
    const s = new Socket(res.webSocket!);

    s.send('{nope');
    expect((await s.next())[0]).toMatchObject({ type: 'error', code: 'invalid_message', message: 'Not JSON.' });
    s.send({ type: 'hello', v: 1, version: '0.1.1', jobs: [] });
    expect((await s.next())[0]).toEqual({ type: 'welcome', v: 1, epoch: expect.any(Number) });
    expect((await get(`/relays/${relay.id}`, admin)).body).toMatchObject({ connected: true, version: '0.1.1' });
    // Liveness: the exact ping text is answered by workerd's auto-response; a ping that is
    // not byte-identical reaches the object and is answered by it.
    s.send(PING_TEXT);
    expect((await s.next())[0]).toEqual({ type: 'pong' });
    s.send('{ "type": "ping" }');
    expect((await s.next())[0]).toEqual({ type: 'pong' });

    const frame = (seq: number) => ({ type: 'log', jobId: 42, attempt: 1, seq, lines: [{ stream: 'stdout', text: `line of frame ${seq}`, time: Date.now() }] });
    // One frame at a time, each answered before the next: workerd has been seen (twice, under
    // heavy load) to deliver two back-to-back socket messages to the object out of order. The
    // protocol does not depend on order (a frame out of order is simply not stored and the
    // relay resends from the ack); this checks the go-back-N answers themselves.
    const acks: number[] = [];
    for (const seq of [1, 1, 3, 2, 3]) {
      s.send(frame(seq));
      acks.push((await s.next())[0].seq);
    }
    expect(acks).toEqual([1, 1, 1, 2, 3]);
    const stored = await env.TASK_MANAGER.get(env.TASK_MANAGER.idFromName(`relay:${relay.id}`)).readLines(42, { start: 1, end: null, limit: 100 });
    expect(stored.lines.map((l) => l.text)).toEqual(['line of frame 1', 'line of frame 2', 'line of frame 3']);

    s.send({ type: 'log', jobId: 42, attempt: 1, seq: 4, lines: [] });
    expect((await s.next())[0]).toMatchObject({ type: 'error', code: 'invalid_message', about: 'log' });
    s.ws.close(1000, 'bye');
    await new Promise((r) => setTimeout(r, 100));
    expect((await get(`/relays/${relay.id}`, admin)).body.connected).toBe(false);
  });

  it('a new connection supersedes the old one; the old socket is closed and ignored', async () => {
    const admin = await setupAdmin();
    const { credential } = await pairNewRelay(admin);
    const first = new Socket((await connect(credential)).webSocket!);
    first.send({ type: 'hello', v: 1, version: '1', jobs: [] });
    const w1 = (await first.next())[0];
    const second = new Socket((await connect(credential)).webSocket!);
    await first.next(1, 1000);
    expect(first.closed?.code).toBe(4000);
    second.send({ type: 'hello', v: 1, version: '1', jobs: [] });
    const w2 = (await second.next())[0];
    expect(w2.epoch).toBe(w1.epoch + 1);
  });

  it('a disabled relay cannot connect', async () => {
    const admin = await setupAdmin();
    const { relay, credential } = await pairNewRelay(admin);
    await call('PATCH', `/relays/${relay.id}`, { as: admin, body: { enabled: false } });
    expect((await connect(credential)).status).toBe(401);
  });
});
