import { describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, parseEdgeMessage, parseRelayMessage } from './protocol';

const spec = {
  kind: 'compact',
  jobId: 7,
  attempt: 1,
  maxDurationSeconds: null,
  repository: { repositoryId: 2, location: 'borg@b:/r', encryption: 'repokey-blake2', passphraseSealed: 'sealed:v1:x', appendOnly: false, quotaBytes: null },
};

describe('relay protocol', () => {
  it('accepts well-formed messages both ways', () => {
    expect(parseRelayMessage(JSON.stringify({ type: 'hello', v: 1, version: '0.1.0', jobs: [{ jobId: 1, attempt: 1, state: 'running', lastSeq: 10 }] })).ok).toBe(true);
    expect(parseRelayMessage(JSON.stringify({ type: 'log', jobId: 1, attempt: 1, seq: 3, lines: [{ stream: 'stdout', text: 'hi', time: 1 }] })).ok).toBe(true);
    expect(parseRelayMessage(JSON.stringify({ type: 'finish', jobId: 1, attempt: 1, lastSeq: 3, status: 'successful', exitCode: 0, explanation: null, result: { archive: {} } })).ok).toBe(true);
    expect(parseEdgeMessage(JSON.stringify({ type: 'offer', spec })).ok).toBe(true);
    expect(parseEdgeMessage(JSON.stringify({ type: 'ack', jobId: 1, attempt: 1, seq: 0 })).ok).toBe(true);
  });

  it('names what is wrong instead of throwing', () => {
    const cases: [unknown, RegExp][] = [
      ['{not json', /Not JSON/],
      [new ArrayBuffer(4), /Binary/],
      [JSON.stringify({ type: 'teleport' }), /Invalid teleport/],
      [JSON.stringify({ type: 'log', jobId: 1, attempt: 1, seq: 0, lines: [] }), /Invalid log: seq/],
      [JSON.stringify({ type: 'hello', v: 2, version: 'x', jobs: [] }), /Invalid hello: v/],
      [JSON.stringify({ type: 'finish', jobId: 1, attempt: 1, lastSeq: 0, status: 'running', exitCode: null, explanation: null, result: null }), /Invalid finish: status/],
      ['x'.repeat(MAX_FRAME_BYTES + 1), /larger than/],
    ];
    for (const [frame, reason] of cases) {
      const r = parseRelayMessage(frame);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(reason);
    }
    const badOffer = parseEdgeMessage(JSON.stringify({ type: 'offer', spec: { ...spec, kind: 'format_disk' } }));
    expect(badOffer.ok).toBe(false);
  });
});
