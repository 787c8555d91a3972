/**
 * The secret prelude, checked as text and by running it in dash (/bin/sh) and bash with the
 * secret lines on stdin followed by data: the values arrive exactly, the data after them is
 * untouched, a missing line exits 97, and no secret is ever in the script.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  assignment,
  borgEnvironment,
  buildScript,
  EXIT,
  MAX_SCRIPT_BYTES,
  passphraseSecret,
  ScriptError,
  secretLines,
  secretPrelude,
  sshExecCommand,
} from './remote-script';
import { runScript, tempDir } from './test-helpers';

const SHELLS = ['/bin/sh', '/bin/bash'];

describe('secretPrelude', () => {
  it('reads each secret with IFS= read -r and exports it, before anything else', () => {
    assert.deepEqual(secretPrelude(['BORG_PASSPHRASE', 'MYSQL_PWD']), [
      'IFS= read -r BORG_PASSPHRASE || exit 97',
      'export BORG_PASSPHRASE',
      'IFS= read -r MYSQL_PWD || exit 97',
      'export MYSQL_PWD',
    ]);
    const { script, stdinSecrets } = buildScript(
      [
        { env: 'BORG_PASSPHRASE', sealed: 'sealed:v1:AAA' },
        { env: 'MYSQL_PWD', sealed: 'sealed:v1:BBB' },
      ],
      ['echo hi'],
    );
    assert.equal(script, 'IFS= read -r BORG_PASSPHRASE || exit 97\nexport BORG_PASSPHRASE\nIFS= read -r MYSQL_PWD || exit 97\nexport MYSQL_PWD\necho hi\n');
    assert.deepEqual(stdinSecrets, ['sealed:v1:AAA', 'sealed:v1:BBB']);
    assert.ok(!script.includes('sealed:'), 'a sealed secret is never in the script either');
  });

  for (const shell of SHELLS) {
    it(`delivers secrets byte for byte and leaves the following data unread (${shell})`, async () => {
      const secrets = [' lead and trail \\ ', "quote's \"dq\" $(touch PWNED) `x` ; ünï 🔑\r"];
      const data = Buffer.concat([Buffer.from('line one\n'), Buffer.from([0, 1, 2, 255, 10, 13]), Buffer.alloc(70_000, 0x61)]);
      const { script } = buildScript(
        [
          { env: 'BORG_PASSPHRASE', sealed: 'a' },
          { env: 'MYSQL_PWD', sealed: 'b' },
        ],
        ['printf "%s\\0%s\\0" "$BORG_PASSPHRASE" "$MYSQL_PWD" >&2', 'exec cat'],
      );
      const dir = tempDir('prelude');
      const r = await runScript(script, { shell, cwd: dir, stdin: Buffer.concat([Buffer.from(secretLines(secrets)), data]) });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stderr.split('\0').slice(0, 2), secrets);
      assert.deepEqual(readdirSync(dir), [], 'nothing was executed');
      assert.ok(r.stdout.equals(data), 'the data after the secret lines reaches the next reader intact');
    });

    it(`exits 97 when a secret line is missing (${shell})`, async () => {
      const { script } = buildScript([{ env: 'BORG_PASSPHRASE', sealed: 'x' }], ['echo ran']);
      const none = await runScript(script, { shell });
      assert.equal(none.code, EXIT.SECRET_MISSING);
      assert.equal(none.stdout.toString(), '');
      // A line without its newline is not a complete secret either.
      const partial = await runScript(script, { shell, stdin: 'no-newline' });
      assert.equal(partial.code, EXIT.SECRET_MISSING);
    });
  }

  it('exports the secrets to children; an empty secret is a valid line', async () => {
    const { script } = buildScript([{ env: 'BORG_PASSPHRASE', sealed: 'x' }, { env: 'MYSQL_PWD', sealed: 'y' }], ['exec /bin/sh -c \'printf "%s|%s" "$BORG_PASSPHRASE" "$MYSQL_PWD"\'']);
    const r = await runScript(script, { stdin: secretLines(['s3cret', '']) });
    assert.equal(r.code, 0);
    assert.equal(r.stdout.toString(), 's3cret|');
  });
});

describe('secretLines', () => {
  it('writes one line per secret', () => {
    assert.equal(secretLines(['a', 'b c', '']), 'a\nb c\n\n');
    assert.equal(secretLines([]), '');
  });

  it('refuses a secret with a newline, naming which one', () => {
    assert.throws(() => secretLines(['ok', 'two\nlines']), (e: unknown) => e instanceof ScriptError && /Secret #2 contains a newline/.test(e.message));
    assert.throws(() => secretLines(['nul\u0000']), ScriptError);
  });
});

describe('script assembly', () => {
  it('refuses a script too large for one argv string', () => {
    assert.throws(() => buildScript([], ['#' + 'x'.repeat(MAX_SCRIPT_BYTES)]), /above the \d+ bytes one command can carry/);
  });

  it('sets the borg environment: no relocated access, no prompts, ssh in batch mode', () => {
    assert.deepEqual(borgEnvironment('repokey-blake2'), [
      'BORG_RELOCATED_REPO_ACCESS_IS_OK=no',
      'BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=no',
      'BORG_DISPLAY_PASSPHRASE=no',
      'BORG_RSH="${BORG_RSH:-ssh} -o BatchMode=yes"',
      'export BORG_RELOCATED_REPO_ACCESS_IS_OK BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK BORG_DISPLAY_PASSPHRASE BORG_RSH',
    ]);
    assert.equal(borgEnvironment('none')[1], 'BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes');
  });

  it('reads a passphrase only for an encrypted repository, and needs one there', () => {
    assert.deepEqual(passphraseSecret({ repositoryId: 1, encryption: 'none', passphraseSealed: null }), []);
    assert.deepEqual(passphraseSecret({ repositoryId: 1, encryption: 'repokey', passphraseSealed: 'S' }), [{ env: 'BORG_PASSPHRASE', sealed: 'S' }]);
    assert.throws(() => passphraseSecret({ repositoryId: 1, encryption: 'keyfile-blake2', passphraseSealed: null }), /encrypted \(keyfile-blake2\) but has no passphrase/);
  });

  it('quotes assignment values and checks names', () => {
    assert.equal(assignment('A', "it's $(x)"), "A='it'\\''s $(x)'");
    assert.throws(() => assignment('A;B', 'x'), ScriptError);
  });

  it('wraps a script for an ssh exec so the login shell hands it to /bin/sh intact', async () => {
    const script = "printf '%s|' \"$0\" 'it'\\''s' \"$(echo ok)\"\n# a comment; `x`\nexit 3\n";
    for (const loginShell of SHELLS) {
      const r = await runScript(sshExecCommand(script), { shell: loginShell });
      assert.equal(r.code, 3);
      assert.equal(r.stdout.toString(), "/bin/sh|it's|ok|");
    }
  });
});
