/**
 * The quoting function against hostile strings, checked two ways: the exact text,
 * and a round trip through real shells (dash as /bin/sh, and bash) that must give
 * back every argument byte for byte and execute nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { commandLine, quote, UnquotableError } from '../../shared/shell-quote';
import { HOSTILE_STRINGS } from './hostile-strings';

const HOSTILE = [...HOSTILE_STRINGS];

function roundTrip(shell: string, args: string[]): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'quote-'));
  // printf '%s\0' prints each argument followed by NUL: an exact, unambiguous echo.
  const out = execFileSync(shell, ['-c', `printf '%s\\0' ${args.map(quote).join(' ')}`], { cwd: dir, encoding: 'utf8' });
  assert.deepEqual(readdirSync(dir), [], `${shell} created files: something was executed`);
  return out.split('\0').slice(0, -1);
}

describe('quote', () => {
  it('leaves plain words readable and quotes everything else', () => {
    assert.equal(quote('borg'), 'borg');
    assert.equal(quote('/srv/borg/repo::rootfs-web1-2026-01-02_03-04'), '/srv/borg/repo::rootfs-web1-2026-01-02_03-04');
    assert.equal(quote('--compression=zstd,3'), '--compression=zstd,3');
    assert.equal(quote(''), "''");
    assert.equal(quote('a b'), "'a b'");
    assert.equal(quote("it's"), `'it'\\''s'`);
    assert.equal(quote('$(x)'), "'$(x)'");
  });

  it('refuses NUL, which no argv can carry', () => {
    assert.throws(() => quote('a\u0000b'), UnquotableError);
    assert.throws(() => commandLine([]), UnquotableError);
  });

  for (const shell of ['/bin/sh', '/bin/bash']) {
    it(`round-trips every hostile string through ${shell} without executing anything`, () => {
      assert.deepEqual(roundTrip(shell, HOSTILE), HOSTILE);
      for (const s of HOSTILE) assert.deepEqual(roundTrip(shell, [s]), [s]);
    });
  }

  it('commandLine keeps words apart', () => {
    assert.equal(commandLine(['borg', 'create', '--', 'repo::a b', "it's"]), `borg create -- 'repo::a b' 'it'\\''s'`);
  });
});
