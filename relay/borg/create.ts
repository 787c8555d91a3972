/**
 * Backup jobs as scripts: `buildBackupScript(spec)` returns what runs where.
 *
 * Push mode (the client has borg and reaches the repository): one script on the client,
 *   pre_hook → borg create → post_hook, exiting with borg's code (or one of EXIT's).
 * Pull mode (the client needs no borg): the relay runs borg and pulls the data over SSH.
 *   pre_hook (client) → source (client, data on stdout) piped into sink (relay, borg reading
 *   stdin after its secret line) → post_hook (client, told the outcome). File types stream a
 *   tar into `borg import-tar`; dumps and piped commands stream into `borg create … -`.
 *   `pullExitCode` folds the three exit codes into the one the job reports.
 *
 * Common borg create flags: `--log-json` (events on stderr), `--json` (the result document on
 * stdout; implies --stats), `--progress` (archive_progress events; borg 1.2 accepts it with
 * --json and --log-json), `--compression=`, `--upload-ratelimit=` (KiB/s, borg 1.2's unit).
 * The script's stdout carries only borg's JSON: hooks and helper tools write to stderr.
 *
 * Dumps in push mode use `--content-from-command`: borg runs the dump itself and fails
 * (exit 2, no archive) when the dump exits non-zero, which a shell pipeline into `borg create -`
 * cannot do without pipefail. The dump runs inside a wrapper script (sourceWrapper: the dump's
 * argv quoted into it, out of reach of borg's argument parser) that unsets BORG_PASSPHRASE
 * (borg passes its environment on) and reports the dump's own status.
 *
 * Cancel (TERM to the process group, see CANCEL_FUNCTIONS): push scripts survive it, wait for
 * borg to stop, then run the post_hook with BORG_ORCH_EXIT=143. Pull steps `exec` their program.
 *
 * Hooks (free-form shell, like piped commands) run only when the relay's operator allows them
 * (`allowHooks`), with /bin/sh, stdin from /dev/null, stdout sent to stderr, and no secret in
 * their environment. They get BORG_ORCH_JOB_ID, BORG_ORCH_ARCHIVE, BORG_ORCH_POLICY_TYPE; the
 * post_hook also BORG_ORCH_STATUS (success | warning | failure: borg's 0 | 1 | anything else)
 * and BORG_ORCH_EXIT. A failed pre_hook skips the backup (exit 96, EXIT.PRE_HOOK_FAILED: its own
 * code could be 1, which would read as borg's "warning, archive made"); the post_hook runs in
 * every case, also after a failed pre_hook (it typically undoes what the pre_hook did), and its
 * failure is logged without changing the exit code.
 */
import { commandLine } from '../../shared/shell-quote';
import { archiveArg, compressionFlag, excludeFlags, uploadRatelimitFlags } from './args';
import {
  assignment,
  borgEnvironment,
  buildScript,
  CANCEL_FUNCTIONS,
  EXIT,
  ORCH_LOG_FUNCTION,
  passphraseSecret,
  runInBackground,
  ScriptError,
  type RemoteScript,
  type StdinSecret,
} from './remote-script';
import { resolveSource, type BackupSpec, type Source } from './sources';
import { PullModeUnsupportedError, tarCreateArgv, tarMemberPath } from './tar';
import { proxmoxPushBody, snapshotName, vmBody } from './virt';

export type { BackupSpec } from './sources';

export interface BuildOptions {
  /** The relay's operator allows piped policies (a free-form command). Default false. */
  allowPipedCommands?: boolean;
  /** The relay's operator allows pre/post hooks (free-form commands). Default false. */
  allowHooks?: boolean;
  /**
   * Push mode through the relay's reverse tunnel (a behind-firewall client, relay/daemon/tunnel.ts):
   * the spec's repository location is already the tunnel's; the client's ssh checks the host
   * key under this name, and borg accepts the per-job location.
   */
  tunnel?: { hostKeyAlias: string };
}

/** A host name, an IP address, or `[host]:port`: nothing a shell or shlex would split or expand. */
const HOST_KEY_ALIAS = /^\[?[A-Za-z0-9.:_-]+\]?(?::\d{1,5})?$/;

/** Environment lines of a push script that goes through the tunnel. */
function tunnelEnvironment(tunnel: { hostKeyAlias: string }): string[] {
  if (!HOST_KEY_ALIAS.test(tunnel.hostKeyAlias)) throw new ScriptError(`Not a host name for HostKeyAlias: ${JSON.stringify(tunnel.hostKeyAlias)}.`);
  return [
    `orch_alias=${commandLine([tunnel.hostKeyAlias])}`,
    // Whatever ssh command the client's borg would use, plus the alias (borg splits BORG_RSH with shlex).
    'BORG_RSH="${BORG_RSH:-ssh} -o HostKeyAlias=$orch_alias"',
    'BORG_RELOCATED_REPO_ACCESS_IS_OK=yes',
    'export BORG_RSH BORG_RELOCATED_REPO_ACCESS_IS_OK',
  ];
}

export interface Step extends RemoteScript {
  runsOn: 'client' | 'relay';
}

export interface PushPlan {
  mode: 'push';
  /** On the client: hooks and borg; stdout is borg's --json document. */
  backup: Step;
}

export interface PullPlan {
  mode: 'pull';
  /** On the client, first; a non-zero exit skips source and sink (report 96, still run postHook). */
  preHook: Step | null;
  /**
   * On the client; its stdout is the data. `tar`: exit 1 means "a file changed while read"
   * (a warning); anything else non-zero is a failure. For safety the executor should hold the
   * end of the sink's stdin until the source's exit status is known, and stop the sink
   * (SIGTERM, no archive committed) instead of closing stdin when the source failed.
   */
  source: Step & { format: 'tar' | 'raw' };
  /** On the relay: reads its secret lines, then the data, on stdin. stdout is borg's --json document. */
  sink: Step;
  /** On the client, last, always; given the job's exit code (pullExitCode). */
  postHook: ((exitCode: number) => Step) | null;
}

export type BackupPlan = PushPlan | PullPlan;

/**
 * The script borg runs (`/bin/sh -c <it> borg-orchestrator-source <program>`) for
 * `--content-from-command`: runs `argv` without the passphrase in the environment and logs a
 * failure as JSON naming the program ("$1": argv[0], a constant of sources.ts).
 *
 * `argv` is quoted into the script text, never passed to borg as separate arguments: borg
 * 1.2 on Debian 12 (argparse of Python 3.11) drops the first `--` among the arguments after
 * the archive, so `runuser -u postgres -- pg_dump --create -- db` reached runuser without its
 * `--` and failed ("unrecognized option '--create'"). Inside one script string no argument
 * is `--`, whichever Python borg runs on.
 */
export function sourceWrapper(argv: readonly string[]): string {
  return (
    `unset BORG_PASSPHRASE; ${commandLine(argv)}; orch_s=$?; if [ "$orch_s" -ne 0 ]; then ` +
    `printf '{"type": "log_message", "time": %s, "levelname": "ERROR", "name": "borg-orchestrator", "msgid": "SourceFailed", "message": "%s exited with status %s"}\\n' "$(date +%s)" "$1" "$orch_s" >&2; ` +
    'fi; exit "$orch_s"'
  );
}

const SECRET_VARS = 'BORG_PASSPHRASE MYSQL_PWD';

function createFlags(spec: BackupSpec): string[] {
  return ['--log-json', '--json', '--progress', compressionFlag(spec.compression), ...uploadRatelimitFlags(spec.client.bandwidthLimitKiB)];
}

function header(spec: BackupSpec, part: string): string[] {
  // Comments hold numbers and enum values only: a value with a newline would end a comment.
  return [`# borg-orchestrator: backup job ${spec.jobId} attempt ${spec.attempt}, ${spec.policyType}, ${part}`];
}

function hookEnv(spec: BackupSpec, extra: [string, string][]): string {
  const vars: [string, string][] = [
    ['BORG_ORCH_JOB_ID', String(spec.jobId)],
    ['BORG_ORCH_ARCHIVE', spec.archiveName],
    ['BORG_ORCH_POLICY_TYPE', spec.policyType],
    ...extra,
  ];
  return `${vars.map(([n, v]) => assignment(n, v)).join('; ')}; ${commandLine(['export', ...vars.map(([n]) => n)])}`;
}

/** `if` tests adding the existing real directories among `candidates` to "$@". */
function existingDirs(candidates: string[], member: (p: string) => string): string[] {
  return [
    'set --',
    ...candidates.map((p) => `if [ -d ${commandLine([p])} ] && [ ! -L ${commandLine([p])} ]; then set -- "$@" ${commandLine([member(p)])}; fi`),
  ];
}

function nothingToBackUp(candidates: string[]): string {
  return `orch_log ERROR NothingToBackUp "none of ${candidates.join(', ')} is a directory on this host"`;
}

/** The push body for a source: sets orch_rc. */
function pushBody(spec: BackupSpec, source: Source): string[] {
  const archive = archiveArg(spec.repository, spec.archiveName);
  const create = ['borg', 'create', ...createFlags(spec)];
  switch (source.kind) {
    case 'paths':
      return runInBackground(commandLine([...create, ...excludeFlags(source.excludes), '--', archive, ...source.paths]));
    case 'existing-dirs':
      return [
        ...existingDirs(source.candidates, (p) => p),
        'if [ "$#" -eq 0 ]; then',
        `  ${nothingToBackUp(source.candidates)}`,
        `  orch_rc=${EXIT.NOTHING_TO_BACK_UP}`,
        'else',
        ...runInBackground(`${commandLine([...create, ...excludeFlags(source.excludes), '--', archive])} "$@"`).map((l) => `  ${l}`),
        'fi',
      ];
    case 'stream':
      return runInBackground(
        commandLine([...create, '--content-from-command', `--stdin-name=${source.fileName}`, '--', archive, '/bin/sh', '-c', sourceWrapper(source.argv), 'borg-orchestrator-source', source.argv[0]!]),
      );
    case 'proxmox':
      return proxmoxPushBody(source.vmids, [...create, '--read-special', '--', archive]);
    case 'vm':
      return vmBody(source.domains, snapshotName(spec.jobId, spec.attempt), 'push', [...create, '--', archive]);
  }
}

function pushPlan(spec: BackupSpec, source: Source, tunnel: BuildOptions['tunnel']): PushPlan {
  const secrets: StdinSecret[] = [...passphraseSecret(spec.repository), ...(source.kind === 'stream' ? source.secrets : [])];
  const body = pushBody(spec, source);
  const lines = [...header(spec, 'push mode, on the client'), ...borgEnvironment(spec.repository.encryption), ...(tunnel ? tunnelEnvironment(tunnel) : []), ORCH_LOG_FUNCTION, ...CANCEL_FUNCTIONS, 'orch_rc=0', 'cd / || exit 2'];
  if (spec.preHook !== null) {
    lines.push(
      `( unset ${SECRET_VARS}; ${hookEnv(spec, [])}; ${commandLine(['exec', '/bin/sh', '-c', spec.preHook])} ) </dev/null >&2`,
      'orch_pre=$?',
      // Cancelled while the pre_hook ran: report the cancel (143), not a hook failure.
      'if [ "$orch_canceled" -eq 1 ]; then',
      '  orch_rc=143',
      'elif [ "$orch_pre" -ne 0 ]; then',
      '  orch_log ERROR PreHookFailed "pre_hook exited with status $orch_pre; the backup did not run"',
      `  orch_rc=${EXIT.PRE_HOOK_FAILED}`,
      'else',
      ...body.map((l) => `  ${l}`),
      'fi',
    );
  } else {
    lines.push(...body);
  }
  if (spec.postHook !== null) {
    lines.push(
      'case $orch_rc in 0) orch_status=success ;; 1) orch_status=warning ;; *) orch_status=failure ;; esac',
      `( unset ${SECRET_VARS}; BORG_ORCH_STATUS=$orch_status; BORG_ORCH_EXIT=$orch_rc; export BORG_ORCH_STATUS BORG_ORCH_EXIT; ` +
        `${hookEnv(spec, [])}; ${commandLine(['exec', '/bin/sh', '-c', spec.postHook])} ) </dev/null >&2`,
      'orch_post=$?',
      'if [ "$orch_post" -ne 0 ]; then orch_log WARNING PostHookFailed "post_hook exited with status $orch_post"; fi',
    );
  }
  lines.push('exit "$orch_rc"');
  return { mode: 'push', backup: { runsOn: 'client', ...buildScript(secrets, lines) } };
}

/** The client half of a pull backup: writes the data to stdout. */
function pullSource(spec: BackupSpec, source: Source): Step & { format: 'tar' | 'raw' } {
  const lines = [...header(spec, 'pull mode, data source on the client'), 'cd / || exit 2'];
  if (source.kind === 'existing-dirs') lines.push(ORCH_LOG_FUNCTION);
  if (source.kind === 'vm') lines.push(ORCH_LOG_FUNCTION, ...CANCEL_FUNCTIONS, 'orch_rc=0');
  switch (source.kind) {
    case 'paths':
      lines.push(`exec ${commandLine([...tarCreateArgv(source.excludes), '--', ...source.paths.map(tarMemberPath)])} </dev/null`);
      return { runsOn: 'client', format: 'tar', ...buildScript([], lines) };
    case 'existing-dirs':
      lines.push(
        ...existingDirs(source.candidates, tarMemberPath),
        'if [ "$#" -eq 0 ]; then',
        `  ${nothingToBackUp(source.candidates)}`,
        `  exit ${EXIT.NOTHING_TO_BACK_UP}`,
        'fi',
        `exec ${commandLine([...tarCreateArgv(source.excludes), '--'])} "$@" </dev/null`,
      );
      return { runsOn: 'client', format: 'tar', ...buildScript([], lines) };
    case 'stream':
      lines.push(`exec ${commandLine(source.argv)} </dev/null`);
      return { runsOn: 'client', format: 'raw', ...buildScript(source.secrets, lines) };
    case 'vm':
      lines.push(...vmBody(source.domains, snapshotName(spec.jobId, spec.attempt), 'pull', tarCreateArgv([])), 'exit "$orch_rc"');
      return { runsOn: 'client', format: 'tar', ...buildScript([], lines) };
    case 'proxmox':
      throw new PullModeUnsupportedError(
        'proxmox policies cannot run in pull mode: vzdump writes one stream per guest, and a pull backup carries one stream; use push mode.',
      );
  }
}

/** The relay half of a pull backup: borg reading the stream after its secret line. */
function pullSink(spec: BackupSpec, source: Source, format: 'tar' | 'raw'): Step {
  const archive = archiveArg(spec.repository, spec.archiveName);
  const argv =
    format === 'tar'
      ? ['borg', 'import-tar', ...createFlags(spec), '--', archive, '-']
      : ['borg', 'create', ...createFlags(spec), `--stdin-name=${source.kind === 'stream' ? source.fileName : 'stdin'}`, '--', archive, '-'];
  const lines = [...header(spec, 'pull mode, borg on the relay'), ...borgEnvironment(spec.repository.encryption), `exec ${commandLine(argv)}`];
  return { runsOn: 'relay', ...buildScript(passphraseSecret(spec.repository), lines) };
}

function hookStep(spec: BackupSpec, hook: string, extra: [string, string][], part: string): Step {
  const lines = [...header(spec, part), 'cd / || exit 2', `${hookEnv(spec, extra)}`, `exec ${commandLine(['/bin/sh', '-c', hook])} </dev/null >&2`];
  return { runsOn: 'client', ...buildScript([], lines) };
}

/** success | warning | failure, as the post_hook sees it. */
export function outcomeStatus(exitCode: number): 'success' | 'warning' | 'failure' {
  return exitCode === 0 ? 'success' : exitCode === 1 ? 'warning' : 'failure';
}

/**
 * The exit code a pull backup reports, from its parts (null: the step did not run).
 * Our own codes from the source (93 cleanup, 94 nothing, 97 secret) pass through; tar's 1
 * is a warning; any other source failure is 95 unless borg itself failed.
 */
export function pullExitCode(parts: { preHook: number | null; source: number | null; sink: number | null; format: 'tar' | 'raw' }): number {
  if (parts.preHook !== null && parts.preHook !== 0) return EXIT.PRE_HOOK_FAILED;
  const source = parts.source ?? EXIT.SOURCE_FAILED;
  const sink = parts.sink ?? 2;
  if (source === EXIT.SNAPSHOT_CLEANUP_FAILED) return source;
  if (sink >= 2) return sink;
  if (source === EXIT.NOTHING_TO_BACK_UP || source === EXIT.SECRET_MISSING) return source;
  if (source === 0) return sink;
  if (source === 1 && parts.format === 'tar') return Math.max(sink, 1);
  return EXIT.SOURCE_FAILED;
}

function pullPlan(spec: BackupSpec, source: Source): PullPlan {
  const src = pullSource(spec, source);
  const postHook = spec.postHook;
  return {
    mode: 'pull',
    preHook: spec.preHook === null ? null : hookStep(spec, spec.preHook, [], 'pre_hook'),
    source: src,
    sink: pullSink(spec, source, src.format),
    postHook:
      postHook === null
        ? null
        : (exitCode: number) => {
            if (!Number.isSafeInteger(exitCode) || exitCode < 0) throw new ScriptError(`Not an exit code: ${exitCode}.`);
            return hookStep(spec, postHook, [['BORG_ORCH_STATUS', outcomeStatus(exitCode)], ['BORG_ORCH_EXIT', String(exitCode)]], 'post_hook');
          },
  };
}

/** The plan of a backup job, or a ScriptError (PullModeUnsupportedError) saying why not. */
export function buildBackupScript(spec: BackupSpec, options: BuildOptions = {}): BackupPlan {
  if ((spec.preHook !== null || spec.postHook !== null) && !options.allowHooks) {
    throw new ScriptError("This policy has hooks, and this relay's configuration does not allow hooks; its operator can allow them.");
  }
  const source = resolveSource(spec, options.allowPipedCommands === true);
  return spec.modePull ? pullPlan(spec, source) : pushPlan(spec, source, options.tunnel);
}
