/**
 * BorgJobRunner's readiness path against the real borg of this machine (1.2.4): a
 * prepare_repository job for a LOCAL repository in a temporary directory (repository steps
 * run on the relay, so no SSH), with a fake OutputSink whose `report()` answer the test
 * chooses. Reported and answered → ready, no curl; not answered → the one-time readiness curl,
 * printed as one safe shell line; refused → the job fails with the edge's reason. Also the
 * runner's refusals of piped commands and hooks the relay's operator has not allowed.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { JobSpec } from '../../shared/jobspec';
import type { ReadyReport } from '../../shared/protocol';
import { generateSealingKeyPair, seal, type SealingKeyPair } from '../../shared/sealed';
import { commandLine } from '../../shared/shell-quote';
import { backupSpec, repositorySpec, stubBin, tempDir, unquotedText } from '../borg/test-helpers';
import { BorgJobRunner, type RunnerConfig } from './runner';
import type { OutputSink, ReportOutcome } from './session';

type PrepareRepository = Extract<JobSpec, { kind: 'prepare_repository' }>;

const root = tempDir('runner');
const base = path.join(root, 'borg-base');
const PASS = "runner pass $(touch PWNED) 'q' ü";
const READY_URL = 'https://orchestrator.example/api/v1/ready/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde';

let keys: SealingKeyPair;
let sealedPass: string;

/** borg run directly, for checking, with the runner's BORG_BASE_DIR (and the passphrase in its own environment). */
function borg(args: string[], passphrase?: string): string {
  const env: NodeJS.ProcessEnv = { ...process.env, BORG_BASE_DIR: base, BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' };
  delete env.BORG_PASSPHRASE;
  delete env.BORG_REPO;
  if (passphrase !== undefined) env.BORG_PASSPHRASE = passphrase;
  return execFileSync('borg', args, { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
}

/** An OutputSink that keeps every line and every report, answering reports as told. */
class FakeSink implements OutputSink {
  readonly lines: { stream: string; text: string }[] = [];
  readonly reports: ReadyReport[] = [];
  constructor(private readonly answer: ReportOutcome) {}
  line(stream: 'stdout' | 'stderr' | 'system', text: string) {
    this.lines.push({ stream, text });
  }
  blocked() {
    return false;
  }
  async drained() {}
  async report(report: ReadyReport): Promise<ReportOutcome> {
    this.reports.push(report);
    return this.answer;
  }
  system(): string[] {
    return this.lines.filter((l) => l.stream === 'system').map((l) => l.text);
  }
  curlLines(): string[] {
    return this.lines.filter((l) => l.text.startsWith('curl ')).map((l) => l.text);
  }
}

function runner(over: Partial<RunnerConfig> = {}): BorgJobRunner {
  return new BorgJobRunner({
    // Never used: repository steps run on the relay, and a local repository needs no ssh.
    sshKeyPath: path.join(root, 'no-such-key'),
    knownHostsPath: path.join(root, 'known_hosts'),
    sealingPrivateKey: keys.privateKey,
    allowPipedCommands: false,
    allowHooks: false,
    env: { BORG_BASE_DIR: base },
    ...over,
  });
}

function prepareSpec(location: string, over: { encryption?: 'none' | 'repokey-blake2'; passphraseSealed?: string | null; readinessUrl?: string } = {}): PrepareRepository {
  const encryption = over.encryption ?? 'repokey-blake2';
  return {
    kind: 'prepare_repository',
    jobId: 41,
    attempt: 1,
    maxDurationSeconds: null,
    repository: repositorySpec({ repositoryId: 3, location, encryption, passphraseSealed: over.passphraseSealed !== undefined ? over.passphraseSealed : encryption === 'none' ? null : sealedPass }),
    readinessUrl: over.readinessUrl ?? READY_URL,
  };
}

const run = (spec: JobSpec, sink: FakeSink, r = runner()) => r.run(spec, sink, new AbortController().signal);
const curlFor = (url: string) => commandLine(['curl', '-fsS', '-X', 'POST', '-H', 'Content-Type: application/json', '-d', '{}', url]);
const noAnswer: ReportOutcome = { ok: false, answered: false, reason: 'no answer from the orchestrator within 15 s' };

before(async () => {
  keys = await generateSealingKeyPair();
  sealedPass = await seal(keys.publicKey, PASS);
});

describe('BorgJobRunner: prepare_repository and the readiness report', () => {
  it('report answered ok: borg init, the repository reported with its sizes, "Marked the repository ready", no curl; again with an archive, its real sizes', async () => {
    const location = path.join(root, 'repo-ok');
    const sink = new FakeSink({ ok: true });
    const outcome = await run(prepareSpec(location), sink);
    assert.deepEqual(outcome, { status: 'successful', exitCode: 0, explanation: null, result: null }, JSON.stringify(sink.lines));
    assert.ok(sink.system().includes(`No repository at ${location} yet: creating it (repokey-blake2).`), JSON.stringify(sink.system()));
    assert.deepEqual(sink.reports, [{ object: 'repository', repositoryId: 3, originalSize: 0, compressedSize: 0, deduplicatedSize: 0 }]);
    assert.ok(sink.system().includes('Marked the repository ready.'));
    assert.deepEqual(sink.curlLines(), []);
    assert.ok(!sink.lines.some((l) => l.text.includes(READY_URL)), 'the readiness URL is not printed');
    // The repository really exists, encrypted with that passphrase.
    const info = JSON.parse(borg(['info', '--json', '--', location], PASS)) as { encryption: { mode: string } };
    assert.equal(info.encryption.mode, 'repokey-blake2');
    assert.ok(!sink.lines.some((l) => l.text.includes(PASS)), 'the passphrase never reaches the output');

    // Prepared again once it holds an archive: no init, and the sizes borg itself reports.
    const data = path.join(root, 'data');
    execFileSync('sh', ['-c', `mkdir -p ${commandLine([data])} && head -c 300000 /dev/urandom > ${commandLine([path.join(data, 'random.bin')])} && printf 'hello\\n%.0s' $(seq 1 2000) > ${commandLine([path.join(data, 'text.txt')])}`]);
    borg(['create', '--', `${location}::first`, data], PASS);
    const stats = (JSON.parse(borg(['info', '--json', '--', location], PASS)) as { cache: { stats: { total_size: number; total_csize: number; unique_csize: number } } }).cache.stats;
    assert.ok(stats.total_size > 300_000);
    const again = new FakeSink({ ok: true });
    assert.equal((await run(prepareSpec(location), again)).status, 'successful');
    assert.ok(!again.system().some((l) => l.includes('creating it')), JSON.stringify(again.system()));
    assert.deepEqual(again.reports, [{ object: 'repository', repositoryId: 3, originalSize: stats.total_size, compressedSize: stats.total_csize, deduplicatedSize: stats.unique_csize }]);
    assert.deepEqual(again.curlLines(), []);
  });

  it('report not answered: successful but not marked ready, and the exact one-time readiness curl printed', async () => {
    const location = path.join(root, 'repo-unanswered');
    const sink = new FakeSink(noAnswer);
    const outcome = await run(prepareSpec(location, { encryption: 'none' }), sink);
    assert.equal(outcome.status, 'successful', JSON.stringify(sink.lines));
    assert.equal(outcome.exitCode, 0);
    assert.match(outcome.explanation ?? '', /not marked ready/);
    assert.match(outcome.explanation ?? '', /readiness curl/);
    assert.equal(sink.reports.length, 1);
    assert.equal(sink.reports[0]!.object, 'repository');
    assert.ok(!sink.system().includes('Marked the repository ready.'));
    // The reason, then the curl on its own line: exactly this text.
    const expected = `curl -fsS -X POST -H 'Content-Type: application/json' -d '{}' ${READY_URL}`;
    assert.equal(curlFor(READY_URL), expected);
    assert.deepEqual(sink.curlLines(), [expected]);
    const i = sink.lines.findIndex((l) => l.text === expected);
    assert.equal(sink.lines[i]!.stream, 'system');
    assert.match(sink.lines[i - 1]!.text, /^Could not mark the repository ready through the relay \(no answer from the orchestrator within 15 s\)\. Run this once/);
    // An unencrypted repository was created for real.
    const info = JSON.parse(borg(['info', '--json', '--', location])) as { encryption: { mode: string } };
    assert.equal(info.encryption.mode, 'none');
  });

  it('report not answered, with a hostile readinessUrl: the printed curl passes the URL as one shell word and runs nothing', async () => {
    const hostile = "https://orchestrator.example/api/v1/ready/x'; touch PWNED1; echo '$(touch PWNED2)`touch PWNED3`\"$HOME\" y";
    const sink = new FakeSink(noAnswer);
    const outcome = await run(prepareSpec(path.join(root, 'repo-hostile'), { encryption: 'none', readinessUrl: hostile }), sink);
    assert.equal(outcome.status, 'successful', JSON.stringify(sink.lines));
    const [line, ...more] = sink.curlLines();
    assert.deepEqual(more, []);
    assert.equal(line, curlFor(hostile));
    // Nothing of the URL is read by the shell unquoted.
    const unquoted = unquotedText(line!);
    for (const marker of ['PWNED', '$(', '`', '$HOME', ';']) assert.ok(!unquoted.includes(marker), `${marker} outside quotes in ${line}`);
    // Run by sh with a stand-in curl that prints its arguments: the URL arrives whole, nothing else runs.
    const dir = tempDir('runner-curl');
    const bin = stubBin(dir, { curl: 'for a in "$@"; do printf "%s\\n" "$a"; done' });
    const r = spawnSync('/bin/sh', ['-c', line!], { cwd: dir, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').slice(0, -1), ['-fsS', '-X', 'POST', '-H', 'Content-Type: application/json', '-d', '{}', hostile]);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('PWNED')),
      [],
    );
  });

  it('report refused by the edge: the job fails with its reason, and no curl is printed', async () => {
    const reason = 'Job 41 does not prepare repository 3.';
    const sink = new FakeSink({ ok: false, answered: true, reason });
    const outcome = await run(prepareSpec(path.join(root, 'repo-refused'), { encryption: 'none' }), sink);
    assert.equal(outcome.status, 'failed', JSON.stringify(sink.lines));
    assert.equal(outcome.explanation, `The orchestrator refused to mark the repository ready: ${reason}`);
    assert.equal(sink.reports.length, 1);
    assert.deepEqual(sink.curlLines(), []);
    assert.ok(!sink.lines.some((l) => l.text.includes(READY_URL)));
    assert.ok(!sink.system().includes('Marked the repository ready.'));
  });

  it('a wrong passphrase for an existing repository: the job fails saying so, and nothing is reported', async () => {
    const location = path.join(root, 'repo-wrong-pass');
    borg(['init', '--encryption=repokey-blake2', '--', location], PASS);
    const sink = new FakeSink({ ok: true });
    const outcome = await run(prepareSpec(location, { passphraseSealed: await seal(keys.publicKey, 'not the passphrase') }), sink);
    assert.equal(outcome.status, 'failed', JSON.stringify(sink.lines));
    assert.equal(outcome.explanation, 'The passphrase does not open this repository.');
    assert.notEqual(outcome.exitCode, 0);
    assert.deepEqual(sink.reports, []);
    assert.deepEqual(sink.curlLines(), []);
    assert.ok(!sink.system().some((l) => l.includes('creating it')), 'an existing repository is never initialised again');
    // Still the same repository, still opened by the right passphrase.
    borg(['info', '--json', '--', location], PASS);
  });

  it('a location that is a plain file: fails, nothing reported', async () => {
    const file = path.join(tempDir('runner-file'), 'not-a-repository');
    writeFileSync(file, 'just a file\n');
    const sink = new FakeSink({ ok: true });
    const outcome = await run(prepareSpec(file, { encryption: 'none' }), sink);
    assert.equal(outcome.status, 'failed', JSON.stringify(sink.lines));
    assert.match(outcome.explanation ?? '', /^borg init failed \(error, exit 2\): There is already something at /);
    assert.deepEqual(sink.reports, []);
    assert.deepEqual(sink.curlLines(), []);
    assert.equal(readFileSync(file, 'utf8'), 'just a file\n');
  });
});

describe('BorgJobRunner.refuse', () => {
  const piped = backupSpec({ policyType: 'piped', options: { command: 'pg_dumpall', stdin_name: 'all.sql' } });
  const hooked = backupSpec({ preHook: 'systemctl stop app', postHook: null });

  it('refuses a piped backup when piped commands are not allowed, and says so; accepts it when they are', () => {
    assert.match(runner({ allowPipedCommands: false }).refuse(piped) ?? '', /^Piped commands are not allowed by this relay's configuration/);
    assert.equal(runner({ allowPipedCommands: true }).refuse(piped), null);
  });

  it('refuses a backup with hooks when hooks are not allowed, and says so; accepts it when they are', () => {
    assert.match(runner({ allowHooks: false }).refuse(hooked) ?? '', /has hooks, and this relay's configuration does not allow hooks/);
    assert.match(runner({ allowHooks: false }).refuse(backupSpec({ postHook: 'echo done' })) ?? '', /does not allow hooks/);
    assert.equal(runner({ allowHooks: true }).refuse(hooked), null);
  });

  it('accepts a plain backup and a prepare_repository on a relay that allows neither', () => {
    const strict = runner();
    assert.equal(strict.refuse(backupSpec()), null);
    assert.equal(strict.refuse(prepareSpec(path.join(root, 'never-run'))), null);
  });
});
