/**
 * One SSH connection from the relay to a host, with the host key pinned.
 *
 * Pinning: OpenSSH's fingerprint is `SHA256:` + unpadded base64 of the sha256 of the
 * host key blob (the wire-format public key). ssh2 hands that blob to `hostVerifier`
 * when no `hostHash` is configured, so we hash it ourselves and get the exact string
 * `ssh-keygen -lf key.pub` prints, which an admin can compare by eye.
 * The verifier also runs on every re-key; it compares against the same pin each time.
 *
 * Errors: ssh2 emits plain Errors tagged with `level` ('client-socket',
 * 'client-timeout', 'client-authentication', 'handshake', 'protocol', ...); they are
 * mapped to the typed errors below so the relay can report something an admin can act on.
 */
import { createHash } from 'node:crypto';
import { Client } from 'ssh2';
import { exec, type ExecHandle, type ExecOptions } from './exec';

export interface SshTarget {
  host: string;
  port: number;
  user: string;
}

export interface ConnectOptions {
  privateKey: Buffer | string;
  /** `SHA256:...` as stored for this client; null = trust on first use (the caller pins the result). */
  pinnedFingerprint: string | null;
  /** Bound on TCP connect + key exchange + authentication together. */
  connectTimeoutMs: number;
  /** SSH-level keepalive (global request). A dead peer is noticed after interval * (countMax + 1). */
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
}

export interface SshConnection {
  readonly target: SshTarget;
  /** The host key's fingerprint as seen on this connection (store it when pinning on first use). */
  readonly hostKeyFingerprint: string;
  /** The ssh2 client; exec.ts uses it to open channels. */
  readonly client: Client;
  /** Resolves when the connection is gone: with the error that ended it, or undefined after close(). */
  readonly closed: Promise<Error | undefined>;
  exec(command: string, options?: ExecOptions): ExecHandle;
  /** Ends the connection (commands still running on it lose their channel) and waits for the socket to close. */
  close(): Promise<void>;
}

const where = (t: SshTarget) => `${t.user}@${t.host}:${t.port}`;

export class SshConnectError extends Error {
  constructor(
    readonly target: SshTarget,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class HostKeyMismatchError extends SshConnectError {
  constructor(
    target: SshTarget,
    readonly expected: string,
    readonly received: string,
  ) {
    super(
      target,
      `The host key of ${target.host}:${target.port} does not match the pinned one: expected ${expected}, ` +
        `received ${received}. The connection was refused before logging in. If the host was reinstalled or ` +
        `its key was changed on purpose, an admin must check the new fingerprint on the host ` +
        `(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and then re-pin this client.`,
    );
  }
}

export class SshAuthError extends SshConnectError {
  constructor(target: SshTarget, cause: unknown) {
    super(
      target,
      `The relay's key is not accepted by ${target.user}@${target.host}; install the relay's public key in ` +
        `~${target.user}/.ssh/authorized_keys.`,
      { cause },
    );
  }
}

export class SshUnreachableError extends SshConnectError {
  constructor(
    target: SshTarget,
    /** The socket error code: ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, ENOTFOUND, EAI_AGAIN, ECONNRESET... */
    readonly code: string,
    cause: unknown,
  ) {
    super(target, `${target.host}:${target.port} is unreachable (${code}): ${(cause as Error)?.message ?? cause}`, { cause });
  }
}

export class SshTimeoutError extends SshConnectError {
  constructor(target: SshTarget, what: string, cause?: unknown) {
    super(target, `${where(target)}: ${what}`, { cause });
  }
}

/** OpenSSH-style fingerprint of a host key blob: `SHA256:<base64 without padding>`. */
export function fingerprint(hostKeyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(hostKeyBlob).digest('base64').replace(/=+$/, '')}`;
}

type LeveledError = Error & { level?: string; code?: string };

/** Maps an ssh2 error (tagged with `level`, maybe a socket `code`) to a typed error. */
export function classifyConnectError(target: SshTarget, err: LeveledError, timeoutMs: number): SshConnectError {
  if (err instanceof SshConnectError) return err;
  if (err.level === 'client-authentication') return new SshAuthError(target, err);
  if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT') {
    return new SshTimeoutError(target, `no SSH session within ${timeoutMs} ms (${err.message})`, err);
  }
  if ((err.level === 'client-socket' || err.level === 'client-dns') && err.code) {
    return new SshUnreachableError(target, err.code, err);
  }
  // E.g. "Connection lost before handshake": something accepted the TCP connection
  // and closed it (a port that is not sshd, or sshd refusing early: MaxStartups).
  return new SshConnectError(target, `${where(target)}: SSH connection failed: ${err.message}`, { cause: err });
}

export function connectSsh(target: SshTarget, options: ConnectOptions): Promise<SshConnection> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    // exec() listens for 'close' once per running command; sshd allows 10 (MaxSessions).
    client.setMaxListeners(64);
    let seen: string | undefined;
    let mismatch: HostKeyMismatchError | undefined;
    let settled = false;
    let ending: Error | undefined;
    let resolveClosed!: (err: Error | undefined) => void;
    const closed = new Promise<Error | undefined>((r) => (resolveClosed = r));

    const fail = (err: LeveledError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.destroy();
      reject(mismatch ?? classifyConnectError(target, err, options.connectTimeoutMs));
    };

    // Our own timer rather than ssh2's readyTimeout: one clock covering DNS, TCP
    // connect, key exchange and authentication, and one error type for all of them.
    const timer = setTimeout(
      () => fail(new SshTimeoutError(target, `no SSH session within ${options.connectTimeoutMs} ms (host silent or too slow)`)),
      options.connectTimeoutMs,
    );

    // ssh2 emits 'error' for the whole life of the client; an EventEmitter 'error'
    // without a listener would crash the relay, so one listener stays attached.
    client.on('error', (err: LeveledError) => {
      if (!settled) return fail(err);
      ending ??= err; // after 'ready': e.g. "Keepalive timeout"; reported through `closed`
    });
    client.on('close', () => {
      if (!settled) fail(Object.assign(new Error('Connection closed before the SSH session was ready'), { level: 'protocol' }));
      resolveClosed(ending);
    });
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const conn: SshConnection = {
        target,
        hostKeyFingerprint: seen!,
        client,
        closed,
        exec: (command, execOptions) => exec(conn, command, execOptions),
        close: async () => {
          client.end();
          // end() waits for the peer's FIN; a frozen peer would never send it.
          const force = setTimeout(() => client.destroy(), 2000);
          await closed;
          clearTimeout(force);
        },
      };
      resolve(conn);
    });

    try {
      client.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        privateKey: options.privateKey,
        readyTimeout: 0, // disabled: our timer above covers the same span
        keepaliveInterval: options.keepaliveIntervalMs,
        keepaliveCountMax: options.keepaliveCountMax,
        // Never an agent, never a password: the relay's key or nothing.
        agent: undefined,
        tryKeyboard: false,
        hostVerifier: (key: Buffer) => {
          const received = fingerprint(key);
          seen ??= received;
          if (options.pinnedFingerprint === null) return seen === received; // TOFU; a key change mid-session is refused
          if (received === options.pinnedFingerprint) return true;
          // Returning false makes ssh2 abort the key exchange: nothing is authenticated, nothing runs.
          mismatch = new HostKeyMismatchError(target, options.pinnedFingerprint, received);
          return false;
        },
      });
    } catch (err) {
      // Synchronous throws: e.g. an unparsable private key.
      settled = true;
      clearTimeout(timer);
      reject(new SshConnectError(target, `${where(target)}: ${(err as Error).message}`, { cause: err }));
    }
  });
}
