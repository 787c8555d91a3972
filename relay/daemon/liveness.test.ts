/**
 * The relay notices a dead socket by itself: it pings, and a socket that stays silent past
 * `silenceMs` is dropped and dialled again (a half-open TCP connection never errors on its
 * own). The edge here is a STAND-IN: a plain WebSocket server on 127.0.0.1 speaking just
 * enough of the protocol (welcome; pong or nothing), because the real edge always answers
 * pings — this test is about the relay's side. The real edge's pong is checked in
 * test/worker/relay-socket.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { PING_TEXT, PONG_TEXT } from '../../shared/protocol';
import { RelaySession } from './session';
import { Spool } from './spool';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function standInEdge(answerPings: boolean) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => server.once('listening', () => r()));
  const seen = { connections: 0, pings: 0 };
  server.on('connection', (ws) => {
    seen.connections++;
    ws.on('message', (data) => {
      const text = String(data);
      if (text === PING_TEXT) {
        seen.pings++;
        if (answerPings) ws.send(PONG_TEXT);
        return;
      }
      if (JSON.parse(text).type === 'hello') ws.send(JSON.stringify({ type: 'welcome', v: 1, epoch: seen.connections }));
    });
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function session(url: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relay-liveness-'));
  dirs.push(dir);
  const logs: Record<string, unknown>[] = [];
  const s = new RelaySession({
    url,
    credential: `br_1_${'A'.repeat(43)}`,
    version: 'test',
    spool: new Spool(dir, 1024 * 1024),
    runner: { refuse: () => null, run: async () => ({ status: 'successful', exitCode: 0, explanation: null, result: null }) },
    pingMs: 100,
    silenceMs: 350,
    log: (e) => logs.push(e),
  });
  return { s, logs };
}

describe('socket liveness', () => {
  it('a socket on which the edge stays silent is dropped and dialled again', async () => {
    const edge = await standInEdge(false);
    const { s, logs } = session(edge.url);
    s.start();
    await new Promise((r) => setTimeout(r, 2500));
    await s.stop();
    await edge.close();
    assert.ok(edge.seen.connections >= 2, `reconnected (${edge.seen.connections} connections)`);
    assert.ok(edge.seen.pings >= 2, 'it pinged');
    assert.ok(logs.some((l) => l.msg === 'no answer from the orchestrator; reconnecting'));
  });

  it('a socket on which the edge answers pings stays up', async () => {
    const edge = await standInEdge(true);
    const { s, logs } = session(edge.url);
    s.start();
    await new Promise((r) => setTimeout(r, 1500));
    await s.stop();
    await edge.close();
    assert.equal(edge.seen.connections, 1);
    assert.ok(edge.seen.pings >= 8, `pinged every 100 ms (${edge.seen.pings})`);
    assert.ok(!logs.some((l) => l.msg === 'no answer from the orchestrator; reconnecting'));
  });
});
