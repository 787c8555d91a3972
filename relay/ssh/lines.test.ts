/**
 * The line splitter against the ways output really arrives: cut at any byte, inside
 * multi-byte characters, with CRLF split across chunks, without a final newline.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter, splitLines } from './lines';

/** Every way of cutting `bytes` into two chunks, plus byte by byte. */
function cuts(bytes: Buffer): Buffer[][] {
  const ways: Buffer[][] = [];
  for (let i = 0; i <= bytes.length; i++) ways.push([bytes.subarray(0, i), bytes.subarray(i)]);
  ways.push([...bytes].map((b) => Buffer.from([b])));
  return ways;
}

describe('LineSplitter', () => {
  it('splits on \\n and \\r\\n however the chunks are cut, keeping multi-byte characters whole', () => {
    const text = 'héllo wörld\r\n日本語の行\n🙂 emoji 🙂\r\n\nlast without newline ☃';
    const expected = ['héllo wörld', '日本語の行', '🙂 emoji 🙂', '', 'last without newline ☃'];
    for (const chunks of cuts(Buffer.from(text, 'utf8'))) {
      assert.deepEqual(splitLines(chunks), expected);
    }
  });

  it('emits lines as soon as they are complete, not at the end', () => {
    const seen: string[] = [];
    const splitter = new LineSplitter((line) => seen.push(line));
    splitter.push(Buffer.from('one\ntw'));
    assert.deepEqual(seen, ['one']);
    splitter.push(Buffer.from('o\r'));
    assert.deepEqual(seen, ['one'], 'a \\r may be the start of \\r\\n: wait');
    splitter.push(Buffer.from('\nthree'));
    assert.deepEqual(seen, ['one', 'two']);
    splitter.end();
    assert.deepEqual(seen, ['one', 'two', 'three']);
  });

  it('keeps a lone \\r inside the line, drops a trailing \\r at the end', () => {
    assert.deepEqual(splitLines([Buffer.from('10%\r20%\r30%\ndone\r')]), ['10%\r20%\r30%', 'done']);
  });

  it('gives no line for empty input or a final newline, and one empty line for "\\n"', () => {
    assert.deepEqual(splitLines([]), []);
    assert.deepEqual(splitLines([Buffer.alloc(0)]), []);
    assert.deepEqual(splitLines([Buffer.from('a\n')]), ['a']);
    assert.deepEqual(splitLines([Buffer.from('\n')]), ['']);
  });

  it('turns invalid UTF-8 and a truncated character at the end into U+FFFD', () => {
    assert.deepEqual(splitLines([Buffer.from([0x61, 0xff, 0x62, 0x0a])]), ['a\ufffdb']);
    assert.deepEqual(splitLines([Buffer.from([0x61, 0xe2, 0x98])]), ['a\ufffd']);
  });

  it('cuts overlong lines into pieces of maxLineLength without splitting surrogate pairs', () => {
    assert.deepEqual(splitLines([Buffer.from('abcdefghij\nxy\n')], { maxLineLength: 4 }), ['abcd', 'efgh', 'ij', 'xy']);
    // Partial lines are cut too, so a newline-less flood does not grow memory.
    const seen: string[] = [];
    const splitter = new LineSplitter((line) => seen.push(line), { maxLineLength: 4 });
    for (let i = 0; i < 5; i++) splitter.push(Buffer.from('ab'));
    assert.deepEqual(seen, ['abab', 'abab']);
    splitter.end();
    assert.deepEqual(seen, ['abab', 'abab', 'ab']);
    const emoji = splitLines([Buffer.from('a🙂🙂\n')], { maxLineLength: 2 });
    assert.deepEqual(emoji, ['a', '🙂', '🙂']);
    assert.equal(emoji.join(''), 'a🙂🙂');
  });

  it('refuses push after end', () => {
    const splitter = new LineSplitter(() => {});
    splitter.end();
    assert.throws(() => splitter.push('x'), /after end/);
  });
});
