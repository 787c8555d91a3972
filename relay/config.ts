/**
 * The relay's configuration: a JSON file written by `relay pair` (mode 0600: it holds
 * the relay credential and the private sealing key), with environment overrides.
 *
 * Location: $RELAY_CONFIG_DIR, else $XDG_CONFIG_HOME/borg-orchestrator-relay, else
 * ~/.config/borg-orchestrator-relay. The SSH key pair lives beside it (id_ed25519).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export const configSchema = z.object({
  /** Base URL of the orchestrator (the Worker). */
  url: z.string().url(),
  relayId: z.number().int().positive(),
  relayName: z.string(),
  /** Bearer credential for /relay/connect (`br_…`). */
  credential: z.string().regex(/^br_\d+_[A-Za-z0-9_-]{43}$/),
  sealing: z.object({ publicKey: z.string(), privateKey: z.string() }),
  /** Path of the OpenSSH private key the relay logs in to hosts with. */
  sshKeyPath: z.string(),
  /** Whether policies of type `piped` may run their command (off unless the operator says so). */
  allowPipedCommands: z.boolean().default(false),
  /** Whether policies' pre/post hooks (free-form commands) may run (off unless the operator says so). */
  allowHooks: z.boolean().default(false),
  /** Where unacknowledged log frames are kept across restarts, and its bound. */
  spoolDir: z.string(),
  spoolMaxBytes: z.number().int().positive().default(256 * 1024 * 1024),
});
export type RelayConfig = z.infer<typeof configSchema>;

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RELAY_CONFIG_DIR) return path.resolve(env.RELAY_CONFIG_DIR);
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'borg-orchestrator-relay');
}

export const configPath = (dir = configDir()) => path.join(dir, 'config.json');

/** Reads the config, then applies RELAY_URL / RELAY_ALLOW_PIPED / RELAY_ALLOW_HOOKS overrides. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const file = configPath(configDir(env));
  if (!existsSync(file)) throw new Error(`No relay config at ${file}: run \`relay pair --url <orchestrator> --token <pairing token>\` first.`);
  const parsed = configSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`Invalid relay config ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const config = parsed.data;
  if (env.RELAY_URL) config.url = env.RELAY_URL;
  if (env.RELAY_ALLOW_PIPED !== undefined) config.allowPipedCommands = env.RELAY_ALLOW_PIPED === 'true' || env.RELAY_ALLOW_PIPED === '1';
  if (env.RELAY_ALLOW_HOOKS !== undefined) config.allowHooks = env.RELAY_ALLOW_HOOKS === 'true' || env.RELAY_ALLOW_HOOKS === '1';
  return config;
}

/** Writes the config atomically with mode 0600. */
export function saveConfig(config: RelayConfig, dir = configDir()): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = configPath(dir);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}
