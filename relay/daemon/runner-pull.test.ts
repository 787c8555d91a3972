/**
 * Pull backups that go wrong, against a real sshd on 127.0.0.1 and real borg 1.2.4: borg on
 * the relay failing at once (a wrong passphrase) while the client still streams, and a client
 * that cannot be reached. Either way the job ends (it used to hang with the SSH channel
 * paused forever, or leave borg waiting on stdin with the repository locked), and no borg of
 * the job is left running.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import type { ReadyReport } from '../../shared/protocol';
import { generateSealingKeyPair, seal, type SealingKeyPair } from '../../shared/sealed';
import { backupSpec, repositorySpec, tempDir } from '../borg/test-helpers';
import { freePort, startSshd, type TestSshd } from '../ssh/test-sshd';
import { BorgJobRunner } from './runner';
import type { OutputSink, ReportOutcome } from './session';

const root = tempDir('runner-pull');
const base = path.join(root, 'borg-base');
const repoPath = path.join(root, 'pull-repo');
let sshd: TestSshd;
let keys: SealingKeyPair;
let runner: BorgJobRunner;

class Sink implements OutputSink {
  readonly lines: string[] = [];
  line(_s: 'stdout' | 'stderr' | 'system', text: string) {
    this.lines.push(text);
  }
  blocked() {
    return false;
  }
  async drained() {}
  async report(_r: ReadyReport): Promise<ReportOutcome> {
    return { ok: true };
  }
}

const borgOfRepoRunning = () => spawnSync('pgrep', ['-f', `borg create.*${repoPath}`]).status === 0;

before(async () => {
  sshd = await startSshd();
  keys = await generateSealingKeyPair();
  const keyFile = path.join(root, 'id_ed25519');
  writeFileSync(keyFile, sshd.clientKey.privateKey, { mode: 0o600 });
  execFileSync('borg', ['init', '--encryption=repokey-blake2', repoPath], { env: { ...process.env, BORG_BASE_DIR: base, BORG_PASSPHRASE: 'the right one' } });
  runner = new BorgJobRunner({
    sshKeyPath: keyFile,
    knownHostsPath: path.join(root, 'known_hosts'),
    sealingPrivateKey: keys.privateKey,
    allowPipedCommands: true,
    allowHooks: false,
    cancelGraceMs: 1000,
    env: { BORG_BASE_DIR: base },
  });
});

after(async () => {
  await sshd?.stop();
});

async function spec(passphrase: string, port: number) {
  return backupSpec({
    jobId: 41,
    client: { clientId: 7, host: '127.0.0.1', port, user: sshd.user, hostKeyFingerprint: null, hostname: 'h', bandwidthLimitKiB: null, behindFirewall: false },
    repository: repositorySpec({ location: repoPath, encryption: 'repokey-blake2', passphraseSealed: await seal(keys.publicKey, passphrase) }),
    policyType: 'piped',
    // 200 MB: far more than the pipes hold, so the client is still writing when borg fails.
    options: { command: 'head -c 200000000 /dev/zero', stdin_name: 'zeros' },
    modePull: true,
  });
}

it('borg failing at once (wrong passphrase) while the client streams: the job fails, and ends', async () => {
  const out = new Sink();
  const outcome = await runner.run(await spec('a wrong one', sshd.port), out, new AbortController().signal);
  assert.equal(outcome.status, 'failed');
  assert.match(outcome.explanation ?? '', /passphrase/i);
  assert.ok(!borgOfRepoRunning(), 'no borg of the job is left');
  assert.deepEqual(sshd.processes().filter((pid) => spawnSync('ps', ['-o', 'args=', '-p', String(pid)]).stdout.toString().includes('head -c')), [], 'the client side stopped');
});

it('a client that cannot be reached: the job fails before borg takes the repository lock', async () => {
  const out = new Sink();
  const outcome = await runner.run(await spec('the right one', await freePort()), out, new AbortController().signal);
  assert.equal(outcome.status, 'failed');
  assert.match(outcome.explanation ?? '', /ECONNREFUSED|refused|unreachable/i);
  assert.ok(!borgOfRepoRunning());
  // The repository is not locked: a direct borg list needs no wait.
  execFileSync('borg', ['list', '--lock-wait', '1', repoPath], { env: { ...process.env, BORG_BASE_DIR: base, BORG_PASSPHRASE: 'the right one' } });
});
