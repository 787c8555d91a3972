/**
 * The production JobRunner: a job spec → relay/borg's plan → steps run over SSH or on the relay
 * (steps.ts) → the job's outcome. Exit codes follow borg: 0 success, 1 warning (the archive was
 * made: successful, said so), anything else a failure with borg's own error messages.
 *
 * Host keys: a client whose key is pinned at the edge is reached only if it still shows that
 * key (HostKeyMismatchError fails the job closed); a client without a pin (first prepare) is
 * trusted on first use and its key reported with the readiness report, which pins it.
 */
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import type { JobSpec } from '../../shared/jobspec';
import { commandLine } from '../../shared/shell-quote';
import { pullExitCode, type BackupPlan, type PullPlan } from '../borg/create';
import { planJob } from '../borg/jobs';
import { classifyExit, classifyRepositoryProbe, parseCreateResult, parseRepositoryInfo } from '../borg/parse';
import { buildScript, ScriptError } from '../borg/remote-script';
import { meetsMinimumVersion, parseBorgVersion } from '../borg/repository';
import { connectSsh, type SshConnection } from '../ssh/connect';
import { runStep, type StepContext, type StepResult } from './steps';
import { openTunnel } from './tunnel';
import type { JobOutcome, JobRunner, OutputSink } from './session';

export interface RunnerConfig {
  sshKeyPath: string;
  /** OpenSSH known_hosts of the relay, for borg's own ssh to repository hosts (steps on the relay). */
  knownHostsPath: string;
  sealingPrivateKey: string;
  allowPipedCommands: boolean;
  allowHooks: boolean;
  connectTimeoutMs?: number;
  cancelGraceMs?: number;
  /** Extra environment of steps on the relay (tests set BORG_BASE_DIR). */
  env?: Record<string, string>;
}

type Spec<K extends JobSpec['kind']> = Extract<JobSpec, { kind: K }>;

const ok = (explanation: string | null = null, result: Record<string, unknown> | null = null): JobOutcome => ({ status: 'successful', exitCode: 0, explanation, result });
const failed = (explanation: string, exitCode: number | null = null): JobOutcome => ({ status: 'failed', exitCode, explanation: explanation.slice(0, 2000), result: null });

/** Why a step failed, in words: borg's ERROR messages if any, else the exit classification. */
function why(step: StepResult, what: string): string {
  const errors = step.stderr.errors();
  const exit = classifyExit(step.exitCode, step.signal);
  return `${what} failed (${exit.message}${step.exitCode !== null ? `, exit ${step.exitCode}` : ''})${errors.length ? `: ${errors.slice(-3).join(' ')}` : '.'}`;
}

export class BorgJobRunner implements JobRunner {
  constructor(private readonly config: RunnerConfig) {}

  private planOptions() {
    return { allowPipedCommands: this.config.allowPipedCommands, allowHooks: this.config.allowHooks };
  }

  refuse(spec: JobSpec): string | null {
    try {
      planJob(spec, this.planOptions());
      return null;
    } catch (e) {
      if (e instanceof ScriptError) return e.message;
      throw e;
    }
  }

  async run(spec: JobSpec, out: OutputSink, signal: AbortSignal): Promise<JobOutcome> {
    // The policy's max duration: stop the job like a cancel, and say why.
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let overran = false;
    const limit = spec.maxDurationSeconds
      ? setTimeout(() => {
          overran = true;
          out.line('system', `The job ran past its maximum duration of ${spec.maxDurationSeconds} s; stopping it.`);
          abort.abort();
        }, spec.maxDurationSeconds * 1000)
      : undefined;
    let conn: SshConnection | undefined;
    const ctx: StepContext = {
      out,
      signal: abort.signal,
      sealingPrivateKey: this.config.sealingPrivateKey,
      relayEnv: this.relayEnv(),
      cancelGraceMs: this.config.cancelGraceMs,
      client: async () => (conn ??= await this.connect(spec, out)),
    };
    try {
      const outcome = await this.runKind(spec, ctx);
      if (overran) return { ...outcome, status: 'failed', explanation: `Stopped after its maximum duration of ${spec.maxDurationSeconds} s.` };
      return outcome;
    } catch (e) {
      if (overran) return failed(`Stopped after its maximum duration of ${spec.maxDurationSeconds} s.`);
      const err = e as Error;
      out.line('system', `ERROR: ${err.message}`);
      return failed(err.message);
    } finally {
      clearTimeout(limit);
      signal.removeEventListener('abort', onAbort);
      await conn?.close();
    }
  }

  private relayEnv(): Record<string, string> {
    const rsh = commandLine([
      'ssh',
      '-i',
      this.config.sshKeyPath,
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      `UserKnownHostsFile=${this.config.knownHostsPath}`,
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      'ServerAliveInterval=15',
    ]);
    return { BORG_RSH: rsh, ...this.config.env };
  }

  private async connect(spec: JobSpec, out: OutputSink): Promise<SshConnection> {
    const target = spec.kind === 'restore' ? spec.target : 'client' in spec ? spec.client : null;
    if (!target) throw new Error(`A ${spec.kind} job does not run on a client.`);
    const conn = await connectSsh(
      { host: target.host, port: target.port, user: target.user },
      {
        privateKey: readFileSync(this.config.sshKeyPath),
        pinnedFingerprint: target.hostKeyFingerprint,
        connectTimeoutMs: this.config.connectTimeoutMs ?? 15_000,
        keepaliveIntervalMs: 15_000,
        keepaliveCountMax: 3,
      },
    );
    out.line(
      'system',
      `Connected to ${target.user}@${target.host}:${target.port}; host key ${conn.hostKeyFingerprint}${target.hostKeyFingerprint === null ? ' (not pinned yet: trusted on first use)' : ' (pinned)'}.`,
    );
    return conn;
  }

  private runKind(spec: JobSpec, ctx: StepContext): Promise<JobOutcome> {
    switch (spec.kind) {
      case 'backup':
        return this.backup(spec, ctx);
      case 'prepare_client':
        return this.prepareClient(spec, ctx);
      case 'prepare_repository':
        return this.prepareRepository(spec, ctx);
      default:
        return this.single(spec, ctx);
    }
  }

  private async backup(spec: Spec<'backup'>, ctx: StepContext): Promise<JobOutcome> {
    const plan = planJob(spec, this.planOptions()) as { kind: 'backup'; plan: BackupPlan };
    ctx.out.line('system', `Backup ${spec.archiveName} (${spec.policyType}, ${plan.plan.mode} mode).`);
    if (plan.plan.mode === 'push') {
      if (spec.client.behindFirewall) return this.pushThroughTunnel(spec, ctx);
      const step = await runStep(plan.plan.backup, ctx, { stdout: 'collect' });
      return this.backupOutcome(step.exitCode, step, ctx);
    }
    return this.pull(plan.plan, ctx);
  }

  /** Push mode for a client that cannot reach the repository: through the relay's reverse tunnel. */
  private async pushThroughTunnel(spec: Spec<'backup'>, ctx: StepContext): Promise<JobOutcome> {
    const tunnel = await openTunnel(await ctx.client(), spec.repository.location);
    try {
      ctx.out.line('system', `The client is behind a firewall: it reaches the repository through a tunnel held by the relay (${tunnel.location}).`);
      const tunneled = { ...spec, repository: { ...spec.repository, location: tunnel.location } };
      const plan = planJob(tunneled, { ...this.planOptions(), tunnel: { hostKeyAlias: tunnel.hostKeyAlias } }) as { kind: 'backup'; plan: Extract<BackupPlan, { mode: 'push' }> };
      const step = await runStep(plan.plan.backup, ctx, { stdout: 'collect' });
      ctx.out.line('system', `Tunnel closed after ${tunnel.connections} forwarded connection(s).`);
      return this.backupOutcome(step.exitCode, step, ctx);
    } finally {
      await tunnel.close();
    }
  }

  /**
   * Pull mode: the source's stdout (over SSH) is piped into the sink's stdin (local borg), after
   * the sink's secret line. The sink's stdin is closed only once the source has exited well; a
   * failed source kills the sink instead, so a truncated stream never becomes an archive.
   */
  private async pull(plan: PullPlan, ctx: StepContext): Promise<JobOutcome> {
    let preHook: number | null = null;
    if (plan.preHook) {
      const r = await runStep(plan.preHook, ctx);
      preHook = r.exitCode ?? 128;
    }
    let source: StepResult | null = null;
    let sink: StepResult | null = null;
    if (preHook === null || preHook === 0) {
      // Reach the client before borg takes the repository lock: an unreachable client must
      // not leave a local borg waiting on stdin with the lock held.
      await ctx.client();
      let sinkHandle: { stdin: NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean }; kill(sig: 'SIGTERM' | 'SIGKILL'): void } | undefined;
      let sourceFlow: { pause(): void; resume(): void } | undefined;
      let sinkStarted!: () => void;
      const started = new Promise<void>((r) => (sinkStarted = r));
      const sinkDone = runStep(plan.sink, ctx, {
        stdout: 'collect',
        holdStdin: true,
        onStart: (h) => {
          sinkHandle = h as typeof sinkHandle;
          // Backpressure from borg to the SSH channel: pause reading the source while the pipe is full.
          sinkHandle!.stdin.on('drain', () => sourceFlow?.resume());
          sinkStarted();
        },
      });
      // The sink may fail before it starts (a secret that cannot be opened): then it never calls onStart.
      const sinkFailed = sinkDone.then(
        () => undefined,
        () => undefined,
      );
      await Promise.race([started, sinkFailed]);
      if (!sinkHandle) {
        sink = await sinkDone; // rethrows its error
      } else {
        // The source stops when the sink is gone (borg failed early: its stdin would never drain
        // again and the paused SSH channel would never close) or the job is canceled.
        const sourceAbort = new AbortController();
        const stopSource = () => {
          sourceFlow?.resume();
          sourceAbort.abort();
        };
        ctx.signal.addEventListener('abort', stopSource, { once: true });
        let sinkEnded = false;
        void sinkFailed.then(() => {
          sinkEnded = true;
          stopSource();
        });
        try {
          source = await runStep(plan.source, { ...ctx, signal: sourceAbort.signal }, {
            onData: (chunk) => {
              const stdin = sinkHandle!.stdin;
              if (sinkEnded || stdin.destroyed || stdin.writableEnded) return; // borg is gone: its exit status tells
              if (!stdin.write(chunk)) sourceFlow?.pause();
            },
            onStart: (h) => (sourceFlow = h),
          });
        } catch (e) {
          // The source failed to run at all (connection lost…): stop borg, no archive.
          sinkHandle.kill('SIGTERM');
          await sinkFailed;
          throw e;
        } finally {
          ctx.signal.removeEventListener('abort', stopSource);
        }
        const good = !sinkEnded && (source.exitCode === 0 || (source.exitCode === 1 && plan.source.format === 'tar'));
        if (good) sinkHandle.stdin.end();
        else if (!sinkEnded) {
          ctx.out.line('system', `The data source failed (${classifyExit(source.exitCode, source.signal).message}); stopping borg so no partial archive is committed.`);
          sinkHandle.kill('SIGTERM');
        }
        sink = await sinkDone;
      }
    }
    const code = pullExitCode({ preHook, source: source?.exitCode ?? null, sink: sink?.exitCode ?? null, format: plan.source.format });
    if (plan.postHook) await runStep(plan.postHook(code), ctx);
    return this.backupOutcome(code, sink, ctx);
  }

  private backupOutcome(code: number | null, step: StepResult | null, ctx: StepContext): JobOutcome {
    if (ctx.signal.aborted) return { status: 'canceled', exitCode: code, explanation: 'Canceled; borg was stopped (its lock released) before committing an archive.', result: null };
    const exit = classifyExit(code);
    if (!exit.archiveCreated || !step) return failed(step ? why({ ...step, exitCode: code }, 'borg create') : `The backup did not run: ${exit.message}.`, code);
    let result: Record<string, unknown> | null = null;
    try {
      const parsed = parseCreateResult(step.stdout);
      result = JSON.parse(step.stdout) as Record<string, unknown>;
      ctx.out.line('system', `Archive ${parsed.archiveName}: ${parsed.stats.nfiles} files, ${parsed.stats.originalSize} bytes, ${parsed.stats.deduplicatedSize} new after deduplication.`);
    } catch (e) {
      ctx.out.line('system', `WARNING: ${(e as Error).message}`);
    }
    return { status: 'successful', exitCode: code, explanation: code === 1 ? `borg finished with warnings: ${step.stderr.errors().slice(-1)[0] ?? 'see the output'}. The archive was made.` : null, result };
  }

  private async prepareClient(spec: Spec<'prepare_client'>, ctx: StepContext): Promise<JobOutcome> {
    const plan = planJob(spec, this.planOptions()) as Extract<ReturnType<typeof planJob>, { kind: 'prepare_client' }>;
    const conn = await ctx.client();
    let version = await runStep(plan.version, ctx, { stdout: 'collect' });
    if (version.exitCode === 127 && spec.installBorg) {
      ctx.out.line('system', 'borg is not installed; installing it from the distribution packages.');
      const install = await runStep({ runsOn: 'client', ...buildScript([], [INSTALL_BORG]) }, ctx);
      if (install.exitCode !== 0) return failed(why(install, 'Installing borg'), install.exitCode);
      version = await runStep(plan.version, ctx, { stdout: 'collect' });
    }
    if (version.exitCode === 127) return failed(`borg is not installed on ${spec.client.host}${spec.installBorg ? '' : ' (installing it is off in the settings)'}.`, 127);
    if (version.exitCode !== 0) return failed(why(version, 'borg --version'), version.exitCode);
    const meets = meetsMinimumVersion(version.stdout, plan.minBorgVersion);
    if (meets === null) return failed(`Could not read a version from borg --version: ${JSON.stringify(version.stdout.trim().slice(0, 100))}.`);
    if (!meets) return failed(`borg ${parseBorgVersion(version.stdout)} on ${spec.client.host} is older than the minimum ${plan.minBorgVersion}.`);
    const ip = await lookup(spec.client.host).then(
      (a) => a.address,
      () => null,
    );
    return this.markReady(ctx, spec.readinessUrl, { object: 'client', clientId: spec.client.clientId, ip, borgVersion: parseBorgVersion(version.stdout), hostKeyFingerprint: conn.hostKeyFingerprint });
  }

  private async prepareRepository(spec: Spec<'prepare_repository'>, ctx: StepContext): Promise<JobOutcome> {
    const plan = planJob(spec, this.planOptions()) as Extract<ReturnType<typeof planJob>, { kind: 'prepare_repository' }>;
    let probe = await runStep(plan.probe, ctx, { stdout: 'collect' });
    let state = classifyRepositoryProbe(probe.exitCode, probe.stderr.events);
    if (state === 'absent' || state === 'not_a_repository') {
      ctx.out.line('system', `No repository at ${spec.repository.location} yet: creating it (${spec.repository.encryption}).`);
      const init = await runStep(plan.init, ctx);
      if (init.exitCode !== 0) return failed(why(init, 'borg init'), init.exitCode);
      probe = await runStep(plan.probe, ctx, { stdout: 'collect' });
      state = classifyRepositoryProbe(probe.exitCode, probe.stderr.events);
    }
    if (ctx.signal.aborted) return { status: 'canceled', exitCode: probe.exitCode, explanation: 'Canceled.', result: null };
    const reasons: Record<string, string> = {
      wrong_passphrase: 'The passphrase does not open this repository.',
      no_passphrase: 'The repository is encrypted and no passphrase was given.',
      locked: 'The repository is locked by another borg process.',
      unreachable: 'The repository host could not be reached.',
    };
    if (state !== 'ok') return failed(reasons[state] ?? why(probe, 'borg info'), probe.exitCode);
    const info = parseRepositoryInfo(probe.stdout);
    return this.markReady(ctx, spec.readinessUrl, {
      object: 'repository',
      repositoryId: spec.repository.repositoryId,
      originalSize: info.totalSize,
      compressedSize: info.totalCompressedSize,
      deduplicatedSize: info.uniqueCompressedSize,
    });
  }

  /** Reports the object ready; without an answer, prints the one-time readiness curl. */
  private async markReady(ctx: StepContext, readinessUrl: string, report: Parameters<OutputSink['report']>[0]): Promise<JobOutcome> {
    const outcome = await ctx.out.report(report);
    if (outcome.ok) {
      ctx.out.line('system', `Marked the ${report.object} ready.`);
      return ok();
    }
    if (outcome.answered) return failed(`The orchestrator refused to mark the ${report.object} ready: ${outcome.reason}`);
    ctx.out.line('system', `Could not mark the ${report.object} ready through the relay (${outcome.reason}). Run this once, from anywhere that reaches the orchestrator:`);
    ctx.out.line('system', commandLine(['curl', '-fsS', '-X', 'POST', '-H', 'Content-Type: application/json', '-d', '{}', readinessUrl]));
    return ok(`Prepared, but not marked ready: run the readiness curl printed in the output.`);
  }

  /** prune, compact, check, catalog, restore: one step. */
  private async single(spec: Exclude<JobSpec, { kind: 'backup' | 'prepare_client' | 'prepare_repository' }>, ctx: StepContext): Promise<JobOutcome> {
    const plan = planJob(spec, this.planOptions()) as { kind: string; step: Parameters<typeof runStep>[0] };
    const step = await runStep(plan.step, ctx, { stdout: spec.kind === 'catalog' ? 'count' : 'show' });
    if (ctx.signal.aborted) return { status: 'canceled', exitCode: step.exitCode, explanation: 'Canceled.', result: null };
    if (spec.kind === 'catalog' && step.exitCode === 0) ctx.out.line('system', `The archive lists ${step.stdoutLines} entries.`);
    const exit = classifyExit(step.exitCode, step.signal);
    if (exit.kind === 'ok') return ok();
    if (spec.kind === 'check' && exit.kind === 'warning') {
      // borg 1.2 check exits 1 ("warning") exactly when it found damage (archiver.do_check): a failed check.
      const errors = step.stderr.errors();
      const shown = errors.length > 3 ? [...errors.slice(0, 2), '…', errors.at(-1)!] : errors;
      return failed(`borg check found problems in the repository (exit 1)${shown.length ? `: ${shown.join(' ')}` : '.'}`, 1);
    }
    if (spec.kind === 'restore' && exit.kind === 'warning') {
      // borg extract exits 1 when a requested path is not in the archive ("Include pattern … never
      // matched."): nothing of it was restored, which is a failed restore, not a warning.
      const missing = step.stderr.warnings().filter((w) => /never matched/.test(w));
      if (missing.length) return failed(`Not in archive ${spec.archiveName}, nothing restored for: ${missing.slice(0, 5).join(' ')}${missing.length > 5 ? ' …' : ''}`, 1);
    }
    if (exit.kind === 'warning') {
      const warnings = step.stderr.warnings();
      return { status: 'successful', exitCode: 1, explanation: `borg ${spec.kind} finished with warnings${warnings.length ? `: ${warnings.slice(-3).join(' ')}` : '.'}`.slice(0, 2000), result: null };
    }
    return failed(why(step, `borg ${spec.kind}`), step.exitCode);
  }
}

/**
 * Installs borg from the distribution's packages (the client prepare job, when the setting
 * allows it): as root directly, else through `sudo -n` (never a password prompt).
 */
const INSTALL_BORG = [
  'if [ "$(id -u)" -eq 0 ]; then orch_sudo=; else orch_sudo="sudo -n"; fi',
  'if command -v apt-get >/dev/null 2>&1; then DEBIAN_FRONTEND=noninteractive $orch_sudo apt-get install -y borgbackup </dev/null >&2',
  'elif command -v dnf >/dev/null 2>&1; then $orch_sudo dnf install -y borgbackup </dev/null >&2',
  'elif command -v zypper >/dev/null 2>&1; then $orch_sudo zypper --non-interactive install borgbackup </dev/null >&2',
  'elif command -v apk >/dev/null 2>&1; then $orch_sudo apk add borgbackup </dev/null >&2',
  'else echo "no known package manager (apt-get, dnf, zypper, apk) on this host" >&2; exit 2; fi',
].join('\n');
