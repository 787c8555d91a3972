/**
 * `relay pair --url <orchestrator> --token <pairing token>`: generates the relay's
 * sealing key pair (and an ed25519 SSH key if none exists), exchanges the one-time
 * pairing token for the relay's credential, writes the config, and prints the SSH
 * public key to install on the hosts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';
import { generateSealingKeyPair } from '../../shared/sealed';
import { configDir, saveConfig } from '../config';
import { RELAY_VERSION } from '../version';

export interface PairOptions {
  url: string;
  token: string;
  dir?: string;
  out?: (line: string) => void;
}

/** Creates the relay's SSH key unless one exists; returns the public key line. */
export function ensureSshKey(keyPath: string): string {
  if (!existsSync(keyPath)) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'borg-orchestrator-relay' });
    mkdirSync(path.dirname(keyPath), { recursive: true, mode: 0o700 });
    writeFileSync(keyPath, pair.private, { mode: 0o600 });
    writeFileSync(`${keyPath}.pub`, pair.public + '\n', { mode: 0o644 });
  }
  return readFileSync(`${keyPath}.pub`, 'utf8').trim();
}

export async function pair(options: PairOptions): Promise<{ relayId: number; configFile: string; sshPublicKey: string }> {
  const out = options.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const dir = options.dir ?? configDir();
  const base = new URL(options.url);
  if (base.protocol !== 'https:' && !['localhost', '127.0.0.1', '[::1]'].includes(base.hostname)) {
    throw new Error('Pair over https (plain http is accepted only for localhost).');
  }
  const sealing = await generateSealingKeyPair();
  const res = await fetch(new URL('/api/v1/relays/pair', base), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token: options.token, public_key: sealing.publicKey, version: RELAY_VERSION }),
  });
  const body = (await res.json().catch(() => null)) as { relay?: { id: number; name: string }; credential?: string; error?: { message: string } } | null;
  if (!res.ok || !body?.relay || !body.credential) {
    throw new Error(`Pairing refused (${res.status}): ${body?.error?.message ?? 'no answer'}${res.status === 404 ? ' The token is unknown, used or expired: ask an admin for a new one.' : ''}`);
  }
  const sshKeyPath = path.join(dir, 'id_ed25519');
  const sshPublicKey = ensureSshKey(sshKeyPath);
  const configFile = saveConfig(
    {
      url: base.origin,
      relayId: body.relay.id,
      relayName: body.relay.name,
      credential: body.credential,
      sealing,
      sshKeyPath,
      allowPipedCommands: false,
      allowHooks: false,
      spoolDir: path.join(dir, 'spool'),
      spoolMaxBytes: 256 * 1024 * 1024,
    },
    dir,
  );
  out(`Paired as relay "${body.relay.name}" (id ${body.relay.id}); config written to ${configFile}.`);
  out('Install this SSH public key for the backup user on every host this relay backs up (~/.ssh/authorized_keys):');
  out(sshPublicKey);
  return { relayId: body.relay.id, configFile, sshPublicKey };
}
