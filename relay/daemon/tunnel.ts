/**
 * The reverse tunnel of a behind-firewall client (push mode): the client has no route to
 * the repository host, but the relay has one, and an SSH connection to the client. For the
 * job, the relay asks the client's sshd to listen on 127.0.0.1:<random port> there
 * (ssh2 `forwardIn`, OpenSSH's `ssh -R`); each connection made to it comes back over the SSH
 * connection, and the relay connects it to the repository's SSH port. The client's borg is
 * given the repository as `ssh://user@127.0.0.1:<port>/path`, with
 *  - `HostKeyAlias` = the real repository host, so the client's known_hosts still checks
 *    the repository's real host key (not "whatever answers on 127.0.0.1");
 *  - `BORG_RELOCATED_REPO_ACCESS_IS_OK=yes`: the port changes each job; borg still checks
 *    the repository id and key, only the location it remembers differs.
 * The listener exists for the job's duration and only on the client's loopback (sshd's
 * default `GatewayPorts no`).
 */
import net from 'node:net';
import type { ClientChannel } from 'ssh2';
import { parseRepositoryPath } from '../../shared/hosts';
import { ScriptError } from '../borg/remote-script';
import type { SshConnection } from '../ssh/connect';

export interface Tunnel {
  /** The repository location as the client reaches it through the tunnel. */
  location: string;
  /** For the client's ssh: the name its known_hosts knows the repository host by. */
  hostKeyAlias: string;
  /** Connections forwarded so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** `ssh://` path for borg 1.2: absolute as is, `~/…` home-relative, anything else relative to the login directory. */
function urlPath(path: string): string {
  if (path.startsWith('/')) return path;
  if (path.startsWith('~')) return `/${path}`;
  return `/./${path}`;
}

export async function openTunnel(conn: SshConnection, repositoryLocation: string): Promise<Tunnel> {
  const parsed = parseRepositoryPath(repositoryLocation);
  if (typeof parsed === 'string') throw new ScriptError(`The repository location is not valid: ${parsed}`);
  if (parsed.kind === 'local') {
    throw new ScriptError(
      'This client is behind a firewall, and its repository is a path on the relay host: give the repository as user@host:/path (the relay host\'s SSH) so the client can reach it through the tunnel.',
    );
  }
  const target = { host: parsed.host, port: parsed.port ?? 22 };
  const port = await new Promise<number>((resolve, reject) =>
    conn.client.forwardIn('127.0.0.1', 0, (err, bound) => (err ? reject(new Error(`The client's sshd refused the reverse tunnel (AllowTcpForwarding?): ${err.message}`)) : resolve(bound))),
  );
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const onConnection = (info: { destPort: number }, accept: () => ClientChannel, reject: () => void) => {
    if (info.destPort !== port) return reject();
    const channel = accept();
    connections++;
    const socket = net.connect(target.port, target.host);
    sockets.add(socket);
    const close = () => {
      sockets.delete(socket);
      socket.destroy();
      channel.close();
    };
    socket.on('error', close).on('close', close);
    channel.on('error', close).on('close', close);
    socket.pipe(channel).pipe(socket);
  };
  conn.client.on('tcp connection', onConnection);
  const user = parsed.user ? `${parsed.user}@` : '';
  return {
    location: `ssh://${user}127.0.0.1:${port}${urlPath(parsed.path)}`,
    hostKeyAlias: target.port === 22 ? target.host : `[${target.host}]:${target.port}`,
    get connections() {
      return connections;
    },
    close: async () => {
      conn.client.off('tcp connection', onConnection);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => {
        try {
          conn.client.unforwardIn('127.0.0.1', port, () => resolve());
        } catch {
          resolve(); // the connection is already gone, and the listener with it
        }
      });
    },
  };
}
