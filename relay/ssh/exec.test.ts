/**
 * exec over a real OpenSSH sshd on 127.0.0.1 (see test-sshd.ts): streaming, exit
 * codes, stdin, hostile arguments, flow control, cancellation, and real borg.
 * Commands are built only with the project's quoting function (commandLine).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { commandLine } from '../../shared/shell-quote';
import { connectSsh, type SshConnection } from './connect';
import { SshChannelError, SshConnectionLostError, type ExecOptions } from './exec';
import { LineSplitter } from './lines';
import { startSshd, type TestSshd } from './test-sshd';
import { HOSTILE_STRINGS } from '../shell/hostile-strings';

let sshd: TestSshd;
let conn: SshConnection;

const connect = () =>
  connectSsh(
    { host: sshd.host, port: sshd.port, user: sshd.user },
    { privateKey: sshd.clientKey.privateKey, pinnedFingerprint: null, connectTimeoutMs: 5000, keepaliveIntervalMs: 5000, keepaliveCountMax: 3 },
  );

before(async () => {
  sshd = await startSshd();
  conn = await connect();
});
after(async () => {
  await conn?.close();
  await sshd?.stop();
});

/** Runs a command, collecting stdout and stderr as bytes. */
async function run(command: string, options: ExecOptions = {}) {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const result = await conn.exec(command, { ...options, onStdout: (c) => out.push(c), onStderr: (c) => err.push(c) });
  return { ...result, stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

/** Polls `pgrep -f pattern` on the host until nothing matches; returns the last output. */
async function waitGone(pattern: string, ms = 5000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await run(commandLine(['pgrep', '-af', pattern]));
    if (r.exitCode === 1 || Date.now() > deadline) return r.stdout.toString();
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe('output and exit status', () => {
  it('streams 20,000 lines of stdout complete and in order, stderr apart', async () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const outLines = new LineSplitter((l) => stdout.push(l));
    const errLines = new LineSplitter((l) => stderr.push(l));
    let chunks = 0;
    const result = await conn.exec(`${commandLine(['seq', '1', '20000'])}; ${commandLine(['echo', 'only on stderr'])} >&2`, {
      onStdout: (c) => {
        chunks++;
        outLines.push(c);
      },
      onStderr: (c) => errLines.push(c),
    });
    outLines.end();
    errLines.end();
    assert.equal(result.exitCode, 0);
    assert.equal(stdout.length, 20000);
    stdout.forEach((line, i) => assert.equal(line, String(i + 1)));
    assert.deepEqual(stderr, ['only on stderr'], 'stderr has no stdout and not the process-group tag');
    assert.ok(chunks > 1, 'arrived in several chunks, as they came');
  });

  it('reports exit codes 0, 1, 2 and 255', async () => {
    for (const code of [0, 1, 2, 255]) {
      const r = await run(`exit ${code}`);
      assert.deepEqual([r.exitCode, r.signal, r.cancelled], [code, null, false]);
    }
  });

  it('reports death by a signal as the signal name', async () => {
    const r = await run('kill -KILL $$');
    assert.deepEqual([r.exitCode, r.signal], [null, 'SIGKILL']);
  });
});

describe('stdin', () => {
  it('reaches the process byte for byte, and the secret is not in the command line', async () => {
    const secret = `passphrase-${randomBytes(12).toString('hex')}`;
    const payload = Buffer.concat([randomBytes(300_000), Buffer.from(`\n${secret}\n`), Buffer.from([0, 255, 10, 13])]);
    const dir = mkdtempSync(path.join(sshd.dir, 'stdin-'));
    const file = path.join(dir, 'received');
    const command = commandLine(['sh', '-c', 'cat > "$1"; sha256sum "$1"', 'sh', file]);
    assert.equal(command.includes(secret), false);
    const r = await run(command, { stdin: payload });
    assert.equal(r.exitCode, 0, r.stderr.toString());
    assert.equal(r.stdout.toString().split(' ')[0], createHash('sha256').update(payload).digest('hex'));
    assert.ok(readFileSync(file).equals(payload));
  });

  it('takes a Readable and a string too', async () => {
    const parts = ['first part ', 'second ✓ part'];
    const fromStream = await run('cat', { stdin: Readable.from(parts.map((p) => Buffer.from(p))) });
    assert.equal(fromStream.stdout.toString(), parts.join(''));
    const fromString = await run('cat', { stdin: 'plain string\n' });
    assert.equal(fromString.stdout.toString(), 'plain string\n');
  });

  it('is closed when nothing is sent, so a program reading it ends at once', async () => {
    const started = Date.now();
    const r = await run('read line; echo "read exit $?"');
    assert.equal(r.stdout.toString(), 'read exit 1\n');
    assert.ok(Date.now() - started < 3000);
  });
});

describe('hostile arguments', () => {
  const HOSTILE = [...HOSTILE_STRINGS];

  it('come back byte-identical through printf and nothing is executed', async () => {
    const dir = mkdtempSync(path.join(sshd.dir, 'hostile-'));
    // env -C: run printf inside the empty dir, so a glob or a stray touch would show there.
    const r = await run(commandLine(['env', '-C', dir, 'printf', '%s\\0', ...HOSTILE]));
    assert.equal(r.exitCode, 0, r.stderr.toString());
    assert.deepEqual(r.stdout.toString('utf8').split('\0').slice(0, -1), HOSTILE);
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(readdirSync(homedir()).includes('PWNED'), false);
    rmSync(dir, { recursive: true });
  });
});

describe('flow control', () => {
  it('pause() stops reading so the remote blocks; resume() delivers everything', async () => {
    const total = 32 * 1024 * 1024;
    let received = 0;
    let settled = false;
    const handle = conn.exec(commandLine(['head', '-c', String(total), '/dev/zero']), { onStdout: (c) => (received += c.length) });
    handle.pause();
    assert.equal(handle.paused, true);
    void handle.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 1500));
    // ssh2's 2 MiB window plus the 2 MiB Readable buffer, at most.
    assert.ok(received <= 5 * 1024 * 1024, `received ${received} bytes while paused`);
    assert.equal(settled, false, 'the remote could not finish while we did not read');
    handle.resume();
    const result = await handle;
    assert.equal(result.exitCode, 0);
    assert.equal(received, total);
  });
});

describe('cancellation', () => {
  it('stops a running command: the remote processes are gone and the promise resolves', async () => {
    const tag = `${Date.now() % 100000}${randomBytes(2).readUInt16BE()}`;
    const sleeper = `59.${tag}`; // a unique argv to look for
    const abort = new AbortController();
    const handle = conn.exec(commandLine(['sh', '-c', `sleep ${sleeper}; true`, `relay-cancel-${tag}`]), { signal: abort.signal });
    // [s]leep: the pattern must not match the shell that runs pgrep itself.
    const pattern = `[s]leep ${sleeper.replace('.', '\\.')}`;
    await new Promise((r) => setTimeout(r, 300));
    assert.notEqual(await waitGone(pattern, 0), '', 'running before the cancel');
    assert.ok(Number.isInteger(handle.processGroup) && handle.processGroup! > 1, `group ${handle.processGroup}`);
    const started = Date.now();
    abort.abort();
    const result = await handle;
    assert.ok(Date.now() - started < 3000, 'resolved within the grace');
    assert.deepEqual(result, { exitCode: null, signal: 'SIGTERM', started: true, cancelled: true, forced: false });
    assert.equal(await waitGone(pattern), '', 'no process left');
    assert.equal(await waitGone(`[r]elay-cancel-${tag}`), '');
  });

  it('delivers TERM first, so a trap (borg releasing its lock) runs', async () => {
    const dir = mkdtempSync(path.join(sshd.dir, 'trap-'));
    const marker = path.join(dir, 'got-term');
    const script = 'trap \'echo TERM >> "$1"; exit 143\' TERM; echo ready; sleep 60 & wait';
    const abort = new AbortController();
    const out: Buffer[] = [];
    const handle = conn.exec(commandLine(['bash', '-c', script, 'bash', marker]), {
      signal: abort.signal,
      onStdout: (c) => {
        out.push(c);
        if (Buffer.concat(out).includes('ready')) abort.abort();
      },
    });
    const result = await handle;
    assert.equal(result.exitCode, 143);
    assert.equal(result.cancelled, true);
    assert.equal(readFileSync(marker, 'utf8'), 'TERM\n', 'exactly one TERM');
  });

  it('KILLs what ignores TERM after the grace', async () => {
    const tag = randomBytes(4).toString('hex');
    const abort = new AbortController();
    const handle = conn.exec(commandLine(['sh', '-c', "trap '' TERM; sleep 60; true", `relay-ignores-${tag}`]), {
      signal: abort.signal,
      cancelGraceMs: 500,
    });
    await new Promise((r) => setTimeout(r, 200));
    abort.abort();
    const result = await handle;
    assert.equal(result.forced, true);
    assert.equal(result.signal, 'SIGKILL');
    assert.equal(await waitGone(`[r]elay-ignores-${tag}`), '');
  });

  it('an abort while the channel opens still stops the command; an abort before exec runs nothing', async () => {
    const tag = randomBytes(4).toString('hex');
    const abort = new AbortController();
    const handle = conn.exec(commandLine(['sh', '-c', 'sleep 60; true', `relay-early-${tag}`]), { signal: abort.signal });
    abort.abort(); // synchronously: the channel is not open yet
    const result = await handle;
    assert.equal(result.cancelled, true);
    assert.equal(await waitGone(`[r]elay-early-${tag}`), '');

    const dir = mkdtempSync(path.join(sshd.dir, 'pre-'));
    const never = await conn.exec(commandLine(['touch', path.join(dir, 'ran')]), { signal: AbortSignal.abort() });
    assert.deepEqual(never, { exitCode: null, signal: null, started: false, cancelled: true, forced: false });
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe('sshd limits and lost connections', () => {
  it('a connection takes 10 sessions (MaxSessions); losing it orphans the commands on the host', async () => {
    const busy = await connect();
    const tag = randomBytes(4).toString('hex');
    let started = 0;
    let allStarted!: () => void;
    const ready = new Promise<void>((r) => (allStarted = r));
    const running = Array.from({ length: 10 }, () =>
      busy.exec(commandLine(['sh', '-c', 'echo started; sleep 60; true', `relay-busy-${tag}`]), {
        onStdout: () => ++started === 10 && allStarted(),
      }),
    );
    running.forEach((p) => p.catch(() => {}));
    // Wait until each really runs: a shell still in its rc files when the connection
    // goes dies of SIGPIPE at its first write, which would make the count below vary.
    await ready;
    await assert.rejects(busy.exec('true'), SshChannelError);
    await busy.close();
    for (const p of running) await assert.rejects(p, SshConnectionLostError);
    // No pty, so nothing tells them the client went away: they run on.
    const left = (await run(commandLine(['pgrep', '-f', `[r]elay-busy-${tag}`]))).stdout.toString().trim().split('\n');
    assert.equal(left.length, 10);
    // Same machine: clean up our own test processes, each by its process group (the sleeps too).
    for (const pid of left) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      process.kill(-pgid, 'SIGKILL');
    }
    assert.equal(await waitGone(`[r]elay-busy-${tag}`), '');
  });

  it('exec on a closed connection fails as SshConnectionLostError', async () => {
    const short = await connect();
    await short.close();
    await assert.rejects(short.exec('true'), SshConnectionLostError);
  });
});

describe('borg', () => {
  it('borg --version over the executor reports 1.2.x', async () => {
    const r = await run(commandLine(['borg', '--version']));
    assert.equal(r.exitCode, 0, r.stderr.toString());
    assert.match(r.stdout.toString(), /^borg 1\.2\.\d+\n$/);
  });
});
