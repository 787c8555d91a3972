/**
 * Shared by the relay/borg tests (not a test file itself): job spec factories, a POSIX
 * quote scanner, and a runner for generated scripts with secrets written to stdin.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RepositorySpec } from '../../shared/jobspec';
import type { BackupSpec } from './create';

export function repositorySpec(over: Partial<RepositorySpec> = {}): RepositorySpec {
  return {
    repositoryId: 3,
    location: 'backup@nas:/srv/borg/main',
    encryption: 'repokey-blake2',
    passphraseSealed: 'sealed:v1:PASSPHRASE',
    appendOnly: false,
    quotaBytes: null,
    ...over,
  };
}

export function backupSpec(over: Partial<BackupSpec> = {}): BackupSpec {
  return {
    kind: 'backup',
    jobId: 12,
    attempt: 1,
    maxDurationSeconds: null,
    client: { clientId: 7, host: 'web1', port: 22, user: 'root', hostKeyFingerprint: null, hostname: 'web1', bandwidthLimitKiB: null, behindFirewall: false },
    repository: repositorySpec(),
    archiveName: 'folders-web1-2026-01-02_03-04',
    policyType: 'folders',
    options: { folders: ['/srv/www'], excludes: [] },
    sealedSecrets: {},
    compression: 'lz4',
    preHook: null,
    postHook: null,
    modePull: false,
    ...over,
  };
}

/**
 * The text of a POSIX sh script that the shell reads unquoted: everything outside single
 * quotes, double quotes and backslash escapes (which are replaced by a space). A hostile
 * value "appears only quoted" when its marker is absent from this text.
 */
export function unquotedText(script: string): string {
  let out = '';
  let i = 0;
  while (i < script.length) {
    const c = script[i]!;
    if (c === "'") {
      const end = script.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated single quote at ${i}`);
      out += ' ';
      i = end + 1;
    } else if (c === '\\') {
      out += ' ';
      i += 2;
    } else if (c === '"') {
      // Double-quoted text in our scripts holds only "$var" expansions and constant messages.
      let j = i + 1;
      while (j < script.length && script[j] !== '"') j += script[j] === '\\' ? 2 : 1;
      out += script.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const created: string[] = [];
process.on('exit', () => {
  if (process.env.BORG_TEST_KEEP) return; // keep them to look at a failure
  for (const d of created) rmSync(d, { recursive: true, force: true });
});

/** A new temporary directory, removed when the test process exits (unless BORG_TEST_KEEP is set). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `borg-${prefix}-`));
  created.push(dir);
  return dir;
}

/** Writes executable stub programs into `<dir>/bin` and returns that directory. */
export function stubBin(dir: string, stubs: Record<string, string>): string {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const [name, body] of Object.entries(stubs)) {
    const file = path.join(bin, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
  }
  return bin;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs `/bin/sh -c <script>` as the relay will: `stdin` (the secret lines, then any data) is
 * written and stdin closed. `pipeFrom` streams another process's stdout after `stdin`.
 */
export function runScript(
  script: string,
  opts: {
    stdin?: string | Buffer;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    shell?: string;
    pipeFrom?: NodeJS.ReadableStream;
    timeoutMs?: number;
    /** Its own process group (like sshd's setsid), so a test can signal the group as the relay does. */
    detached?: boolean;
    /** Called with the child and its stderr so far, on every stderr chunk (to signal it mid-run). */
    onStderr?: (child: ChildProcess, stderr: string) => void;
  } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(opts.shell ?? '/bin/sh', ['-c', script], {
      cwd: opts.cwd ?? tmpdir(),
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: opts.detached ?? false,
    });
    const out: Buffer[] = [];
    let err = '';
    // On timeout: kill the shell and stop waiting for its pipes (a leftover child may hold them).
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ code: null, signal: 'SIGKILL', stdout: Buffer.concat(out), stderr: `${err}\n[timed out]` });
    }, opts.timeoutMs ?? 30_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      opts.onStderr?.(child, err);
    });
    child.stdin.on('error', () => {}); // the script may exit before reading everything
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (!timedOut) resolve({ code, signal, stdout: Buffer.concat(out), stderr: err });
    });
    if (opts.stdin !== undefined) child.stdin.write(opts.stdin);
    if (opts.pipeFrom) opts.pipeFrom.pipe(child.stdin);
    else child.stdin.end();
  });
}
