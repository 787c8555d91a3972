/**
 * Runs one command on an open SSH connection (one ssh2 "session" channel).
 *
 * The command string is already quoted: build it with `commandLine(argv)` from
 * shared/shell-quote.ts (the project's one quoting function). sshd runs it with the
 * login shell (`$SHELL -c <command>`), which must be a POSIX shell.
 *
 * Facts of ssh2 + OpenSSH this module is built around:
 * - stdout and stderr share ONE channel window. Pausing reading stops window
 *   adjustments, so the remote process blocks on write once ~2 MiB (ssh2's window) plus
 *   ~2 MiB (the Readable's highWaterMark) are buffered here. pause() therefore pauses
 *   both streams: the relay's log frames are made from both.
 * - ssh2 emits the channel's 'close' only after stdout has ended, so a paused channel
 *   never closes; cancellation resumes it.
 * - Cancelling: see process-group.ts. `kill -TERM -<pgid>` over a second channel (a
 *   channel 'signal' request is refused by sshd for root logins, and closing the channel
 *   kills nothing); after the grace, KILL and the channel is closed. TERM first lets
 *   borg release its repository lock.
 * - A connection that drops mid-command leaves the outcome unknown: the command may
 *   still be running on the host. That is an error (SshConnectionLostError), never an
 *   exit code, so the relay can mark the job lost instead of guessing.
 */
import type { Readable } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { GroupTagFilter, killGroupCommand, newNonce, reportingGroup } from './process-group';

export interface ExecOptions {
  /** Written to the command's stdin, which is then closed (EOF), also when absent. */
  stdin?: Buffer | string | Readable;
  onStdout?(chunk: Buffer): void;
  onStderr?(chunk: Buffer): void;
  /** Abort = cancel: TERM to the remote process group, KILL after `cancelGraceMs`. */
  signal?: AbortSignal;
  /** Default 5000. */
  cancelGraceMs?: number;
  /**
   * Default true: prefix the command so its process group can be killed on cancel.
   * False sends the command string exactly as given (then cancel relies on the channel
   * signal, which sshd ignores for root).
   */
  killProcessGroup?: boolean;
}

export interface ExecResult {
  /** Exit status, or null when the command died of a signal or none was reported. */
  exitCode: number | null;
  /** 'SIGTERM' etc. when the command died of a signal (as reported by sshd's exit-signal). */
  signal: string | null;
  /** False only when the AbortSignal was already aborted: nothing was sent to the host. */
  started: boolean;
  /** The AbortSignal fired before the command was over. */
  cancelled: boolean;
  /**
   * The command had not ended within the grace after TERM: KILL was sent and the channel
   * closed. With exitCode and signal null, no status came back: without a known process
   * group (killProcessGroup: false, root login) the command may still be running.
   */
  forced: boolean;
}

/** The promise of the result, plus flow control for the output. */
export type ExecHandle = Promise<ExecResult> & {
  /** Stop reading stdout and stderr; the remote process blocks on write once the buffers are full. */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /**
   * The remote process group once the command has reported it (killProcessGroup): worth
   * keeping with the job, since after a lost connection the command runs on and only
   * `kill -TERM -<pgid>` over a new connection can stop it (mind pid reuse after its end).
   */
  readonly processGroup: number | undefined;
};

/** The channel could not be opened or the exec request was refused (e.g. sshd's MaxSessions reached). */
export class SshChannelError extends Error {
  override name = 'SshChannelError';
}

/** The SSH connection ended before the command reported how it ended: outcome unknown. */
export class SshConnectionLostError extends Error {
  override name = 'SshConnectionLostError';
}

/**
 * ssh2's `channel.signal()` silently sends nothing once we have sent EOF (it requires
 * the channel to be writable), and we always send EOF at once (stdin is closed so a
 * program waiting for input fails fast). A half-closed channel still takes channel
 * requests (RFC 4254 5.3), so the request goes through ssh2's protocol object, as
 * `signal()` itself does. Private API of the pinned ssh2 1.17.0.
 */
function sendSignal(channel: ClientChannel, name: 'TERM' | 'KILL'): void {
  const ch = channel as unknown as {
    outgoing: { id: number; state: string };
    _client: { _protocol?: { signal(id: number, name: string): void } };
  };
  if (ch.outgoing.state !== 'open' && ch.outgoing.state !== 'eof') return; // closing: too late
  ch._client._protocol?.signal(ch.outgoing.id, name);
}

export function exec(conn: { readonly client: Client }, command: string, options: ExecOptions = {}): ExecHandle {
  let channel: ClientChannel | undefined;
  let paused = false;
  let pgid: number | undefined;
  const setFlow = () => {
    if (!channel) return;
    if (paused) {
      channel.pause();
      channel.stderr.pause();
    } else {
      channel.resume();
      channel.stderr.resume();
    }
  };

  const promise = new Promise<ExecResult>((resolve, reject) => {
    const { signal: abort, stdin } = options;
    const grace = options.cancelGraceMs ?? 5000;
    const nonce = options.killProcessGroup === false ? null : newNonce();
    let cancelled = false;
    let forced = false;
    let lost = false;
    let done = false;
    let failure: unknown;
    let exit: { code: number | null; signal: string | null } | undefined;
    const timers: NodeJS.Timeout[] = [];

    // Exactly one TERM reaches the command (a second one could interrupt borg's own
    // cleanup): `kill -TERM -<pgid>` over a second channel when the group is known, the
    // channel signal only when it is not or when that kill could not run (e.g. all of
    // sshd's MaxSessions slots taken). With a tag still to come, the tag handler sends it.
    const signalRemote = (sig: 'TERM' | 'KILL') => {
      if (exit || done || !channel) return; // never signal a group that may be gone and reused
      const ch = channel;
      if (pgid === undefined) {
        if (!nonce || sig === 'KILL') sendSignal(ch, sig);
        return;
      }
      exec(conn, killGroupCommand(pgid, sig), { killProcessGroup: false }).then(
        (r) => r.exitCode !== 0 && sendSignal(ch, sig),
        () => sendSignal(ch, sig),
      );
    };
    const onClientClose = () => (lost = true);

    const finish = () => {
      if (done) return;
      done = true;
      timers.forEach(clearTimeout);
      abort?.removeEventListener('abort', cancel);
      conn.client.off('close', onClientClose);
      if (stdin && typeof stdin === 'object' && !Buffer.isBuffer(stdin) && channel) stdin.unpipe(channel);
      if (failure !== undefined) return reject(failure);
      if (exit) return resolve({ exitCode: exit.code, signal: exit.signal, started: true, cancelled, forced });
      if (cancelled) return resolve({ exitCode: null, signal: null, started: true, cancelled, forced });
      if (lost) {
        return reject(
          new SshConnectionLostError(
            'The SSH connection ended while the command was running; its outcome is unknown and it may still be running on the host.',
          ),
        );
      }
      resolve({ exitCode: null, signal: null, started: true, cancelled, forced: false }); // the server closed the channel without a status
    };

    function cancel() {
      if (cancelled || done) return;
      cancelled = true;
      if (!channel) return; // still opening: the exec callback continues the cancel
      paused = false; // a paused channel would never report 'close'
      setFlow();
      signalRemote('TERM');
      timers.push(
        setTimeout(() => {
          forced = true;
          signalRemote('KILL');
          channel!.close();
          // sshd answers the close only once the command has exited ("delay detach"),
          // so its exit-signal still arrives. If the close is not answered (the process
          // survived, or the connection is dead), stop waiting after another grace.
          timers.push(setTimeout(finish, grace));
        }, grace),
      );
    }

    const guard = (fn: ((chunk: Buffer) => void) | undefined) => (chunk: Buffer) => {
      try {
        fn?.(chunk);
      } catch (err) {
        failure ??= err; // a throwing consumer stops the command rather than losing output silently
        cancel();
      }
    };

    if (abort?.aborted) return resolve({ exitCode: null, signal: null, started: false, cancelled: true, forced: false });
    abort?.addEventListener('abort', cancel, { once: true });
    conn.client.on('close', onClientClose);

    try {
      conn.client.exec(nonce ? reportingGroup(command, nonce) : command, (err, ch) => {
        if (err) {
          failure = new SshChannelError(`Could not start the command over SSH: ${err.message}`, { cause: err });
          return finish();
        }
        channel = ch;
        let stdoutClosed = false;
        let stderrEnded = false;
        const maybeFinish = () => stdoutClosed && stderrEnded && finish();
        const onStderr = guard(options.onStderr);
        const filter = nonce
          ? new GroupTagFilter(
              nonce,
              (found) => {
                pgid = found;
                if (cancelled && !forced) signalRemote('TERM');
              },
              onStderr,
            )
          : null;
        // exit-status gives (code); exit-signal gives (null, 'SIGTERM', coreDumped, message).
        ch.on('exit', (code: number | null, sig?: string) => {
          exit = typeof code === 'number' ? { code, signal: null } : { code: null, signal: sig ?? null };
        });
        ch.on('data', guard(options.onStdout));
        ch.stderr.on('data', (chunk: Buffer) => (filter ? filter.push(chunk) : onStderr(chunk)));
        ch.on('error', (e: Error) => (failure ??= e));
        ch.stderr.on('error', (e: Error) => (failure ??= e));
        ch.on('close', () => {
          stdoutClosed = true;
          maybeFinish();
        });
        const stderrDone = () => {
          if (stderrEnded) return;
          stderrEnded = true;
          filter?.end();
          maybeFinish();
        };
        ch.stderr.once('end', stderrDone).once('close', stderrDone);
        setFlow();

        if (cancelled) {
          // Aborted while the channel was opening: the command has started; stop it now.
          cancelled = false;
          cancel();
        }
        if (stdin === undefined) ch.end();
        else if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) ch.end(stdin);
        else {
          stdin.once('error', (e) => {
            failure ??= e;
            cancel(); // a half-written stdin must not look like a complete one
          });
          stdin.pipe(ch); // ends the channel's stdin (EOF) when the source ends
        }
      });
    } catch (err) {
      // ssh2 throws "Not connected" synchronously when the connection is already gone.
      done = true;
      conn.client.off('close', onClientClose);
      abort?.removeEventListener('abort', cancel);
      reject(new SshConnectionLostError(`Cannot run the command: ${(err as Error).message}`, { cause: err }));
    }
  });

  return Object.defineProperties(promise, {
    pause: {
      value: () => {
        paused = true;
        setFlow();
      },
    },
    resume: {
      value: () => {
        paused = false;
        setFlow();
      },
    },
    paused: { get: () => paused },
    processGroup: { get: () => pgid },
  }) as ExecHandle;
}
