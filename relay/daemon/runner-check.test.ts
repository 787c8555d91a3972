/**
 * BorgJobRunner's check job against the real borg of this machine (1.2.4), on a LOCAL
 * repository (repository steps run on the relay, so no SSH): a sound repository checks
 * successful; once bytes of a data segment are overwritten, the check fails and says why.
 * borg 1.2 `check` exits 1, which borg calls a warning, exactly when it finds damage, so a
 * runner that reads exit 1 as "successful with warnings" reports a corrupt repository as fine
 * (it did, until the system test of operations found it).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { JobSpec } from '../../shared/jobspec';
import { repositorySpec, tempDir } from '../borg/test-helpers';
import { BorgJobRunner } from './runner';
import type { OutputSink } from './session';

const root = tempDir('runner-check');
const base = path.join(root, 'borg-base');
const location = path.join(root, 'repo');

function borg(args: string[]): string {
  const env: NodeJS.ProcessEnv = { ...process.env, BORG_BASE_DIR: base, BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' };
  delete env.BORG_PASSPHRASE;
  delete env.BORG_REPO;
  return execFileSync('borg', args, { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
}

class Sink implements OutputSink {
  readonly lines: string[] = [];
  line(_stream: 'stdout' | 'stderr' | 'system', text: string) {
    this.lines.push(text);
  }
  blocked() {
    return false;
  }
  async drained() {}
  async report(): Promise<never> {
    throw new Error('a check reports nothing');
  }
}

const runner = new BorgJobRunner({
  sshKeyPath: path.join(root, 'no-such-key'),
  knownHostsPath: path.join(root, 'known_hosts'),
  sealingPrivateKey: 'unused: the repository is not encrypted',
  allowPipedCommands: false,
  allowHooks: false,
  env: { BORG_BASE_DIR: base },
});

const checkSpec = (verifyData: boolean): JobSpec => ({
  kind: 'check',
  jobId: 51,
  attempt: 1,
  maxDurationSeconds: null,
  repository: repositorySpec({ location, encryption: 'none', passphraseSealed: null }),
  verifyData,
});

async function check(verifyData: boolean) {
  const sink = new Sink();
  const outcome = await runner.run(checkSpec(verifyData), sink, new AbortController().signal);
  return { outcome, text: sink.lines.join('\n') };
}

before(() => {
  const data = path.join(root, 'data');
  mkdirSync(data);
  writeFileSync(path.join(data, 'random.bin'), randomBytes(1_500_000));
  borg(['init', '--encryption=none', '--', location]);
  borg(['create', '--', `${location}::one`, data]);
});

describe('BorgJobRunner: check', () => {
  it('a sound repository: successful, with and without --verify-data', async () => {
    for (const verifyData of [false, true]) {
      const { outcome, text } = await check(verifyData);
      assert.deepEqual(outcome, { status: 'successful', exitCode: 0, explanation: null, result: null }, text);
      assert.match(text, /Archive consistency check complete, no problems found/);
    }
  });

  it('a corrupted segment: the check fails (not "successful with warnings") and names the damage', async () => {
    const segments: { file: string; size: number }[] = [];
    const dataDir = path.join(location, 'data');
    for (const dir of readdirSync(dataDir)) {
      for (const name of readdirSync(path.join(dataDir, dir))) segments.push({ file: path.join(dataDir, dir, name), size: statSync(path.join(dataDir, dir, name)).size });
    }
    const { file, size } = segments.sort((a, b) => b.size - a.size)[0]!;
    assert.ok(size > 1_000_000);
    const fd = openSync(file, 'r+');
    const bytes = Buffer.alloc(256);
    readSync(fd, bytes, 0, bytes.length, Math.floor(size / 2));
    writeSync(fd, Buffer.from(bytes.map((b) => b ^ 0xff)), 0, bytes.length, Math.floor(size / 2));
    closeSync(fd);

    for (const verifyData of [false, true]) {
      const { outcome, text } = await check(verifyData);
      assert.equal(outcome.status, 'failed', `${outcome.explanation}\n${text}`);
      assert.equal(outcome.exitCode, 1);
      assert.match(outcome.explanation ?? '', /^borg check found problems in the repository \(exit 1\): /);
      assert.match(outcome.explanation ?? '', /checksum mismatch/);
      assert.match(outcome.explanation ?? '', /errors found/);
    }
  });
});
