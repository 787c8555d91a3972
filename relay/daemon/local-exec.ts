/**
 * Runs a script on the relay itself: the repository jobs (init, info, prune, compact, check,
 * catalog) and the borg half of a pull backup. Same contract as relay/ssh/exec.ts so a step
 * runs alike wherever it runs: `/bin/sh -c <script>`, secret lines then EOF (or a data stream)
 * on stdin, stdout/stderr as chunks, pause/resume for backpressure, cancel by signal.
 *
 * The script gets its own process group (detached), so cancel reaches borg and anything the
 * script started: TERM first (borg releases its repository lock), KILL after the grace.
 * The environment is the relay's minus any secret (BORG_PASSPHRASE, MYSQL_PWD are only ever
 * read from stdin by the script's prelude) plus `env`.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface LocalExecOptions {
  stdin?: Buffer | string | Readable;
  /** Keep stdin open after `stdin` (a Buffer or string) is written; the caller ends it. */
  holdStdin?: boolean;
  onStdout?(chunk: Buffer): void;
  onStderr?(chunk: Buffer): void;
  signal?: AbortSignal;
  cancelGraceMs?: number;
  env?: Record<string, string>;
}

export interface LocalExecResult {
  exitCode: number | null;
  signal: string | null;
  cancelled: boolean;
}

export type LocalExecHandle = Promise<LocalExecResult> & {
  pause(): void;
  resume(): void;
  /** The child's stdin, for a caller that streams data after the secret lines. */
  readonly stdin: NodeJS.WritableStream;
  /** Signals the whole process group (used to stop a pull sink when its source failed). */
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
};

const SECRET_ENV = ['BORG_PASSPHRASE', 'BORG_PASSCOMMAND', 'BORG_PASSPHRASE_FD', 'MYSQL_PWD', 'PGPASSWORD'];

export function localExec(script: string, options: LocalExecOptions = {}): LocalExecHandle {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  for (const name of SECRET_ENV) if (!options.env?.[name]) delete env[name];
  const child = spawn('/bin/sh', ['-c', script], { detached: true, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const grace = options.cancelGraceMs ?? 5000;
  let cancelled = false;
  let exited = false;
  const group = (sig: 'SIGTERM' | 'SIGKILL') => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      /* already gone */
    }
  };
  let killTimer: NodeJS.Timeout | undefined;
  const cancel = () => {
    if (cancelled) return;
    cancelled = true;
    child.stdout.resume();
    child.stderr.resume();
    group('SIGTERM');
    killTimer = setTimeout(() => group('SIGKILL'), grace);
  };

  const promise = new Promise<LocalExecResult>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.on('data', (c: Buffer) => options.onStdout?.(c));
    child.stderr.on('data', (c: Buffer) => options.onStderr?.(c));
    // A sink that exits early closes its stdin: writes then fail with EPIPE, which is the
    // exit status's business, not a crash.
    child.stdin.on('error', () => undefined);
    child.once('close', (code, signal) => {
      exited = true;
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', cancel);
      resolve({ exitCode: code, signal, cancelled });
    });
    if (options.signal?.aborted) cancel();
    else options.signal?.addEventListener('abort', cancel, { once: true });
    const input = options.stdin;
    if (input === undefined) child.stdin.end();
    else if (typeof input === 'string' || Buffer.isBuffer(input)) {
      if (options.holdStdin) child.stdin.write(input);
      else child.stdin.end(input);
    } else input.pipe(child.stdin);
  });

  return Object.defineProperties(promise, {
    pause: { value: () => (child.stdout.pause(), child.stderr.pause()) },
    resume: { value: () => (child.stdout.resume(), child.stderr.resume()) },
    stdin: { get: () => child.stdin },
    kill: { value: group },
  }) as LocalExecHandle;
}
