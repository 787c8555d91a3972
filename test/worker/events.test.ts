/**
 * GET /api/v1/jobs/{id}/events through the real Worker and TaskManager: the test plays
 * the relay on its socket and one or more browsers on theirs.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { CLOSE_TOO_SLOW } from '../../shared/job-events';
import { MAX_BEHIND_LINES, WINDOW_MESSAGES } from '../../worker/taskmanager/subscribers';
import { buildWorld, type World } from './fixtures';
import { get, post, tokenFor, userWithRole, type As } from './helpers';
import { connectRelay, openEvents, TestSocket } from './sockets';

/** A browser: collects lines (acknowledging each message unless told not to) and keeps the order of what came. */
class Watcher extends TestSocket {
  readonly lines: any[] = [];
  /** 'lines:<last line>' or 'status:<status>', in arrival order. */
  readonly events: string[] = [];
  autoAck = true;

  protected override onMessage(m: any) {
    if (m.type === 'lines') {
      this.lines.push(...m.lines);
      this.events.push(`lines:${m.lines.at(-1).line}`);
      expect(m.lines.length).toBeLessThanOrEqual(1000);
      if (this.autoAck) this.send({ type: 'ack', line: m.lines.at(-1).line });
      return;
    }
    if (m.type === 'status') this.events.push(`status:${m.status}`);
    super.onMessage(m);
  }

  get lastLine(): number {
    return this.lines.at(-1)?.line ?? 0;
  }

  async linesUpTo(n: number) {
    await this.until(() => this.lastLine >= n, `line ${n} (have ${this.lastLine})`);
  }
}

async function watch(jobId: number, as: As, opts: { after?: number; ack?: boolean } = {}): Promise<Watcher> {
  const res = await openEvents(jobId, as, { after: opts.after });
  if (res.status !== 101) throw new Error(`events: ${res.status} ${await res.text()}`);
  const w = new Watcher(res.webSocket!);
  w.autoAck = opts.ack ?? true;
  return w;
}

const numbers = (lines: { line: number }[]) => lines.map((l) => l.line);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Plays the relay: sends frames of `size` lines numbered on from `first`, each acknowledged before the next. */
async function sendFrames(relay: TestSocket, jobId: number, frames: { seq: number; first: number; size: number }[]) {
  for (const f of frames) {
    const lines = range(f.first, f.first + f.size - 1).map((n) => ({ stream: n % 7 ? 'stdout' : 'stderr', text: `line ${n}`, time: 1_700_000_000_000 + n }));
    relay.send({ type: 'log', jobId, attempt: 1, seq: f.seq, lines });
    expect((await relay.take('ack')).seq).toBe(f.seq);
  }
}
const frames = (count: number, size: number, seq = 1) => range(0, count - 1).map((i) => ({ seq: seq + i, first: (seq + i - 1) * size + 1, size }));

/** The world's first backup, offered to the relay (status starting). */
async function offered(w: World) {
  const relay = await connectRelay(w);
  await post(`/policies/${w.policyId}/launch`, {}, w.admin);
  const offer = await relay.take('offer');
  return { relay, jobId: offer.spec.jobId as number };
}

/** The same, accepted and leased (status running). */
async function running(w: World) {
  const o = await offered(w);
  o.relay.send({ type: 'accept', jobId: o.jobId, attempt: 1 });
  await o.relay.take('lease');
  return o;
}

const pause = (ms = 200) => new Promise((r) => setTimeout(r, ms));

describe('job events socket: who may open it', () => {
  it('refuses no caller (401), a foreign Origin (403), a plain GET (426), a bad after (400), an unknown job (404), a job without relay (409)', async () => {
    const w = await buildWorld({ ready: true });
    const { jobId } = await running(w);
    const viewer = await userWithRole(w.admin, 'viewer');
    const token = await tokenFor(viewer.session, 'read');

    const anon = await openEvents(jobId, null);
    expect(anon.status).toBe(401);
    expect((await anon.json<any>()).error.code).toBe('unauthorized');

    for (const as of [viewer.session, { token: token.token }]) {
      const foreign = await openEvents(jobId, as, { origin: 'https://evil.example' });
      expect(foreign.status).toBe(403);
      expect((await foreign.json<any>()).error.code).toBe('csrf');
    }

    const plain = await openEvents(jobId, viewer.session, { upgrade: false });
    expect(plain.status).toBe(426);
    expect(await plain.json()).toEqual({ error: { code: 'upgrade_required', message: expect.any(String) } });

    for (const after of ['-1', 'abc', '1.5', '1e300']) {
      const bad = await openEvents(jobId, viewer.session, { after });
      expect(bad.status, after).toBe(400);
      expect(Object.keys((await bad.json<any>()).error.fields)).toEqual(['after']);
    }

    expect((await openEvents(999_999, viewer.session)).status).toBe(404);

    const orphan = await env.DB.prepare("INSERT INTO jobs (type, status, launch_type) VALUES ('backup', 'failed', 'manual') RETURNING id").first<{ id: number }>();
    const noRelay = await openEvents(orphan!.id, viewer.session);
    expect(noRelay.status).toBe(409);

    // A viewer may watch, through its session (same Origin) or a read token (no Origin).
    for (const as of [viewer.session, { token: token.token }]) {
      const ok = await openEvents(jobId, as);
      expect(ok.status).toBe(101);
      const s = new TestSocket(ok.webSocket!);
      expect(await s.take('hello')).toEqual({ type: 'hello', job: jobId, status: 'running', last_line: 0 });
      s.ws.close(1000, 'done');
    }
  });

  it('is documented in the OpenAPI document for viewers', async () => {
    const w = await buildWorld();
    const doc = (await get('/openapi.json', w.admin)).body;
    const op = doc.paths['/api/v1/jobs/{id}/events'].get;
    expect(op['x-access']).toBe('viewer');
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['101', '400', '403', '404', '409', '426']));
  });
});

describe('job events socket: replay and live', () => {
  it('replays exactly the stored lines after `after`, at most 1000 a message, in the /stdout json shape', async () => {
    const w = await buildWorld({ ready: true });
    const { relay, jobId } = await running(w);
    await sendFrames(relay, jobId, [...frames(2, 1000), { seq: 3, first: 2001, size: 500 }]);

    const all = await watch(jobId, w.admin);
    expect(await all.take('hello')).toEqual({ type: 'hello', job: jobId, status: 'running', last_line: 2500 });
    await all.linesUpTo(2500);
    expect(numbers(all.lines)).toEqual(range(1, 2500));
    expect(all.events).toEqual(['lines:1000', 'lines:2000', 'lines:2500']);
    const stdout = (await get(`/jobs/${jobId}/stdout?format=json&start_line=995&end_line=1005`, w.admin)).body.lines;
    expect(all.lines.slice(994, 1005)).toEqual(stdout);

    const rest = await watch(jobId, w.admin, { after: 1234 });
    await rest.linesUpTo(2500);
    await pause();
    expect(numbers(rest.lines)).toEqual(range(1235, 2500));

    // Past the end: nothing until the job gets there.
    const ahead = await watch(jobId, w.admin, { after: 2600 });
    await ahead.take('hello');
    await sendFrames(relay, jobId, [{ seq: 4, first: 2501, size: 150 }]);
    await ahead.linesUpTo(2650);
    expect(numbers(ahead.lines)).toEqual(range(2601, 2650));
  });

  it('paces a replay by acks: at most the window of messages is ever unacknowledged', async () => {
    const w = await buildWorld({ ready: true });
    const { relay, jobId } = await running(w);
    await sendFrames(relay, jobId, frames(WINDOW_MESSAGES + 2, 1000));

    const lazy = await watch(jobId, w.admin, { ack: false });
    await lazy.linesUpTo(WINDOW_MESSAGES * 1000);
    await pause(300);
    expect(lazy.lines).toHaveLength(WINDOW_MESSAGES * 1000);
    // Acknowledging two messages lets two more through.
    lazy.send({ type: 'ack', line: 2000 });
    await lazy.linesUpTo((WINDOW_MESSAGES + 2) * 1000);
    expect(numbers(lazy.lines)).toEqual(range(1, (WINDOW_MESSAGES + 2) * 1000));
    expect(lazy.closed).toBeNull();
  });

  it('two watchers both get every live line in order, then running → successful after the last line', async () => {
    const w = await buildWorld({ ready: true });
    const viewer = await userWithRole(w.admin, 'viewer');
    const token = await tokenFor(viewer.session, 'read');
    const { relay, jobId } = await offered(w);

    const a = await watch(jobId, viewer.session);
    const b = await watch(jobId, { token: token.token });
    expect((await a.take('hello')).status).toBe('starting');
    expect((await b.take('hello')).status).toBe('starting');

    relay.send({ type: 'accept', jobId, attempt: 1 });
    await relay.take('lease');
    for (const s of [a, b]) expect(await s.take('status')).toMatchObject({ type: 'status', status: 'running', exit_code: null, finished: null });

    await sendFrames(relay, jobId, [
      { seq: 1, first: 1, size: 3 },
      { seq: 2, first: 4, size: 1 },
      { seq: 3, first: 5, size: 40 },
    ]);
    relay.send({ type: 'finish', jobId, attempt: 1, lastSeq: 3, status: 'successful', exitCode: 0, explanation: null, result: null });
    await relay.take('finish_ack');

    for (const s of [a, b]) {
      const done = await s.take('status');
      expect(done).toMatchObject({ status: 'successful', exit_code: 0, explanation: null, last_line: 44, finished: expect.any(String) });
      expect(numbers(s.lines)).toEqual(range(1, 44));
      expect(s.lines[0]).toEqual({ line: 1, time: new Date(1_700_000_000_001).toISOString(), stream: 'stdout', text: 'line 1' });
      expect(s.events).toEqual(['status:running', 'lines:3', 'lines:4', 'lines:44', 'status:successful']);
    }
  });

  it('tells watchers when a job is lost, and when a job not started is canceled', async () => {
    const w = await buildWorld({ ready: true });
    const { relay, jobId } = await running(w);
    const lost = await watch(jobId, w.admin);
    await lost.take('hello');
    const tm = env.TASK_MANAGER.get(env.TASK_MANAGER.idFromName('relay:1'));
    await runInDurableObject(tm, async (_o, state) => {
      state.storage.sql.exec('UPDATE leases SET deadline = ?', Date.now() - 1);
      await state.storage.setAlarm(Date.now());
    });
    await runDurableObjectAlarm(tm);
    expect(await lost.take('status')).toMatchObject({ status: 'lost', explanation: expect.stringMatching(/stopped reporting/) });

    // The next job of the chain is offered; one further down is still waiting: cancel it.
    await relay.take('offer');
    const waiting = (await get(`/jobs?status=waiting,pending`, w.admin)).body.results.at(-1);
    const canceled = await watch(waiting.id, w.admin);
    expect((await canceled.take('hello')).status).toBe(waiting.status);
    expect((await post(`/jobs/${waiting.id}/cancel`, {}, w.admin)).status).toBe(200);
    expect(await canceled.take('status')).toMatchObject({ status: 'canceled', finished: expect.any(String) });
  });
});

describe('job events socket: slow and broken browsers', () => {
  it('closes a watcher that stops reading with 4008, while the relay keeps being acked and stored; it resumes by line', async () => {
    const w = await buildWorld({ ready: true });
    const { relay, jobId } = await running(w);
    const slow = await watch(jobId, w.admin, { ack: false });
    const fast = await watch(jobId, w.admin);
    await slow.take('hello');
    await fast.take('hello');

    const total = MAX_BEHIND_LINES + 1000;
    // sendFrames checks that every frame is acknowledged before the next one is sent.
    await sendFrames(relay, jobId, frames(total / 1000, 1000));
    await slow.until(() => slow.closed !== null, 'the slow watcher to be closed');
    expect(slow.closed!.code).toBe(CLOSE_TOO_SLOW);
    expect(slow.closed!.reason).toMatch(/too slow: resume with \?after=0/);
    // What was queued for it stayed within the window; the rest was never sent.
    expect(numbers(slow.lines)).toEqual(range(1, Math.min(MAX_BEHIND_LINES, WINDOW_MESSAGES * 1000)));
    expect(slow.events.length).toBeLessThanOrEqual(WINDOW_MESSAGES);

    await fast.linesUpTo(total);
    expect(numbers(fast.lines)).toEqual(range(1, total));
    expect(fast.closed).toBeNull();
    expect((await get(`/jobs/${jobId}/stdout?format=json&start_line=${total}`, w.admin)).body).toMatchObject({ total_lines: total, lines: [{ line: total, text: `line ${total}` }] });

    const resumed = await watch(jobId, w.admin, { after: slow.lastLine });
    expect((await resumed.take('hello')).last_line).toBe(total);
    await resumed.linesUpTo(total);
    expect(numbers(resumed.lines)).toEqual(range(slow.lastLine + 1, total));
  });

  it('answers garbage with an error and keeps serving the watcher and the relay', async () => {
    const w = await buildWorld({ ready: true });
    const { relay, jobId } = await running(w);
    const s = await watch(jobId, w.admin);
    await s.take('hello');

    s.send('{nope');
    expect(await s.take('error')).toEqual({ type: 'error', code: 'invalid_message', message: 'Not JSON.' });
    s.ws.send(new Uint8Array([1, 2, 3]));
    expect((await s.take('error')).code).toBe('invalid_message');
    s.send({ type: 'subscribe', job: 1 });
    expect((await s.take('error')).message).toMatch(/Expected \{"type":"ack"/);
    s.send({ type: 'ack', line: -3 });
    expect((await s.take('error')).code).toBe('invalid_message');
    s.send({ type: 'ack', line: 50 });
    expect(await s.take('error')).toMatchObject({ code: 'invalid_ack', message: expect.stringMatching(/last line sent is 0/) });
    s.send('x'.repeat(100_000));
    expect((await s.take('error')).message).toBe('Message too long.');

    await sendFrames(relay, jobId, frames(2, 10));
    await s.linesUpTo(20);
    expect(numbers(s.lines)).toEqual(range(1, 20));
    expect(s.closed).toBeNull();
    // The relay's socket is untouched by the browser's garbage.
    relay.send({ type: 'heartbeat', jobs: [{ jobId, attempt: 1 }] });
    await pause(100);
    expect(relay.inbox.filter((m) => m.type === 'error')).toEqual([]);
  });
});
