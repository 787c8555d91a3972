/** The far ends of the Worker's WebSockets, played by a test: a relay and a browser. */
import { exports } from 'cloudflare:workers';
import { expect } from 'vitest';
import { call, get, ORIGIN, post, secret, type As } from './helpers';
import type { World } from './fixtures';

export class TestSocket {
  readonly inbox: any[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener('message', (e) => {
      this.onMessage(JSON.parse(e.data as string));
      this.wake();
    });
    ws.addEventListener('close', (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.wake();
    });
  }

  protected onMessage(m: any) {
    this.inbox.push(m);
  }

  protected wake() {
    this.waiters.splice(0).forEach((w) => w());
  }

  send(m: unknown) {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  /** Waits until `done()` holds; fails with `what` after `ms`. */
  async until(done: () => boolean, what: string, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; inbox: ${JSON.stringify(this.inbox).slice(0, 500)}`);
      await Promise.race([new Promise<void>((r) => this.waiters.push(r)), new Promise((r) => setTimeout(r, 50))]);
    }
  }

  /** The next message of a type (others before it are kept). */
  async take(type: string, ms = 5000): Promise<any> {
    let i = -1;
    await this.until(() => (i = this.inbox.findIndex((m) => m.type === type)) >= 0, type, ms);
    return this.inbox.splice(i, 1)[0];
  }
}

/** Pairs the seeded relay again and connects it; the hello is answered with welcome. */
export async function connectRelay(w: World, jobs: unknown[] = []): Promise<TestSocket> {
  const pairing = await post('/relays/1/pairing', {}, w.admin);
  const paired = await call('POST', '/relays/pair', { body: { token: pairing.body.token, public_key: (await get('/relays/1', w.admin)).body.public_key, version: 'test' } });
  expect(paired.status, paired.text).toBe(200);
  const res = await exports.default.fetch(new Request(`${ORIGIN}/relay/connect`, { headers: { Upgrade: 'websocket', Authorization: `Bearer ${secret(paired.body.credential)}` } }));
  const relay = new TestSocket(res.webSocket!);
  relay.send({ type: 'hello', v: 1, version: 'test', jobs });
  await relay.take('welcome');
  return relay;
}

/** Opens GET /api/v1/jobs/{id}/events as a browser would (cookie and Origin) or as a script (token). */
export function openEvents(jobId: number | string, as: As, opts: { after?: string | number; origin?: string | null; upgrade?: boolean } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (opts.upgrade !== false) headers.Upgrade = 'websocket';
  if (as && 'cookie' in as) headers.Cookie = as.cookie;
  if (as && 'token' in as) headers.Authorization = `Bearer ${as.token}`;
  const origin = opts.origin === undefined ? (as && 'cookie' in as ? ORIGIN : null) : opts.origin;
  if (origin) headers.Origin = origin;
  const query = opts.after === undefined ? '' : `?after=${opts.after}`;
  return exports.default.fetch(new Request(`${ORIGIN}/api/v1/jobs/${jobId}/events${query}`, { headers }));
}
