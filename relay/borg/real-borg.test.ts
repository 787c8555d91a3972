/**
 * The generated scripts against the real borg of this machine (Debian borgbackup 1.2.4),
 * each run as `/bin/sh -c <script>` with its secret lines written to stdin and stdin then
 * closed, as the relay will. A repository whose path holds quotes, `$()`, backticks, `;`,
 * folders, excludes, archive names and restore paths with hostile names (a newline too); archives are checked with borg itself, run
 * directly (these direct calls are the only place the passphrase is put in an environment).
 * proxmox uses a stand-in `vzdump` on PATH (a shell script printing known data), named so.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildBackupScript, pullExitCode, type BackupSpec } from './create';
import { classifyExit, classifyRepositoryProbe, parseArchiveList, parseCreateResult, parseLogLine, parseRepositoryInfo, type BorgEvent } from './parse';
import { EXIT, secretLines, type RemoteScript } from './remote-script';
import { buildCheckScript, buildCompactScript, buildExtractScript, buildInfoScript, buildInitScript, buildListScript, buildPruneScript } from './repository';
import { backupSpec, repositorySpec, runScript, stubBin, tempDir } from './test-helpers';

const PASS = "pass phrase $(touch PWNED) 'q' `x` ü \\ ;";
const root = tempDir('real');
const base = path.join(root, 'borg-base');
const src = path.join(root, 'src');
const srcRel = src.slice(1);
const env: NodeJS.ProcessEnv = { ...process.env, BORG_BASE_DIR: base };
delete env.BORG_PASSPHRASE;
delete env.BORG_REPO;
// No newline here: borg 1.2 cannot reopen a repository whose path holds one (args.ts); the
// newline travels in a folder below a listed one and in the restore path.
const repo = repositorySpec({ location: path.join(root, "-repo $(touch PWNED) 'q' `x` ;| ü") });
const allScripts: string[] = [];

const events = (stderr: string): BorgEvent[] => stderr.split('\n').filter((l) => l !== '').map(parseLogLine);
const errors = (stderr: string) => events(stderr).flatMap((e) => (e.type === 'log_message' && e.level === 'ERROR' ? [`${e.msgid}: ${e.message}`] : e.type === 'text' ? [e.line] : []));

function run(step: RemoteScript, secrets: string[] = [PASS]) {
  allScripts.push(step.script);
  assert.equal(step.stdinSecrets.length, secrets.length, 'one line per secret the script reads');
  return runScript(step.script, { env, cwd: root, stdin: secretLines(secrets), timeoutMs: 60_000 });
}

/** borg run directly, for checking: the passphrase in its own environment. */
function borg(args: string[], input?: Buffer): Buffer {
  return execFileSync('borg', args, { env: { ...env, BORG_PASSPHRASE: PASS }, input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}
function archivePaths(name: string): string[] {
  return borg(['list', '--json-lines', '--', `${repo.location}::${name}`])
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { path: string }).path)
    .sort();
}
function archiveNames(): string[] {
  return parseArchiveList(borg(['list', '--json', '--', repo.location]).toString('utf8')).map((a) => a.name);
}

const spec = (over: Partial<BackupSpec>): BackupSpec => backupSpec({ repository: repo, ...over });

// Source tree: hostile folder names. A folder name with a newline is refused by the shared
// option schema (no control characters), so the newline is below a listed folder (and in the
// repository path, which the script quotes).
const FILES: Record<string, Buffer | string> = {
  '$(touch PWNED)/a.txt': 'a',
  '$(touch PWNED)/a.log': 'excluded by an sh: pattern holding $(touch PWNED)',
  '-leading/b.txt': 'b',
  '-leading/skip-me': 'excluded by */-leading/skip*',
  'it\'s "q" ü/d.txt': 'd',
  'plain/new\nline/c.bin': randomBytes(50_000),
  'plain/cache/junk.bin': 'excluded by fm: path',
  'plain/x.tmp': 'excluded by *.tmp',
  'plain/keep.txt': 'keep',
  'unlisted/u.txt': 'not a listed folder',
};
const FOLDERS = ['$(touch PWNED)', '-leading', 'it\'s "q" ü', 'plain'].map((f) => path.join(src, f));
const EXCLUDES = ['*.tmp', `fm:${src}/plain/cache`, '*/-leading/skip*', `sh:${src}/$(touch PWNED)/*.log`];
const EXPECTED = [
  '$(touch PWNED)',
  '$(touch PWNED)/a.txt',
  '-leading',
  '-leading/b.txt',
  'it\'s "q" ü',
  'it\'s "q" ü/d.txt',
  'plain',
  'plain/keep.txt',
  'plain/new\nline',
  'plain/new\nline/c.bin',
]
  .map((p) => `${srcRel}/${p}`)
  .sort();
const FOLDERS_ARCHIVE = "-folders $(touch PWNED) 'q' `x` ü;";

function noPwned(): void {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'PWNED') found.push(path.join(d, e.name));
      if (e.isDirectory()) walk(path.join(d, e.name));
    }
  };
  walk(root);
  for (const p of ['/PWNED', path.join(process.cwd(), 'PWNED')]) if (existsSync(p)) found.push(p);
  assert.deepEqual(found, [], 'nothing hostile was executed');
}

describe('real borg 1.2', () => {
  before(() => {
    assert.ok(!existsSync('/PWNED'), 'no /PWNED before the test (it would hide a failure)');
    for (const [rel, content] of Object.entries(FILES)) {
      mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
      writeFileSync(path.join(src, rel), content);
    }
  });

  after(() => {
    noPwned();
    for (const s of allScripts) assert.ok(!s.includes(PASS), 'the passphrase never appears in a script');
  });

  it('info on an absent repository is classified absent; init creates it; info proves the passphrase', async () => {
    const absent = await run(buildInfoScript(repo));
    assert.equal(absent.code, 2);
    assert.equal(classifyRepositoryProbe(absent.code, events(absent.stderr)), 'absent');

    const init = await run(buildInitScript(repo));
    assert.equal(init.code, 0, init.stderr);
    const info = await run(buildInfoScript(repo));
    assert.equal(info.code, 0, info.stderr);
    assert.equal(classifyRepositoryProbe(info.code, events(info.stderr)), 'ok');
    const parsed = parseRepositoryInfo(info.stdout.toString());
    assert.equal(parsed.encryption, 'repokey-blake2');
    assert.equal(parsed.location, repo.location);
  });

  it('a wrong passphrase fails as wrong_passphrase; a missing secret line exits 97', async () => {
    const wrong = await run(buildInfoScript(repo), ['not the passphrase']);
    assert.equal(wrong.code, 2);
    assert.equal(classifyExit(wrong.code).kind, 'error');
    assert.equal(classifyRepositoryProbe(wrong.code, events(wrong.stderr)), 'wrong_passphrase');
    const missing = await runScript(buildInfoScript(repo).script, { env, cwd: root });
    assert.equal(missing.code, EXIT.SECRET_MISSING);
    assert.equal(classifyExit(missing.code).kind, 'orchestrator');
  });

  it('folders (push): hostile folders and excludes, exactly the expected files', async () => {
    const plan = buildBackupScript(spec({ archiveName: FOLDERS_ARCHIVE, options: { folders: FOLDERS, excludes: EXCLUDES } }));
    assert.equal(plan.mode, 'push');
    if (plan.mode !== 'push') return;
    const r = await run(plan.backup);
    assert.equal(r.code, 0, errors(r.stderr).join('\n'));
    const result = parseCreateResult(r.stdout.toString());
    assert.equal(result.archiveName, FOLDERS_ARCHIVE);
    assert.equal(result.stats.nfiles, 5);
    assert.ok(result.stats.originalSize >= 50_000);
    assert.ok(events(r.stderr).some((e) => e.type === 'archive_progress'), '--progress gives archive_progress events');
    assert.deepEqual(archivePaths(FOLDERS_ARCHIVE), EXPECTED);
    noPwned();
  });

  it('a backup with the wrong passphrase makes no archive', async () => {
    const plan = buildBackupScript(spec({ archiveName: 'never', options: { folders: FOLDERS } }));
    if (plan.mode !== 'push') return assert.fail();
    const r = await run(plan.backup, ['wrong']);
    assert.equal(r.code, 2);
    assert.ok(events(r.stderr).some((e) => e.type === 'log_message' && e.msgid === 'PassphraseWrong'));
    assert.ok(!archiveNames().includes('never'));
  });

  it('piped: the command\'s stdout is the single file of the archive', async () => {
    const plan = buildBackupScript(spec({ policyType: 'piped', archiveName: 'piped-1', options: { command: "printf 'piped \\000\\001\\377 bytes\\n'", stdin_name: 'out.bin' } }), {
      allowPipedCommands: true,
    });
    if (plan.mode !== 'push') return assert.fail();
    const r = await run(plan.backup);
    assert.equal(r.code, 0, errors(r.stderr).join('\n'));
    assert.deepEqual(archivePaths('piped-1'), ['out.bin']);
    assert.deepEqual(borg(['extract', '--stdout', '--', `${repo.location}::piped-1`, 'out.bin']), Buffer.from('piped \x00\x01\xff bytes\n', 'latin1'));
  });

  it('prune keep_daily=1 over 3 archives of the glob keeps the newest, and nothing outside the glob', async () => {
    for (const n of [1, 2, 3]) {
      const plan = buildBackupScript(spec({ policyType: 'piped', archiveName: `prune-web1-${n}`, options: { command: `echo ${n}` } }), { allowPipedCommands: true });
      if (plan.mode !== 'push') return assert.fail();
      const r = await run(plan.backup);
      assert.equal(r.code, 0, errors(r.stderr).join('\n'));
    }
    const r = await run(buildPruneScript({ repository: repo, archiveGlob: 'prune-web1-*', retention: { within: null, hourly: null, daily: 1, weekly: null, monthly: null, yearly: null } }));
    assert.equal(r.code, 0, errors(r.stderr).join('\n'));
    const listed = events(r.stderr).flatMap((e) => (e.type === 'log_message' && e.name === 'borg.output.list' ? [e.message.split(/\s+/)[0]] : []));
    assert.deepEqual(listed, ['Keeping', 'Pruning', 'Pruning']);
    const list = await run(buildListScript(repo));
    assert.equal(list.code, 0);
    assert.deepEqual(parseArchiveList(list.stdout.toString()).map((a) => a.name).sort(), [FOLDERS_ARCHIVE, 'piped-1', 'prune-web1-3'].sort());
  });

  async function cancelled(name: string, command: string, killGroup: boolean) {
    const plan = buildBackupScript(
      spec({ policyType: 'piped', archiveName: name, options: { command }, postHook: 'printf "%s %s" "$BORG_ORCH_STATUS" "$BORG_ORCH_EXIT" >"$POST_OUT"' }),
      { allowPipedCommands: true, allowHooks: true },
    );
    if (plan.mode !== 'push') throw new Error('push expected');
    const postOut = path.join(root, `post-hook-${name}`);
    let signalled = false;
    const r = await runScript(plan.backup.script, {
      env: { ...env, POST_OUT: postOut },
      cwd: root,
      stdin: secretLines([PASS]),
      timeoutMs: 30_000,
      // Its own process group, as sshd gives an exec session.
      detached: true,
      onStderr: (child, stderr) => {
        // Once borg runs the source it holds the repository lock: cancel now.
        if (!signalled && stderr.includes('source-started')) {
          signalled = true;
          setTimeout(() => (killGroup ? process.kill(-child.pid!, 'SIGTERM') : child.kill('SIGTERM')), 300);
        }
      },
    });
    assert.ok(signalled, 'borg got going before the cancel');
    assert.equal(r.code, 143, errors(r.stderr).join('\n'));
    assert.equal(classifyExit(r.code).kind, 'signal');
    assert.ok(events(r.stderr).some((e) => e.type === 'log_message' && e.msgid === 'Signal.SIGTERM'), 'borg stopped on SIGTERM');
    assert.equal(readFileSync(postOut, 'utf8'), 'failure 143', 'the script lived on to run the post_hook');
    assert.ok(!archiveNames().includes(name), 'no archive committed');
    const info = await run(buildInfoScript(repo));
    assert.equal(info.code, 0, `the lock was released: ${errors(info.stderr).join('\n')}`);
  }

  it('cancel as the relay does it: TERM to the process group stops borg and a stalled source; the post_hook runs', async () => {
    // A stalled source (no data): it must be stopped too, or it would hold the channel open.
    await cancelled('canceled-group', 'echo source-started >&2; exec sleep 60', true);
  });

  it('cancel with TERM to the shell only: the trap passes it on to borg', async () => {
    await cancelled('canceled-shell', 'echo source-started >&2; while :; do echo x; sleep 0.05; done', false);
  });

  it('compact runs and check passes', async () => {
    const compact = await run(buildCompactScript({ repository: repo }));
    assert.equal(compact.code, 0, errors(compact.stderr).join('\n'));
    const check = await run(buildCheckScript({ repository: repo, verifyData: true }));
    assert.equal(check.code, 0, errors(check.stderr).join('\n'));
    const messages = events(check.stderr).flatMap((e) => (e.type === 'log_message' ? [e.message] : []));
    assert.ok(messages.includes('Archive consistency check complete, no problems found.'), messages.join('\n'));
    assert.ok(events(check.stderr).some((e) => e.type === 'progress_percent'));
  });

  it('extract brings a file back byte for byte into a destination folder', async () => {
    const dest = path.join(root, "restore $(touch PWNED) 'q'");
    const file = `/${srcRel}/plain/new\nline/c.bin`;
    const r = await run(buildExtractScript({ repository: repo, archiveName: FOLDERS_ARCHIVE, paths: [file], destination: dest, dryRun: false }));
    assert.equal(r.code, 0, errors(r.stderr).join('\n'));
    assert.deepEqual(readFileSync(path.join(dest, file)), FILES['plain/new\nline/c.bin']);
    const dry = await run(buildExtractScript({ repository: repo, archiveName: FOLDERS_ARCHIVE, paths: [], destination: path.join(root, 'not-created'), dryRun: true }));
    assert.equal(dry.code, 0, errors(dry.stderr).join('\n'));
    assert.ok(!existsSync(path.join(root, 'not-created')));
  });

  it('folders (pull): tar on the "client" piped into borg import-tar on the "relay" gives the same files', async () => {
    const plan = buildBackupScript(spec({ archiveName: 'pull-folders', modePull: true, options: { folders: FOLDERS, excludes: EXCLUDES } }));
    if (plan.mode !== 'pull') return assert.fail();
    allScripts.push(plan.source.script);
    const source = spawn('/bin/sh', ['-c', plan.source.script], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    source.stdin.end();
    let sourceErr = '';
    source.stderr.on('data', (d: Buffer) => (sourceErr += d.toString()));
    const sourceExit = new Promise<number | null>((resolve) => source.on('close', (code) => resolve(code)));
    const sink = await runScript(plan.sink.script, { env, cwd: root, stdin: secretLines([PASS]), pipeFrom: source.stdout, timeoutMs: 60_000 });
    allScripts.push(plan.sink.script);
    const sourceCode = await sourceExit;
    assert.equal(sourceCode, 0, sourceErr);
    assert.equal(sink.code, 0, errors(sink.stderr).join('\n'));
    assert.equal(pullExitCode({ preHook: null, source: sourceCode, sink: sink.code, format: plan.source.format }), 0);
    assert.equal(parseCreateResult(sink.stdout.toString()).archiveName, 'pull-folders');
    assert.deepEqual(archivePaths('pull-folders'), EXPECTED);
    const file = `${srcRel}/plain/new\nline/c.bin`;
    assert.deepEqual(borg(['extract', '--stdout', '--', `${repo.location}::pull-folders`, file]), FILES['plain/new\nline/c.bin']);
    noPwned();
  });

  it('postgresql (push) through real borg: every "--" of the dump command reaches it (borg\'s argparse drops one it sees)', async () => {
    const dir = path.join(root, 'pg-dashdash');
    mkdirSync(dir);
    const bin = stubBin(dir, {
      // Stand-ins for runuser and pg_dump: print the argv each got, one per line.
      runuser: 'printf "runuser:%s\\n" "$@"; shift 3; exec "$@"',
      pg_dump: 'printf "pg_dump:%s\\n" "$@"',
    });
    const plan = buildBackupScript(spec({ policyType: 'postgresql', archiveName: 'pg-dashdash', options: { databases: ["app 'q' $(touch PWNED)"] } }));
    if (plan.mode !== 'push') return assert.fail();
    const r = await runScript(plan.backup.script, { env: { ...env, PATH: `${bin}:${env.PATH}` }, cwd: root, stdin: secretLines([PASS]), timeoutMs: 60_000 });
    assert.equal(r.code, 0, errors(r.stderr).join('\n'));
    const file = "app 'q' $(touch PWNED).sql";
    assert.deepEqual(archivePaths('pg-dashdash'), [file]);
    assert.equal(
      borg(['extract', '--stdout', '--', `${repo.location}::pg-dashdash`, file]).toString(),
      ['runuser:-u', 'runuser:postgres', 'runuser:--', 'runuser:pg_dump', 'runuser:--create', 'runuser:--', "runuser:app 'q' $(touch PWNED)", 'pg_dump:--create', 'pg_dump:--', "pg_dump:app 'q' $(touch PWNED)", ''].join('\n'),
    );
    noPwned();
  });

  it('proxmox (push) with a stand-in vzdump: one FIFO per guest, in one archive; a failing guest gives 95', async () => {
    const dir = path.join(root, 'proxmox');
    mkdirSync(dir);
    const bin = stubBin(dir, {
      // Stand-in for Proxmox's vzdump: `vzdump <vmid> --mode snapshot --stdout 1` prints known data.
      vzdump: [
        '[ "$2 $3 $4 $5" = "--mode snapshot --stdout 1" ] || { echo "stand-in vzdump: unexpected arguments" >&2; exit 9; }',
        '[ "$1" != "$FAIL_VMID" ] || { echo "guest $1 not found" >&2; exit 1; }',
        'i=0; while [ $i -lt 3000 ]; do printf "guest %s block %s\\n" "$1" "$i"; i=$((i + 1)); done',
      ].join('\n'),
    });
    const expected = (id: number) => Array.from({ length: 3000 }, (_, i) => `guest ${id} block ${i}\n`).join('');
    const penv = { ...env, PATH: `${bin}:${env.PATH}` };
    const plan = buildBackupScript(spec({ policyType: 'proxmox', archiveName: 'proxmox-1', options: { vmids: { '7': [205, 101] } } }));
    if (plan.mode !== 'push') return assert.fail();
    const ok = await runScript(plan.backup.script, { env: penv, cwd: root, stdin: secretLines([PASS]), timeoutMs: 60_000 });
    assert.equal(ok.code, 0, errors(ok.stderr).join('\n'));
    assert.deepEqual(archivePaths('proxmox-1'), ['vzdump-qemu-101.vma', 'vzdump-qemu-205.vma']);
    assert.equal(borg(['extract', '--stdout', '--', `${repo.location}::proxmox-1`, 'vzdump-qemu-205.vma']).toString(), expected(205));
    assert.equal(borg(['extract', '--stdout', '--', `${repo.location}::proxmox-1`, 'vzdump-qemu-101.vma']).toString(), expected(101));

    const plan2 = buildBackupScript(spec({ policyType: 'proxmox', archiveName: 'proxmox-2', options: { vmids: { '7': [205, 101] } } }));
    if (plan2.mode !== 'push') return assert.fail();
    const failed = await runScript(plan2.backup.script, { env: { ...penv, FAIL_VMID: '205' }, cwd: root, stdin: secretLines([PASS]), timeoutMs: 60_000 });
    assert.equal(failed.code, EXIT.SOURCE_FAILED);
    assert.ok(events(failed.stderr).some((e) => e.type === 'log_message' && e.msgid === 'SourceFailed' && e.message === 'vzdump of guest 205 exited with status 1'));
    assert.equal(borg(['extract', '--stdout', '--', `${repo.location}::proxmox-2`, 'vzdump-qemu-101.vma']).toString(), expected(101), 'the other guest is complete');
  });
});
