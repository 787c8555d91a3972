import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { archiveArg, checkArchiveName, checkLocation, compressionFlag, excludeFlags, repositoryArg, uploadRatelimitFlags } from './args';
import { ScriptError } from './remote-script';

describe('repository and archive references', () => {
  it('keeps hostile locations literal (borg accepts them) but refuses "::" and control characters', () => {
    for (const loc of ["/srv/r $(touch PWNED) 'q' `x` ; ü", '-rel', 'ssh://u@h:2222/./repo', 'u@h:/path']) {
      assert.equal(checkLocation(loc), loc);
    }
    assert.throws(() => checkLocation('/srv/a::b'), /contains "::"/);
    assert.throws(() => checkLocation('/srv/r\nnl'), /control character; borg 1\.2 cannot reopen/);
    assert.throws(() => checkLocation('/srv/\u0000'), ScriptError);
    assert.throws(() => checkLocation(''), ScriptError);
  });

  it('joins location and archive with ::', () => {
    assert.equal(archiveArg({ location: 'u@h:/r' }, 'rootfs-web1-2026-01-02_03-04'), 'u@h:/r::rootfs-web1-2026-01-02_03-04');
    assert.equal(repositoryArg({ location: '-r' }), '-r');
  });

  it('refuses archive names borg cannot take or that would break its line outputs', () => {
    assert.equal(checkArchiveName("-x $(touch PWNED) 'q' ü"), "-x $(touch PWNED) 'q' ü");
    assert.throws(() => checkArchiveName('a/b'), /contains "\/"/);
    assert.throws(() => checkArchiveName('a\nb'), /control character/);
    assert.throws(() => checkArchiveName(''), ScriptError);
    assert.throws(() => checkArchiveName('x'.repeat(256)), ScriptError);
  });
});

describe('flags', () => {
  it('accepts the borg 1.2 compression specs the API offers, and nothing else', () => {
    for (const ok of ['none', 'lz4', 'zstd', 'zstd,22', 'zlib,9', 'lzma,6', 'auto,zstd,3']) assert.equal(compressionFlag(ok), `--compression=${ok}`);
    // obfuscate is valid borg but not offered by the API (shared/borg-values.ts): refused here too.
    for (const bad of ['', 'zstd,23', 'gzip', 'lz4; rm -rf /', 'lz4 --x', 'obfuscate,110,lz4']) assert.throws(() => compressionFlag(bad), ScriptError);
  });

  it('rate limit in KiB/s, none when unset', () => {
    assert.deepEqual(uploadRatelimitFlags(null), []);
    assert.deepEqual(uploadRatelimitFlags(1024), ['--upload-ratelimit=1024']);
    assert.throws(() => uploadRatelimitFlags(0), ScriptError);
    assert.throws(() => uploadRatelimitFlags(1.5), ScriptError);
  });

  it('writes excludes as one word each, so a pattern starting with - is still a value', () => {
    assert.deepEqual(excludeFlags(['-x', 're:^a$', '*.tmp']), ['--exclude=-x', '--exclude=re:^a$', '--exclude=*.tmp']);
    assert.throws(() => excludeFlags(['']), ScriptError);
  });
});
