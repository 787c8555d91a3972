/**
 * `relay run`: the daemon. Connects out to the orchestrator and runs the jobs it is given
 * until SIGTERM/SIGINT, then closes the socket politely. Jobs still running at that moment
 * are reported by the next process's hello (their spool survives): the edge marks them lost.
 * Logs are JSON lines on stdout, without secrets (only ids, kinds, statuses, messages).
 */
import path from 'node:path';
import { configDir, loadConfig } from '../config';
import { BorgJobRunner } from '../daemon/runner';
import { RelaySession } from '../daemon/session';
import { Spool } from '../daemon/spool';
import { RELAY_VERSION } from '../version';

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const config = loadConfig(env);
  const runner = new BorgJobRunner({
    sshKeyPath: config.sshKeyPath,
    knownHostsPath: path.join(configDir(env), 'known_hosts'),
    sealingPrivateKey: config.sealing.privateKey,
    allowPipedCommands: config.allowPipedCommands,
    allowHooks: config.allowHooks,
  });
  const session = new RelaySession({
    url: config.url,
    credential: config.credential,
    version: RELAY_VERSION,
    spool: new Spool(config.spoolDir, config.spoolMaxBytes),
    runner,
    heartbeatMs: env.RELAY_HEARTBEAT_MS ? Number(env.RELAY_HEARTBEAT_MS) : undefined,
  });
  session.start();
  const log = (e: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
  log({ level: 'info', msg: 'relay started', relay: config.relayName, id: config.relayId, url: config.url, version: RELAY_VERSION, pipedCommands: config.allowPipedCommands, hooks: config.allowHooks });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log({ level: 'info', msg: 'stopping', signal });
      void session.stop().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
