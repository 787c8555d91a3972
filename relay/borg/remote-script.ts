/**
 * The shape of every script the relay runs for borg, on a host over an ssh exec channel
 * or on the relay itself: POSIX sh text assembled from argv arrays by `commandLine`
 * (shared/shell-quote.ts), preceded by a prelude that reads the secrets from STDIN.
 *
 * Why stdin: environment sent over ssh is dropped unless the server has `AcceptEnv` for
 * it (Debian accepts only LANG/LC_*), and argv is world-readable in /proc. So the caller
 * opens the sealed secrets, writes them to the channel's stdin one per line
 * (`secretLines`), in the order of `stdinSecrets`, and then either closes stdin or, for
 * the relay half of a pull backup, goes on writing the data stream. The prelude reads
 * exactly those lines before anything else runs.
 *
 * Why the data after the secret lines is safe: POSIX requires `read` to consume no byte
 * past the newline that ends its line. On a pipe or socket, which cannot seek back, shells
 * do this by reading one byte at a time (dash always does; bash does on non-seekable
 * input), so every byte after the last secret line is still unread when borg starts, and
 * `borg import-tar … -` / `borg create … -` see the stream from its first byte.
 * When stdin is closed after the secrets, anything that would prompt (borg asking for a
 * passphrase or a yes/no answer) reads end-of-file and fails at once instead of hanging;
 * borg commands that do not read data are also given `</dev/null`.
 *
 * Secrets never appear in the script text: it only names the variables they go into.
 */
import { Buffer } from 'node:buffer';
import { commandLine, quote } from '../../shared/shell-quote';
import type { EncryptionMode } from '../../shared/domain';

/** A job step turned into text: what to run and which secrets to write on its stdin. */
export interface RemoteScript {
  /** POSIX sh, run as `/bin/sh -c <script>` (over ssh: `sshExecCommand(script)`). Holds no secret. */
  script: string;
  /**
   * Sealed secrets (shared/sealed.ts form) in the order the prelude reads them. The caller
   * opens each, writes `secretLines(opened)` to stdin, then closes stdin (or streams data).
   */
  stdinSecrets: string[];
}

/** Environment variables a secret may be read into. */
export type SecretEnv = 'BORG_PASSPHRASE' | 'MYSQL_PWD';

export interface StdinSecret {
  env: SecretEnv;
  sealed: string;
}

/** A job that cannot be turned into a script (invalid, unsupported, or not allowed here). */
export class ScriptError extends Error {
  override name = 'ScriptError';
}

/**
 * Exit codes of our own, beside borg's 0/1/2 and the shell's 126/127/128+N. Chosen in the
 * 90s, where neither borg 1.2 nor the tools we call exit, so a classifier can tell them apart.
 */
export const EXIT = {
  /** A secret line was missing on stdin (the caller closed it too early). */
  SECRET_MISSING: 97,
  /** pre_hook failed; the backup did not run (the hook's own code is in the log line). */
  PRE_HOOK_FAILED: 96,
  /** A data source (vzdump, tar, a snapshot, a pull-mode dump) failed; borg may have made a partial archive. */
  SOURCE_FAILED: 95,
  /** None of the paths of the policy exist on the host (mail) or no guest was found (proxmox, vm). */
  NOTHING_TO_BACK_UP: 94,
  /** The data was backed up, but undoing a VM snapshot failed: the domain still runs on its overlay. */
  SNAPSHOT_CLEANUP_FAILED: 93,
} as const;

/**
 * Linux refuses a single argv string above MAX_ARG_STRLEN (128 KiB): the script travels as
 * one (`sh -c <script>`, and sshd's `$SHELL -c <command>`), so a larger one would fail to
 * start with E2BIG. Refuse it here with a message instead, leaving room for quoting.
 */
export const MAX_SCRIPT_BYTES = 120 * 1024;

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** `NAME=value` with the value quoted: an assignment word, never a command. */
export function assignment(name: string, value: string): string {
  if (!ENV_NAME.test(name)) throw new ScriptError(`Not an environment variable name: ${JSON.stringify(name)}.`);
  return `${name}=${quote(value)}`;
}

/** The prelude: one `read` per secret, before anything else. Exit 97 if a line is missing. */
export function secretPrelude(names: readonly SecretEnv[]): string[] {
  const lines: string[] = [];
  for (const name of names) {
    if (!ENV_NAME.test(name)) throw new ScriptError(`Not an environment variable name: ${JSON.stringify(name)}.`);
    lines.push(`IFS= read -r ${name} || exit ${EXIT.SECRET_MISSING}`, `export ${name}`);
  }
  return lines;
}

/**
 * The environment of every borg run: never accept a moved repository, never prompt.
 * An unencrypted repository is a choice made when it was configured, so its first access
 * from a new host is accepted (borg would otherwise ask, read EOF, and abort); for an
 * encrypted one the answer stays no.
 */
export const RSH_BATCH_MODE = 'BORG_RSH="${BORG_RSH:-ssh} -o BatchMode=yes"';

export function borgEnvironment(encryption: EncryptionMode): string[] {
  const vars: [string, string][] = [
    ['BORG_RELOCATED_REPO_ACCESS_IS_OK', 'no'],
    ['BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK', encryption === 'none' ? 'yes' : 'no'],
    ['BORG_DISPLAY_PASSPHRASE', 'no'],
  ];
  return [
    ...vars.map(([n, v]) => assignment(n, v)),
    // ssh to an ssh:// repository must fail rather than ask for a password or a host key. The
    // host's own BORG_RSH (its key, its known_hosts; on the relay: the relay's key) is kept:
    // the option is appended, and a BatchMode its admin set explicitly comes first and wins.
    RSH_BATCH_MODE,
    commandLine(['export', ...vars.map(([n]) => n), 'BORG_RSH']),
  ];
}

/**
 * A shell function writing one `--log-json`-shaped line on stderr, so our own events
 * (hook failures, missing paths) arrive in the same stream and parser as borg's.
 * Messages passed to it are constants of this module with numbers only (JSON-safe).
 */
export const ORCH_LOG_FUNCTION =
  `orch_log() { printf '{"type": "log_message", "time": %s, "levelname": "%s", "name": "borg-orchestrator", "msgid": "%s", "message": "%s"}\\n' "$(date +%s)" "$1" "$2" "$3" >&2; }`;

/**
 * Cancelling. The relay cancels a remote command by sending TERM (then KILL after a grace) to
 * its whole process group, `kill -TERM -<pgid>` (relay/ssh/process-group.ts: sshd refuses
 * channel signals for root). Every process of a script stays in that group (no setsid here),
 * so borg, the command it reads, tar, vzdump and hooks all get the signal; borg 1.2 then exits
 * 143, commits nothing, and releases its lock.
 *
 * The script itself must outlive the TERM to run what comes after (post_hook, undoing VM
 * snapshots), so scripts that do more than `exec` one program trap TERM/INT/HUP and run their
 * long step in the background (`runInBackground`: a shell waiting for a foreground child would
 * only act after it), wait for it to end, and go on. When only the shell got the signal (a
 * channel signal for a non-root login, a local run), the trap passes TERM on to the step.
 * The executor's grace before KILL must leave time for the post_hook and VM cleanup.
 */
export const CANCEL_FUNCTIONS: readonly string[] = [
  'orch_child=',
  'orch_canceled=0',
  'orch_cancel() { orch_canceled=1; if [ -n "$orch_child" ]; then kill -TERM "$orch_child" 2>/dev/null; fi; }',
  'trap orch_cancel TERM INT HUP',
  // wait returns early (>128) when a trapped signal arrives: wait again until the step has ended.
  'orch_wait() { if [ "$orch_canceled" -eq 1 ]; then kill -TERM "$orch_child" 2>/dev/null; fi; wait "$orch_child"; orch_rc=$?; ' +
    'while [ "$orch_canceled" -eq 1 ] && kill -0 "$orch_child" 2>/dev/null; do wait "$orch_child"; orch_rc=$?; done; orch_child=; }',
];

/** `command` (one line, without redirections of stdin) as a cancellable step setting `orch_rc`. */
export function runInBackground(command: string): string[] {
  return [`${command} </dev/null &`, 'orch_child=$!', 'orch_wait'];
}

/** Assembles prelude and body; checks the size limit. */
export function buildScript(secrets: readonly StdinSecret[], body: readonly string[]): RemoteScript {
  const script = [...secretPrelude(secrets.map((s) => s.env)), ...body].join('\n') + '\n';
  if (Buffer.byteLength(script, 'utf8') > MAX_SCRIPT_BYTES) {
    throw new ScriptError(
      `The generated script is ${Buffer.byteLength(script, 'utf8')} bytes, above the ${MAX_SCRIPT_BYTES} bytes one command can carry; use fewer or shorter paths and excludes.`,
    );
  }
  return { script, stdinSecrets: secrets.map((s) => s.sealed) };
}

/** The passphrase secret of a repository, or none for an unencrypted one. */
export function passphraseSecret(repository: { encryption: EncryptionMode; passphraseSealed: string | null; repositoryId: number }): StdinSecret[] {
  if (repository.encryption === 'none') return [];
  if (!repository.passphraseSealed) {
    throw new ScriptError(`Repository ${repository.repositoryId} is encrypted (${repository.encryption}) but has no passphrase.`);
  }
  return [{ env: 'BORG_PASSPHRASE', sealed: repository.passphraseSealed }];
}

/**
 * What the caller writes to stdin: each opened secret on its own line. A secret holding a
 * newline cannot travel as one line (the prelude would read a truncated value and treat the
 * rest as the next secret or as data), and NUL cannot live in a shell variable: both refused.
 */
export function secretLines(opened: readonly string[]): string {
  return opened
    .map((secret, i) => {
      if (secret.includes('\n')) {
        throw new ScriptError(`Secret #${i + 1} contains a newline; it cannot be passed as one line on stdin. Change it.`);
      }
      if (secret.includes('\u0000')) throw new ScriptError(`Secret #${i + 1} contains a NUL character; it cannot be passed to a shell.`);
      return `${secret}\n`;
    })
    .join('');
}

/**
 * The command for an ssh exec channel: sshd runs it with the user's login shell, which may
 * not be POSIX; this makes /bin/sh interpret the script whatever that shell is (the words
 * are quoted once, for the login shell; bash, dash, zsh and ksh all read POSIX quotes).
 */
export function sshExecCommand(script: string): string {
  const command = commandLine(['exec', '/bin/sh', '-c', script]);
  if (Buffer.byteLength(command, 'utf8') > 128 * 1024 - 1) {
    throw new ScriptError('The quoted script exceeds the 128 KiB one command can carry over ssh; use fewer or shorter paths and excludes.');
  }
  return command;
}
