/**
 * Test helper: a real OpenSSH sshd on 127.0.0.1, private to one test file.
 *
 * Everything lives in a fresh temp dir: the host key (ssh-keygen -t ed25519), the
 * config, authorized_keys, the pid file. Debian's sshd needs:
 *   - to be started by absolute path (it re-execs itself per connection),
 *   - /run/sshd (its privilege-separation chroot) to exist, mode 0755,
 *   - `StrictModes no`, because a temp dir under /tmp is world-writable (sticky),
 *     which StrictModes would reject for AuthorizedKeysFile,
 *   - `UsePAM no`, so no PAM stack (and no pam_systemd) is involved.
 * It logs to stderr (-e) and stays in the foreground (-D), so it is our child and we
 * can kill it and wait for it. Its stderr is drained continuously (a full pipe would
 * block sshd) and kept so tests can look at what sshd said.
 *
 * Not a *.test.ts file, so the test runner does not pick it up.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
// ssh2 is CommonJS; Node's ESM loader only detects some of its named exports (not `utils`).
import ssh2 from 'ssh2';

export const SSHD = '/usr/sbin/sshd';

export interface TestSshd {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The login user: whoever runs the tests (root here and in CI). */
  readonly user: string;
  readonly dir: string;
  /** Path of the host key's .pub file (for `ssh-keygen -lf`). */
  readonly hostKeyPub: string;
  /** A client key pair whose public half is in authorized_keys (OpenSSH format). */
  readonly clientKey: { readonly privateKey: string; readonly publicKey: string };
  /** Live processes started through this sshd (commands and their children), by pid. */
  processes(): number[];
  /** Everything sshd has written to stderr so far. */
  log(): string;
  /** Kills sshd and its per-connection children, waits for the listener to exit, removes the dir. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** sshd LogLevel; DEBUG1 shows how sshd handles channel requests such as signals. */
  logLevel?: 'QUIET' | 'INFO' | 'VERBOSE' | 'DEBUG1';
  /** Extra sshd_config lines. */
  extraConfig?: readonly string[];
}

/** A port the kernel just gave out; sshd may still lose a race for it, so start() retries. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

function ensurePrivsepDir(): void {
  if (existsSync('/run/sshd')) return;
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  chmodSync('/run/sshd', 0o755); // mkdir's mode is filtered by the umask
}

const MARK = 'RELAY_TEST_SSHD';

/** Processes whose environment holds MARK=<value> (readable for our own processes, and for all as root). */
function marked(value: string): number[] {
  const needle = Buffer.from(`\0${MARK}=${value}\0`);
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${name}/environ`)]);
      if (environ.includes(needle)) found.push(Number(name));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

/** Every live descendant of `pid`, found through /proc (sshd's children call setsid, so no process group). */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Field 4 is the ppid; the command name (field 2) may hold spaces, so parse after its ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(name), Number(fields[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, ppid] of parentOf) {
      if (ppid === parent && !found.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

async function startOnce(port: number, dir: string, options: StartOptions): Promise<{ child: ChildProcess; log: () => string }> {
  const config = path.join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(dir, 'ssh_host_ed25519_key')}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      `LogLevel ${options.logLevel ?? 'VERBOSE'}`,
      // Every process started through this sshd carries the marker, so stop() can find
      // commands that outlived their connection (they are reparented to init).
      `SetEnv ${MARK}=${path.basename(dir)}`,
      ...(options.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    stderr += text;
  });
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(`sshd exited (code ${code}, signal ${signal}) before listening:\n${stderr}`));
    child.once('error', (err) => resolve(`sshd could not start: ${err.message}`));
  });
  // "Server listening on 127.0.0.1 port N." is printed once the socket is bound.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const outcome = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 25))]);
    if (outcome !== null) throw new Error(outcome);
    if (stderr.includes(`Server listening on 127.0.0.1 port ${port}`) && (await accepts(port))) {
      return { child, log: () => stderr };
    }
  }
  killQuietly(child.pid!, 'SIGKILL');
  throw new Error(`sshd did not listen on port ${port} within 10 s:\n${stderr}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startSshd(options: StartOptions = {}): Promise<TestSshd> {
  ensurePrivsepDir();
  const dir = mkdtempSync(path.join(tmpdir(), 'relay-sshd-'));
  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'relay-test-host', '-f', hostKey]);
  const clientKey = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'relay-test-client' });
  writeFileSync(path.join(dir, 'authorized_keys'), `${clientKey.public}\n`, { mode: 0o600 });

  let started: { child: ChildProcess; log: () => string } | undefined;
  let port = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3 && !started; attempt++) {
    port = await freePort();
    try {
      started = await startOnce(port, dir, options);
    } catch (err) {
      lastError = err; // most likely another process took the port in between
    }
  }
  if (!started) {
    rmSync(dir, { recursive: true, force: true });
    throw lastError;
  }
  const { child, log } = started;
  const pid = child.pid!;
  // If the test process dies without calling stop(), do not leave the listener behind.
  const onExit = () => {
    killQuietly(pid, 'SIGKILL');
    for (const p of marked(path.basename(dir))) killQuietly(p, 'SIGKILL');
  };
  process.once('exit', onExit);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.off('exit', onExit);
      // The per-connection sshd processes (and the commands they run) outlive the
      // listener on purpose (that is how sshd restarts without cutting sessions), so
      // they are collected first and killed with it.
      const children = [...descendants(pid), ...marked(path.basename(dir))];
      const gone = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
      killQuietly(pid, 'SIGTERM');
      for (const c of children) killQuietly(c, 'SIGKILL');
      const timer = setTimeout(() => killQuietly(pid, 'SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    })());

  return {
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    dir,
    hostKeyPub: `${hostKey}.pub`,
    clientKey: { privateKey: clientKey.private, publicKey: clientKey.public },
    processes: () => marked(path.basename(dir)),
    log,
    stop,
  };
}
