/**
 * The process-group prefix and the stderr filter that takes its tag out, checked with
 * real shells (dash as /bin/sh, and bash) locally; exec.test.ts covers them over SSH.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { GroupTagFilter, killGroupCommand, reportingGroup } from './process-group';

function filtered(nonce: string, chunks: Buffer[], finish = true) {
  const passed: Buffer[] = [];
  const groups: number[] = [];
  const filter = new GroupTagFilter(nonce, (g) => groups.push(g), (c) => passed.push(c));
  chunks.forEach((c) => filter.push(c));
  if (finish) filter.end();
  return { text: Buffer.concat(passed).toString(), groups };
}

describe('reportingGroup', () => {
  for (const shell of ['sh', 'bash']) {
    it(`makes ${shell} print its pid as the tag before the command, which keeps its exit code`, () => {
      const r = spawnSync('setsid', [shell, '-c', reportingGroup('echo out; echo err >&2; exit 3', 'abc123')], { encoding: 'utf8' });
      assert.equal(r.status, 3);
      assert.equal(r.stdout, 'out\n');
      assert.match(r.stderr, /^relay-pgid:abc123:\d+\nerr\n$/);
    });
  }
});

describe('killGroupCommand', () => {
  it('spells kill as every POSIX shell accepts it, and refuses what is not a group', () => {
    assert.equal(killGroupCommand(1234, 'TERM'), 'kill -TERM -1234');
    assert.equal(killGroupCommand(99, 'KILL'), 'kill -KILL -99');
    for (const bad of [0, 1, -5, 1.5, Number.NaN]) assert.throws(() => killGroupCommand(bad, 'TERM'), RangeError);
  });
});

describe('GroupTagFilter', () => {
  const tagged = Buffer.from('relay-pgid:n1:4321\nfirst real line\nsecond\n');

  it('takes the tag out wherever the chunks are cut, passing every other byte in order', () => {
    for (let i = 0; i <= tagged.length; i++) {
      const r = filtered('n1', [tagged.subarray(0, i), tagged.subarray(i)]);
      assert.deepEqual(r, { text: 'first real line\nsecond\n', groups: [4321] }, `cut at ${i}`);
    }
  });

  it('passes shell startup noise before the tag through, and ignores a tag with another nonce', () => {
    const r = filtered('n1', [Buffer.from('bashrc says hi\nrelay-pgid:other:1\nrelay-pgid:n1:77\nafter\n')]);
    assert.deepEqual(r, { text: 'bashrc says hi\nrelay-pgid:other:1\nafter\n', groups: [77] });
  });

  it('holds nothing back after the tag, and gives back what it held if the tag never comes', () => {
    const passed: string[] = [];
    const filter = new GroupTagFilter('n1', () => {}, (c) => passed.push(c.toString()));
    filter.push(Buffer.from('relay-pgid:n1:5\n'));
    filter.push(Buffer.from('live'));
    assert.deepEqual(passed, ['live']);
    assert.deepEqual(filtered('n1', [Buffer.from('syntax error, no tag')]), { text: 'syntax error, no tag', groups: [] });
  });

  it('gives up holding after 64 KiB of output without a tag', () => {
    const passed: Buffer[] = [];
    const filter = new GroupTagFilter('n1', () => {}, (c) => passed.push(c));
    filter.push(Buffer.alloc(70 * 1024, 0x61));
    assert.equal(Buffer.concat(passed).length, 70 * 1024);
  });

  it('reports no group for a malformed number', () => {
    assert.deepEqual(filtered('n1', [Buffer.from('relay-pgid:n1:12x\nok\n')]), { text: 'ok\n', groups: [] });
  });
});
