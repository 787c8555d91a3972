/** `relay status`: what this relay is paired with, and whether the orchestrator answers. */
import { configPath, configDir, loadConfig } from '../config';

export async function status(out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    out(`not paired: ${(e as Error).message}`);
    return 1;
  }
  out(`relay: ${config.relayName} (id ${config.relayId})`);
  out(`orchestrator: ${config.url}`);
  out(`config: ${configPath(configDir())}`);
  out(`ssh key: ${config.sshKeyPath}`);
  out(`piped commands: ${config.allowPipedCommands ? 'allowed' : 'refused'}`);
  out(`hooks: ${config.allowHooks ? 'allowed' : 'refused'}`);
  try {
    const res = await fetch(new URL('/api/v1/ping', config.url), { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { version?: string };
    out(`orchestrator answers: ${res.status} (version ${body.version ?? '?'})`);
    return res.ok ? 0 : 1;
  } catch (e) {
    out(`orchestrator unreachable: ${(e as Error).message}`);
    return 1;
  }
}
