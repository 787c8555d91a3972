/**
 * Readiness tokens in job output: a prepare job whose relay cannot report prints the
 * one-time `curl … /api/v1/ready/<token>`. Whoever may not prepare (viewer, or a read-only
 * API token) gets the line with the token hidden, from /stdout (json, txt, downloads) and
 * from the events socket; operators and admins get it whole. Real Worker, D1 and
 * TaskManager; the test plays the relay and the browsers.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS } from '../../shared/protocol';
import { commandLine } from '../../shared/shell-quote';
import { HIDDEN_READINESS_TOKEN, redactReadiness, seesReadinessTokens } from '../../worker/jobs/redact-readiness';
import { taskManagerFor } from '../../worker/taskmanager/TaskManager';
import { buildWorld, type World } from './fixtures';
import { call, get, post, tokenFor, userWithRole, type As } from './helpers';
import { connectRelay, openEvents, TestSocket } from './sockets';

const HIDDEN_PATH = `/api/v1/ready/${HIDDEN_READINESS_TOKEN}`;

/** A browser on the events socket: collects lines, acknowledging each message. */
class Watcher extends TestSocket {
  readonly lines: any[] = [];
  protected override onMessage(m: any) {
    if (m.type !== 'lines') return super.onMessage(m);
    this.lines.push(...m.lines);
    this.send({ type: 'ack', line: m.lines.at(-1).line });
  }
  async linesUpTo(n: number) {
    await this.until(() => (this.lines.at(-1)?.line ?? 0) >= n, `line ${n}`);
  }
}

async function watch(jobId: number, as: As, after = 0): Promise<Watcher> {
  const res = await openEvents(jobId, as, { after });
  if (res.status !== 101) throw new Error(`events: ${res.status} ${await res.text()}`);
  const w = new Watcher(res.webSocket!);
  await w.take('hello');
  return w;
}

/** Everyone who reads output: who sees tokens, who does not. */
async function readers(w: World) {
  const viewer = await userWithRole(w.admin, 'viewer');
  const operator = await userWithRole(w.admin, 'operator');
  const admin = w.admin;
  return {
    operator,
    hidden: {
      'viewer session': viewer.session as As,
      'viewer read token': { token: (await tokenFor(viewer.session, 'read')).token } as As,
      'operator read token': { token: (await tokenFor(operator.session, 'read')).token } as As,
    },
    shown: {
      'operator session': operator.session as As,
      'operator write token': { token: (await tokenFor(operator.session, 'write')).token } as As,
      'admin session': admin as As,
      'admin write token': { token: (await tokenFor(admin, 'write')).token } as As,
    },
  };
}

/** A prepare job of the world's first client, offered to and accepted by the relay: its spec holds a real readiness URL. */
async function runningPrepare(w: World, operator: As) {
  const relay = await connectRelay(w);
  const res = await post(`/clients/${w.clientId}/prepare`, {}, operator);
  expect(res.status, res.text).toBe(201);
  const offer = await relay.take('offer');
  expect(offer.spec.kind).toBe('prepare_client');
  const jobId = offer.spec.jobId as number;
  relay.send({ type: 'accept', jobId, attempt: 1 });
  await relay.take('lease');
  const url = offer.spec.readinessUrl as string;
  const token = new URL(url).pathname.split('/').pop()!;
  return { relay, jobId, url, token };
}

describe('readiness tokens in job output', () => {
  it('are hidden from viewers and read-only tokens in /stdout and on the events socket, shown to operators and admins', async () => {
    const w = await buildWorld();
    const r = await readers(w);
    const { relay, jobId, url, token } = await runningPrepare(w, r.operator.session);
    // The token as minted: what POST /ready/{token} accepts, nothing more.
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url).toBe(`${new URL(url).origin}/api/v1/ready/${token}`);

    // Watchers connected before the lines come: they get them live, from chunks shared between them.
    const live = new Map<string, { w: Watcher; hidden: boolean }>();
    for (const [name, as] of Object.entries(r.hidden)) live.set(name, { w: await watch(jobId, as), hidden: true });
    for (const [name, as] of Object.entries(r.shown)) live.set(name, { w: await watch(jobId, as), hidden: false });

    // The lines exactly as relay/daemon/runner.ts prints them, with ordinary lines around.
    const curl = commandLine(['curl', '-fsS', '-X', 'POST', '-H', 'Content-Type: application/json', '-d', '{}', url]);
    const hostile = `${'/api/v1/ready/'.repeat(800)}${token} ${'/api/v1/ready/'}${'x'.repeat(40)}`.slice(0, MAX_LINE_CHARS);
    const sent = [
      { stream: 'stdout', text: 'borg 1.4.0' },
      { stream: 'system', text: 'Could not mark the client ready through the relay (no answer). Run this once, from anywhere that reaches the orchestrator:' },
      { stream: 'system', text: curl },
      { stream: 'stdout', text: 'the path /api/v1/ready/ alone, /api/v1/ready/short and /api/v1/ready/?x=1 hold no token' },
      { stream: 'stderr', text: `twice: ${url} and again ${url}.` },
      { stream: 'stdout', text: hostile },
      { stream: 'stdout', text: 'done <b>&</b> "quoted" \\ back\tslash' },
    ].map((l, i) => ({ ...l, time: 1_700_000_000_000 + i }));
    relay.send({ type: 'log', jobId, attempt: 1, seq: 1, lines: sent });
    expect((await relay.take('ack')).seq).toBe(1);

    const whole = sent.map((l) => l.text);
    const redacted = [
      whole[0],
      whole[1],
      curl.replace(token, HIDDEN_READINESS_TOKEN),
      whole[3],
      `twice: ${url.replace(token, HIDDEN_READINESS_TOKEN)} and again ${url.replace(token, HIDDEN_READINESS_TOKEN)}.`,
      hostile.replace(token, HIDDEN_READINESS_TOKEN),
      whole[6],
    ];
    expect(redacted[2]).toContain(`${new URL(url).origin}${HIDDEN_PATH}`);
    expect(redacted[2]).not.toContain(token);
    expect(redacted[5]!.endsWith(`${HIDDEN_PATH} /api/v1/ready/${'x'.repeat(40)}`)).toBe(true);
    const expected = (hidden: boolean) => (hidden ? redacted : whole);

    for (const [name, { w: s, hidden }] of live) {
      await s.linesUpTo(sent.length);
      expect(s.lines.map((l) => l.text), name).toEqual(expected(hidden));
      expect(s.lines.map((l) => l.stream), name).toEqual(sent.map((l) => l.stream));
    }

    // Watchers connected afterwards get a replay (from the chunk cache the live ones filled),
    // a viewer between two admins: its copy is its own, the cached chunk stays whole.
    for (const [name, as, hidden] of [
      ['admin replay', w.admin, false],
      ['viewer replay', r.hidden['viewer session'], true],
      ['admin replay again', w.admin, false],
      ['operator replay from line 2', r.shown['operator session'], false],
      ['viewer replay from line 2', r.hidden['viewer session'], true],
    ] as const) {
      const after = name.endsWith('line 2') ? 2 : 0;
      const s = await watch(jobId, as, after);
      await s.linesUpTo(sent.length);
      expect(s.lines.map((l) => l.text), name).toEqual(expected(hidden).slice(after));
      s.ws.close(1000, 'done');
    }

    // /stdout in every shape.
    const everyone = [...Object.entries(r.hidden).map(([n, as]) => [n, as, true] as const), ...Object.entries(r.shown).map(([n, as]) => [n, as, false] as const)];
    for (const [name, as, hidden] of everyone) {
      const want = expected(hidden);
      const json = await get(`/jobs/${jobId}/stdout?format=json`, as);
      expect(json.status, name).toBe(200);
      expect(json.body.total_lines).toBe(sent.length);
      expect(json.body.lines.map((l: any) => l.text), name).toEqual(want);
      expect(json.body.lines.map((l: any) => [l.line, l.stream, l.time])).toEqual(sent.map((l, i) => [i + 1, l.stream, new Date(l.time).toISOString()]));

      const one = await get(`/jobs/${jobId}/stdout?format=json&start_line=3&end_line=3`, as);
      expect(one.body.lines.map((l: any) => l.text), name).toEqual([want[2]]);

      const txt = await call('GET', `/jobs/${jobId}/stdout`, { as });
      expect(txt.headers.get('Content-Type')).toMatch(/^text\/plain/);
      expect(txt.text, name).toBe(want.join('\n') + '\n');

      const dlTxt = await call('GET', `/jobs/${jobId}/stdout?download=true`, { as });
      expect(dlTxt.headers.get('Content-Disposition')).toBe(`attachment; filename="job-${jobId}.txt"`);
      expect(dlTxt.text, name).toBe(want.join('\n') + '\n');

      const dlJson = await call('GET', `/jobs/${jobId}/stdout?download=true&format=json&start_line=2`, { as });
      expect(dlJson.headers.get('Content-Type')).toBe('application/x-ndjson');
      expect(dlJson.text.trimEnd().split('\n').map((l) => JSON.parse(l).text), name).toEqual(want.slice(1));

      for (const body of [json.text, one.text, txt.text, dlTxt.text, dlJson.text]) expect(body.includes(token), name).toBe(!hidden);
    }

    // What was hidden is the real thing: the token still marks the client ready, once.
    for (const s of live.values()) s.w.ws.close(1000, 'done');
    relay.ws.close(1000, 'done');
    const used = await call('POST', `/ready/${token}`, { body: { ip: '192.0.2.10', borg_version: '1.4.0' } });
    expect(used.status, used.text).toBe(200);
    expect(used.body).toEqual({ object: 'client', id: w.clientId, ready: true });
  });

  it('handles hostile lines: half a megabyte of readiness paths and token-shaped runs, from /stdout and the socket', async () => {
    const w = await buildWorld({ ready: true });
    const viewer = await userWithRole(w.admin, 'viewer');
    // A job that waits for its chain: nothing else writes into its output.
    const job = (await post(`/policies/${w.policyId}/launch`, {}, w.admin)).body.jobs[1];
    const fake = 'A'.repeat(43);
    // Each under half a MiB: one line is one socket message, and workerd caps a message at 1 MiB.
    const manyPaths = '/api/v1/ready/'.repeat(35_000); // 490,000 characters, no token at all
    const manyTokens = `/api/v1/ready/${fake}-`.repeat(8_000); // 464,000 characters, 8,000 token-shaped runs
    const lines = [
      { stream: 'stdout' as const, text: manyPaths, time: Date.now() },
      { stream: 'stdout' as const, text: manyTokens, time: Date.now() },
      { stream: 'stdout' as const, text: `${manyPaths}${fake}`, time: Date.now() },
      { stream: 'stdout' as const, text: 'plain', time: Date.now() },
    ];
    await taskManagerFor(env, 1).appendLines(job.id, lines);
    const want = [manyPaths, `${HIDDEN_PATH}-`.repeat(8_000), `${manyPaths.slice(0, -'/api/v1/ready/'.length)}${HIDDEN_PATH}`, 'plain'];

    const started = Date.now();
    const json = await get(`/jobs/${job.id}/stdout?format=json`, viewer.session);
    expect(json.body.lines.map((l: any) => l.text)).toEqual(want);
    const dl = await call('GET', `/jobs/${job.id}/stdout?download=true`, { as: viewer.session });
    expect(dl.text).toBe(want.join('\n') + '\n');
    const s = await watch(job.id, viewer.session);
    await s.linesUpTo(4);
    expect(s.lines.map((l) => l.text)).toEqual(want);
    // Linear work: well within the test's time even on a slow machine.
    expect(Date.now() - started).toBeLessThan(15_000);
    // The admin still gets every line as stored.
    const a = await watch(job.id, w.admin);
    await a.linesUpTo(4);
    expect(a.lines.map((l) => l.text)).toEqual(lines.map((l) => l.text));
    expect((await get(`/jobs/${job.id}/stdout?format=json`, w.admin)).body.lines.map((l: any) => l.text)).toEqual(lines.map((l) => l.text));
    s.ws.close(1000, 'done');
    a.ws.close(1000, 'done');
  });

  it('the TaskManager refuses a watcher without a known role or scope (it never defaults to showing tokens)', async () => {
    const tm = taskManagerFor(env, 1);
    for (const q of ['job=1&after=0&status=running', 'job=1&after=0&status=running&role=viewer', 'job=1&after=0&status=running&role=root&scope=write', 'job=1&after=0&status=running&role=admin&scope=all']) {
      const res = await tm.fetch(new Request(`https://task-manager/events?${q}`, { headers: { Upgrade: 'websocket' } }));
      expect(res.status, q).toBe(400);
    }
  });

  it('redactReadiness: exactly the 43 token characters after the path; other text as it was', () => {
    const t = 'abcDEF0123456789_-abcDEF0123456789_-abcDEF0';
    expect(t).toHaveLength(43);
    expect(redactReadiness(`curl https://h/api/v1/ready/${t}`)).toBe(`curl https://h${HIDDEN_PATH}`);
    expect(redactReadiness(`'https://h/x/api/v1/ready/${t}'`)).toBe(`'https://h/x${HIDDEN_PATH}'`);
    expect(redactReadiness(`/api/v1/ready/${t}/more?x`)).toBe(`${HIDDEN_PATH}/more?x`);
    for (const s of ['', 'no path here', '/api/v1/ready/', `/api/v1/ready/${t.slice(1)}`, `/api/v1/ready/${t.slice(0, 20)}.${t.slice(20)}`, `/API/v1/ready/${t}`, `/api/v1/ready%2F${t}`]) {
      expect(redactReadiness(s), s).toBe(s);
    }
    expect(seesReadinessTokens(null)).toBe(false);
    expect(seesReadinessTokens(undefined)).toBe(false);
    expect(seesReadinessTokens({ role: 'viewer', scope: 'write' })).toBe(false);
    expect(seesReadinessTokens({ role: 'operator', scope: 'read' })).toBe(false);
    expect(seesReadinessTokens({ role: 'operator', scope: 'write' })).toBe(true);
    expect(seesReadinessTokens({ role: 'admin', scope: 'write' })).toBe(true);
  });
});
