/**
 * Go-back-N from the relay's side: when the edge drops a frame (here: a STAND-IN edge, a plain
 * WebSocket server speaking the protocol's job messages, that loses one frame on purpose —
 * the real edge never loses one, but workerd has been seen to hand two back-to-back messages
 * to the object out of order, which has the same effect), its acks stop moving and the relay
 * sends everything from ack + 1 again, so the job's lines all arrive, in order, and the job
 * finishes without a reconnect. The job is a STAND-IN runner printing numbered lines.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { PING_TEXT, PONG_TEXT } from '../../shared/protocol';
import { RelaySession } from './session';
import { Spool } from './spool';

const dir = mkdtempSync(path.join(os.tmpdir(), 'relay-retransmit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const spec = {
  kind: 'compact',
  jobId: 7,
  attempt: 1,
  maxDurationSeconds: null,
  repository: { repositoryId: 1, location: '/srv/borg/x', encryption: 'none', passphraseSealed: null, appendOnly: false, quotaBytes: null },
};

it('a frame the edge dropped is sent again; every line arrives once, in order; the job finishes', async () => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => server.once('listening', () => r()));
  const stored: string[] = [];
  let acked = 0;
  let dropped = 0;
  let finished: Record<string, unknown> | null = null;
  server.on('connection', (ws) => {
    ws.on('message', (data) => {
      const text = String(data);
      if (text === PING_TEXT) return ws.send(PONG_TEXT);
      const msg = JSON.parse(text);
      switch (msg.type) {
        case 'hello':
          ws.send(JSON.stringify({ type: 'welcome', v: 1, epoch: 1 }));
          return ws.send(JSON.stringify({ type: 'offer', spec }));
        case 'accept':
          return ws.send(JSON.stringify({ type: 'lease', jobId: 7, attempt: 1, leaseUntil: Date.now() + 60_000 }));
        case 'log':
          // Lose the first copy of frame 3: as if it had been handled after frame 4.
          if (msg.seq === 3 && dropped++ === 0) return;
          if (msg.seq === acked + 1) {
            acked = msg.seq;
            stored.push(...msg.lines.map((l: { text: string }) => l.text));
          }
          return ws.send(JSON.stringify({ type: 'ack', jobId: 7, attempt: 1, seq: acked }));
        case 'finish':
          if (msg.lastSeq > acked) return ws.send(JSON.stringify({ type: 'ack', jobId: 7, attempt: 1, seq: acked }));
          finished = msg;
          return ws.send(JSON.stringify({ type: 'finish_ack', jobId: 7, attempt: 1 }));
      }
    });
  });
  const logs: Record<string, unknown>[] = [];
  const session = new RelaySession({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credential: `br_1_${'A'.repeat(43)}`,
    version: 'test',
    spool: new Spool(dir, 1024 * 1024),
    flushMs: 10,
    retransmitMs: 200,
    log: (e) => logs.push(e),
    runner: {
      refuse: () => null,
      // STAND-IN RUNNER: 10 lines, one frame each (a pause longer than the flush interval between them).
      async run(_spec, out) {
        for (let i = 1; i <= 10; i++) {
          out.line('stdout', `line ${i}`);
          await new Promise((r) => setTimeout(r, 30));
        }
        return { status: 'successful', exitCode: 0, explanation: null, result: null };
      },
    },
  });
  session.start();
  const deadline = Date.now() + 10_000;
  while (!finished && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await session.stop();
  await new Promise<void>((r) => server.close(() => r()));
  assert.ok(finished, 'the job finished without a reconnect');
  assert.equal(dropped, 2, 'frame 3 was sent twice');
  assert.deepEqual(stored, Array.from({ length: 10 }, (_, i) => `line ${i + 1}`));
  assert.ok(logs.some((l) => l.msg === 'resending unacknowledged output' && l.fromSeq === 3));
});
