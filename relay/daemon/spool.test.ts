import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Spool } from './spool';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'spool-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ stream: 'stdout' as const, text: `line ${from + i}`, time: 1 }));

describe('Spool', () => {
  it('numbers frames, resends exactly the unacked ones, and survives a restart', () => {
    const spool = new Spool(dir, 10_000_000);
    for (let i = 0; i < 10; i++) assert.equal(spool.append({ jobId: 5, attempt: 1, lines: lines(3, i * 3) })!.seq, i + 1);
    spool.ack(5, 1, 4);
    assert.deepEqual(spool.unacked(5, 1).map((f) => f.seq), [5, 6, 7, 8, 9, 10]);
    // A new process reading the same directory sees the same truth.
    const after = new Spool(dir, 10_000_000);
    assert.deepEqual(after.jobs().map((j) => [j.jobId, j.acked, j.lastSeq]), [[5, 4, 10]]);
    assert.equal(after.unacked(5, 1)[0]!.lines[0]!.text, 'line 12');
    assert.equal(after.append({ jobId: 5, attempt: 1, lines: lines(1) })!.seq, 11);
    after.ack(5, 1, 11);
    assert.deepEqual(after.unacked(5, 1), []);
  });

  it('acks never go backwards or past what was sent; finish is kept until forgotten', () => {
    const spool = new Spool(dir, 10_000_000);
    spool.append({ jobId: 1, attempt: 2, lines: lines(1) });
    spool.ack(1, 2, 5);
    spool.ack(1, 2, 0);
    assert.equal(spool.jobs()[0]!.acked, 1);
    spool.ended({ type: 'finish', jobId: 1, attempt: 2, lastSeq: 1, status: 'successful', exitCode: 0, explanation: null, result: null });
    assert.equal(new Spool(dir, 10_000_000).jobs()[0]!.finish!.status, 'successful');
    spool.forget(1, 2);
    assert.deepEqual(spool.jobs(), []);
  });

  it('is bounded: a full spool refuses frames until acks free space', () => {
    const spool = new Spool(dir, 4_000);
    let accepted = 0;
    while (spool.append({ jobId: 9, attempt: 1, lines: lines(5) })) accepted++;
    assert.ok(accepted > 3 && accepted < 40, `accepted ${accepted}`);
    assert.ok(spool.usedBytes() <= 4_000);
    spool.ack(9, 1, accepted);
    assert.ok(spool.append({ jobId: 9, attempt: 1, lines: lines(5) }));
  });
});
