/**
 * borg exclude patterns translated to GNU tar: the exact options, the refusals, and the
 * equivalence that matters: on a real tree, tar with the translated excludes lists exactly
 * the files `borg create --dry-run --list` keeps with the original patterns.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PullModeUnsupportedError, tarCreateArgv, tarExcludeArgs, tarMemberPath } from './tar';
import { tempDir } from './test-helpers';

describe('tarExcludeArgs', () => {
  it('translates each borg style', () => {
    assert.deepEqual(tarExcludeArgs(['/home/*/.cache', 'fm:*.tmp', 'var/log/', 'pp:/srv/a*b[1]', 'pf:/etc/x?', 'sh:/srv/*.log']), [
      '--exclude=./home/*/.cache',
      '--exclude=./*.tmp',
      '--exclude=./var/log/*',
      '--exclude=./srv/a\\*b\\[1]',
      '--exclude=./etc/x\\?',
      '--no-wildcards-match-slash',
      '--exclude=./srv/*.log',
      '--wildcards-match-slash',
    ]);
  });

  it('keeps a leading dash, quotes and unicode as text (they are argv words, quoted later)', () => {
    assert.deepEqual(tarExcludeArgs(['-x', "/a 'b' $(c)", '/ünï/✓', 'fm:/a\\b']), ['--exclude=./-x', "--exclude=./a 'b' $(c)", '--exclude=./ünï/✓', '--exclude=./a\\\\b']);
  });

  it('refuses what tar cannot express, saying why', () => {
    assert.throws(() => tarExcludeArgs(['re:^/tmp/.*\\.swp$']), (e: unknown) => e instanceof PullModeUnsupportedError && /regular expression/.test(e.message));
    assert.throws(() => tarExcludeArgs(['sh:/home/**/.cache']), (e: unknown) => e instanceof PullModeUnsupportedError && /"\*\*"/.test(e.message));
    assert.throws(() => tarExcludeArgs(['zz:/x']), /unknown pattern style "zz:"/);
  });

  it('makes member paths relative to / with ./ so none starts with -', () => {
    assert.equal(tarMemberPath('/'), '.');
    assert.equal(tarMemberPath('/srv/x'), './srv/x');
    assert.equal(tarMemberPath('/-rf'), './-rf');
    assert.throws(() => tarMemberPath('relative'), /Not an absolute path/);
  });
});

describe('translated excludes against borg itself', () => {
  it('tar keeps exactly what borg create --dry-run keeps', () => {
    const root = tempDir('tar-eq');
    const files = [
      'a/cache/x.bin',
      'a/keep.txt',
      'a/app.log',
      'b/inner/deep.txt',
      'c/file.txt',
      'c/file.txt.bak',
      'd/top.tmp',
      'd/sub/nested.tmp',
      'e/q1.txt',
      'e/qx.txt',
      'f/lit*eral/in.txt',
      'f/literal/in.txt',
      '-dash/skip-me',
      '-dash/keep',
      "sp ace/it's/$(touch PWNED)",
    ];
    for (const f of files) {
      mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      writeFileSync(path.join(root, f), f);
    }
    const patterns = [
      `${root}/a/cache`,
      '*.log',
      `${root}/b/`,
      `fm:${root}/e/q[0-9].txt`,
      `pp:${root}/f/lit*eral`,
      `pf:${root}/c/file.txt`,
      `sh:${root}/d/*.tmp`,
      `*/-dash/skip*`,
      `${root}/sp ace/it's`,
    ];
    const env = { ...process.env, BORG_BASE_DIR: tempDir('tar-eq-base') };
    const borgList = execFileSync('sh', ['-c', 'borg create --dry-run --list --log-json "$@" 2>&1 >/dev/null', 'sh', ...patterns.map((p) => `--exclude=${p}`), '--', '/nonexistent::x', root], {
      env,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; status?: string; path?: string })
      // With --list, borg 1.2 also lists what it excluded, with status "x".
      .filter((e) => e.type === 'file_status' && e.status !== 'x')
      .map((e) => e.path!.replace(/^\/+/, ''));
    const tarList = execFileSync('sh', ['-c', '"$@" | tar --list --file=-', 'sh', ...tarCreateArgv(patterns), '--', tarMemberPath(root)], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.replace(/\/$/, ''));
    assert.deepEqual([...tarList].sort(), [...borgList].sort());
    // And the patterns did exclude something in each case.
    const kept = new Set(tarList.map((p) => p.slice(root.length - 1)));
    for (const gone of ['/a/cache', '/a/app.log', '/b/inner', '/c/file.txt', '/d/top.tmp', '/e/q1.txt', '/f/lit*eral', '/-dash/skip-me', "/sp ace/it's"]) {
      assert.ok(!kept.has(gone), `${gone} is excluded`);
    }
    for (const still of ['/b', '/c/file.txt.bak', '/d/sub/nested.tmp', '/e/qx.txt', '/f/literal/in.txt', '/-dash/keep', '/sp ace']) {
      assert.ok(kept.has(still), `${still} is kept`);
    }
  });
});
