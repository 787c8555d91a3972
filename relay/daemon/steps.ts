/**
 * Runs one step of a job plan (relay/borg) where it belongs: on the client over SSH, or on the
 * relay as a local process. Either way the secret lines are written first on stdin (opened
 * from their sealed form only here, in memory), stderr goes to the log through BorgStderr,
 * stdout is shown or collected, and the output is paused while the log window is full.
 */
import type { Readable } from 'node:stream';
import { open as openSealed } from '../../shared/sealed';
import type { Step } from '../borg/create';
import { secretLines, sshExecCommand } from '../borg/remote-script';
import type { SshConnection } from '../ssh/connect';
import { LineSplitter } from '../ssh/lines';
import { BorgStderr } from './borg-output';
import { localExec, type LocalExecHandle } from './local-exec';
import type { OutputSink } from './session';

export interface StepContext {
  out: OutputSink;
  signal: AbortSignal;
  /** The private sealing key (shared/sealed.ts) the secrets are opened with. */
  sealingPrivateKey: string;
  /** The SSH connection to the job's client, opened on first use. */
  client(): Promise<SshConnection>;
  /** Environment of steps on the relay (BORG_RSH with the relay's key, …). */
  relayEnv: Record<string, string>;
  cancelGraceMs?: number;
}

export interface StepResult {
  exitCode: number | null;
  signal: string | null;
  cancelled: boolean;
  /** stdout when `stdout: 'collect'` (borg's --json document), else ''. */
  stdout: string;
  /** stdout lines counted (catalog). */
  stdoutLines: number;
  stderr: BorgStderr;
}

export interface StepOptions {
  /** 'show': every stdout line goes to the log; 'collect': kept and shown; 'count': only counted. */
  stdout?: 'show' | 'collect' | 'count';
  /** Raw stdout chunks instead (the data of a pull source); no lines. */
  onData?: (chunk: Buffer) => boolean | void;
  /** Data streamed after the secret lines (the sink of a pull backup). */
  input?: Readable;
  /** Local steps: keep stdin open after the secrets; the caller ends it or kills the step. */
  holdStdin?: boolean;
  /** Called with the local handle (to stream into it or kill it). */
  onStart?(handle: LocalExecHandle | { pause(): void; resume(): void }): void;
}

const MAX_COLLECT = 16 * 1024 * 1024;

export async function openSecrets(step: Pick<Step, 'stdinSecrets'>, privateKey: string): Promise<string> {
  const opened: string[] = [];
  for (const sealed of step.stdinSecrets) opened.push(await openSealed(privateKey, sealed));
  return secretLines(opened);
}

export async function runStep(step: Step, ctx: StepContext, options: StepOptions = {}): Promise<StepResult> {
  const stdin = await openSecrets(step, ctx.sealingPrivateKey);
  const stderr = new BorgStderr(ctx.out);
  let collected = '';
  let stdoutLines = 0;
  const mode = options.stdout ?? 'show';
  const outLines = new LineSplitter((line) => {
    stdoutLines++;
    if (mode === 'count') return;
    if (mode === 'collect' && collected.length < MAX_COLLECT) collected += `${line}\n`;
    ctx.out.line('stdout', line);
  });
  const errLines = new LineSplitter((line) => stderr.line(line));

  let flow: { pause(): void; resume(): void } | undefined;
  let waiting = false;
  // Backpressure: while the relay's window of unacknowledged frames is full, stop reading.
  const throttle = () => {
    if (waiting || !flow || !ctx.out.blocked()) return;
    waiting = true;
    flow.pause();
    void ctx.out.drained().then(() => {
      waiting = false;
      flow?.resume();
    });
  };
  const onStdout = (chunk: Buffer) => {
    if (options.onData) options.onData(chunk);
    else outLines.push(chunk);
    throttle();
  };
  const onStderr = (chunk: Buffer) => {
    errLines.push(chunk);
    throttle();
  };

  let result: { exitCode: number | null; signal: string | null; cancelled: boolean };
  if (step.runsOn === 'relay') {
    const handle = localExec(step.script, {
      stdin: options.input ? undefined : stdin,
      holdStdin: options.holdStdin,
      onStdout,
      onStderr,
      signal: ctx.signal,
      cancelGraceMs: ctx.cancelGraceMs,
      env: ctx.relayEnv,
    });
    if (options.input) {
      handle.stdin.write(stdin);
      options.input.pipe(handle.stdin);
    }
    flow = handle;
    options.onStart?.(handle);
    result = await handle;
  } else {
    const conn = await ctx.client();
    const handle = conn.exec(sshExecCommand(step.script), { stdin, onStdout, onStderr, signal: ctx.signal, cancelGraceMs: ctx.cancelGraceMs });
    flow = handle;
    options.onStart?.(handle);
    const r = await handle;
    result = { exitCode: r.exitCode, signal: r.signal, cancelled: r.cancelled };
  }
  outLines.end();
  errLines.end();
  return { ...result, stdout: collected, stdoutLines, stderr };
}
