/**
 * connectSsh against a real OpenSSH sshd on 127.0.0.1 (see test-sshd.ts): host key
 * pinning, and the typed errors for each way a connection fails.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { commandLine } from '../../shared/shell-quote';
import {
  classifyConnectError,
  connectSsh,
  HostKeyMismatchError,
  SshAuthError,
  SshConnectError,
  SshTimeoutError,
  SshUnreachableError,
  type ConnectOptions,
  type SshTarget,
} from './connect';
import { SshConnectionLostError } from './exec';
import { freePort, startSshd, type TestSshd } from './test-sshd';

let sshd: TestSshd;
let target: SshTarget;
let options: ConnectOptions;

before(async () => {
  sshd = await startSshd();
  target = { host: sshd.host, port: sshd.port, user: sshd.user };
  options = { privateKey: sshd.clientKey.privateKey, pinnedFingerprint: null, connectTimeoutMs: 5000, keepaliveIntervalMs: 0, keepaliveCountMax: 3 };
});
after(() => sshd?.stop());

/** A TCP server on 127.0.0.1 that does `onSocket` with each connection. */
async function localServer(onSocket: (socket: net.Socket) => void) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

describe('host key pinning', () => {
  it('trusts on first use and reports the fingerprint ssh-keygen -lf shows', async () => {
    const conn = await connectSsh(target, options);
    try {
      // "256 SHA256:... comment (ED25519)"
      const expected = execFileSync('ssh-keygen', ['-lf', sshd.hostKeyPub], { encoding: 'utf8' }).split(' ')[1];
      assert.match(expected ?? '', /^SHA256:[A-Za-z0-9+/]{43}$/);
      assert.equal(conn.hostKeyFingerprint, expected);
    } finally {
      await conn.close();
    }
  });

  it('connects with the matching pin and runs a command', async () => {
    const first = await connectSsh(target, options);
    await first.close();
    const conn = await connectSsh(target, { ...options, pinnedFingerprint: first.hostKeyFingerprint });
    try {
      const out: Buffer[] = [];
      const result = await conn.exec(commandLine(['echo', 'pinned ok']), { onStdout: (c) => out.push(c) });
      assert.equal(result.exitCode, 0);
      assert.equal(Buffer.concat(out).toString(), 'pinned ok\n');
    } finally {
      await conn.close();
    }
  });

  it('refuses a different host key before logging in: HostKeyMismatchError, and the command never runs', async () => {
    const marker = path.join(sshd.dir, 'must-not-exist');
    const pin = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const logins = () => sshd.log().split('Accepted publickey').length;
    const before = logins();
    let ran = false;
    await assert.rejects(
      connectSsh(target, { ...options, pinnedFingerprint: pin }).then((conn) => {
        ran = true;
        return conn.exec(commandLine(['touch', marker]));
      }),
      (err: unknown) => {
        assert.ok(err instanceof HostKeyMismatchError, String(err));
        assert.ok(err instanceof SshConnectError);
        assert.equal(err.expected, pin);
        assert.match(err.received, /^SHA256:/);
        assert.ok(err.message.includes(pin) && err.message.includes(err.received), err.message);
        assert.match(err.message, /admin must check .* re-pin this client/);
        return true;
      },
    );
    assert.equal(ran, false);
    assert.equal(existsSync(marker), false);
    assert.equal(logins(), before, 'sshd saw no login');
  });
});

describe('connection failures are typed', () => {
  it('a key the host does not accept: SshAuthError saying where to install the key', async () => {
    const stranger = ssh2.utils.generateKeyPairSync('ed25519');
    await assert.rejects(connectSsh(target, { ...options, privateKey: stranger.private }), (err: unknown) => {
      assert.ok(err instanceof SshAuthError, String(err));
      assert.equal(
        err.message,
        `The relay's key is not accepted by ${sshd.user}@127.0.0.1; install the relay's public key in ~${sshd.user}/.ssh/authorized_keys.`,
      );
      return true;
    });
  });

  it('a closed port: SshUnreachableError with ECONNREFUSED', async () => {
    const port = await freePort(); // nothing listens there now
    await assert.rejects(connectSsh({ ...target, port }, options), (err: unknown) => {
      assert.ok(err instanceof SshUnreachableError, String(err));
      assert.equal(err.code, 'ECONNREFUSED');
      assert.match(err.message, /unreachable \(ECONNREFUSED\)/);
      return true;
    });
  });

  it('DNS and routing errors map to SshUnreachableError with their code (classification only: no lookups leave the host)', () => {
    for (const code of ['ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']) {
      const err = classifyConnectError(target, Object.assign(new Error(`getaddrinfo ${code} x`), { level: 'client-socket', code }), 1000);
      assert.ok(err instanceof SshUnreachableError);
      assert.equal(err.code, code);
    }
  });

  it('a host that accepts TCP and never speaks: SshTimeoutError within the bound', async () => {
    const silent = await localServer(() => {});
    try {
      const started = Date.now();
      await assert.rejects(connectSsh({ ...target, port: silent.port }, { ...options, connectTimeoutMs: 1000 }), SshTimeoutError);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 900 && elapsed < 3000, `timed out after ${elapsed} ms`);
    } finally {
      await silent.close();
    }
  });

  it('a service that hangs up at once: SshConnectError, not a hang', async () => {
    const rude = await localServer((socket) => socket.destroy());
    try {
      await assert.rejects(connectSsh({ ...target, port: rude.port }, options), (err: unknown) => {
        assert.ok(err instanceof SshConnectError, String(err));
        return true;
      });
    } finally {
      await rude.close();
    }
  });

  it('an unparsable private key: SshConnectError at once', async () => {
    await assert.rejects(connectSsh(target, { ...options, privateKey: 'not a key' }), SshConnectError);
  });
});

describe('keepalive', () => {
  it('notices a peer that stops answering, and the running command fails as lost', async () => {
    // A proxy to sshd that can freeze: it stops forwarding but keeps the sockets open,
    // like a host that lost power or a NAT that dropped the flow.
    let frozen = false;
    const proxy = await localServer((client) => {
      const upstream = net.connect({ host: '127.0.0.1', port: sshd.port });
      upstream.on('error', () => {});
      client.on('data', (d) => frozen || upstream.write(d));
      upstream.on('data', (d) => frozen || client.write(d));
      client.on('close', () => upstream.destroy());
    });
    try {
      const conn = await connectSsh({ ...target, port: proxy.port }, { ...options, keepaliveIntervalMs: 200, keepaliveCountMax: 2 });
      const running = conn.exec(commandLine(['sleep', '30']));
      await new Promise((r) => setTimeout(r, 300));
      frozen = true;
      const started = Date.now();
      const ended = await conn.closed;
      const elapsed = Date.now() - started;
      assert.match(String(ended?.message), /Keepalive timeout/);
      assert.ok(elapsed < 2000, `noticed after ${elapsed} ms`);
      await assert.rejects(running, SshConnectionLostError);
    } finally {
      await proxy.close();
    }
  });
});
