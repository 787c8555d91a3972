/**
 * Finding and killing the remote command's process group, for cancellation.
 *
 * Why this exists: OpenSSH refuses 'signal' channel requests for root logins
 * ("session_signal_req: session signalling requires privilege separation" in the sshd
 * log): after authenticating root, sshd drops privilege separation for the session
 * (privsep_postauth sets use_privsep = 0 for uid 0), and session_signal_req needs it.
 * Backups mostly run as root, so a channel signal alone cancels nothing. Closing the
 * channel does not stop the command either (sshd keeps it as a detached child; without
 * a pty nothing sends it SIGHUP). So the relay kills the process group itself.
 *
 * How: sshd starts each exec session with setsid(), so the login shell that runs the
 * command string is a session and process group leader: its $$ is the pgid of every
 * process of the command (a non-interactive shell has no job control and makes no new
 * groups). The command is prefixed with a printf of $$ to stderr, tagged with a random
 * nonce; exec.ts takes that line out of stderr before the caller sees it, and on cancel
 * runs `kill -TERM -<pgid>` in a second channel. `kill -SIG -N` is the one spelling
 * that dash, bash, busybox ash and zsh all accept (dash rejects `--` and `-s SIG -N`).
 */
import { randomBytes } from 'node:crypto';
import { commandLine } from '../../shared/shell-quote';

export function newNonce(): string {
  return randomBytes(6).toString('hex');
}

const tag = (nonce: string) => `relay-pgid:${nonce}:`;

/** The command with a prefix that reports the process group on stderr. POSIX shells only ($$). */
export function reportingGroup(command: string, nonce: string): string {
  return `printf '${tag(nonce)}%s\\n' "$$" >&2; ${command}`;
}

/** The command line that sends `signal` to every process of the group. */
export function killGroupCommand(pgid: number, signal: 'TERM' | 'KILL'): string {
  if (!Number.isSafeInteger(pgid) || pgid <= 1) throw new RangeError(`not a process group: ${pgid}`);
  return commandLine(['kill', `-${signal}`, `-${pgid}`]);
}

/** Shell startup noise (a chatty .bashrc) tolerated before the tag before giving up. */
const SEARCH_LIMIT = 64 * 1024;

/**
 * Filters stderr: finds and removes the tag line, passes every other byte through in
 * order. Output before the tag is held back until the tag (or the limit, or the end)
 * is seen; normally the tag is the very first line, so nothing is held.
 */
export class GroupTagFilter {
  private held: Buffer | null = Buffer.alloc(0);
  private readonly needle: Buffer;

  constructor(
    nonce: string,
    private readonly onGroup: (pgid: number) => void,
    private readonly pass: (chunk: Buffer) => void,
  ) {
    this.needle = Buffer.from(tag(nonce));
  }

  push(chunk: Buffer): void {
    if (this.held === null) return this.pass(chunk);
    const buffer = Buffer.concat([this.held, chunk]);
    const at = buffer.indexOf(this.needle);
    const newline = at === -1 ? -1 : buffer.indexOf(0x0a, at);
    if (newline !== -1) {
      const pgid = Number(buffer.subarray(at + this.needle.length, newline).toString('latin1'));
      this.held = null;
      if (at > 0) this.pass(buffer.subarray(0, at));
      if (newline + 1 < buffer.length) this.pass(buffer.subarray(newline + 1));
      if (Number.isSafeInteger(pgid) && pgid > 1) this.onGroup(pgid);
      return;
    }
    if (buffer.length > SEARCH_LIMIT) {
      this.held = null;
      this.pass(buffer);
      return;
    }
    this.held = buffer;
  }

  /** At the end of stderr: whatever is held goes through (the tag never came). */
  end(): void {
    const held = this.held;
    this.held = null;
    if (held && held.length > 0) this.pass(held);
  }
}
