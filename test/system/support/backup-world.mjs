/**
 * The real parts of a backup, for system tests: the Worker (wrangler dev, local D1 and
 * Durable Objects), a real OpenSSH sshd on 127.0.0.1 with its own host key, the relay CLI
 * paired through the API and running as its own process (`relay run`), borg from Debian.
 *
 * Everything goes through the public API, as a user would; borg is run directly only to
 * check what the jobs made (and only there is the passphrase put in an environment).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSshd } from '../../../relay/ssh/test-sshd.ts';
import { firstAdmin, ROOT, startSystem } from './system.mjs';
import { startProxy } from './tcp-proxy.mjs';

export const FINISHED = ['successful', 'failed', 'error', 'canceled', 'lost'];

/**
 * `proxy`: the relay reaches the Worker through a TCP proxy the test can cut (world.proxy).
 * `sshdConfig`: extra sshd_config lines.
 * `sessionEnv`: environment of every SSH session of the relay on the test host (e.g. a PATH
 * with stand-in tools first, or PGHOST/PGPORT), set for the relay's key only. Not sshd's
 * `SetEnv`: sshd uses only the first SetEnv line and test-sshd's own marker is that line, so a
 * second one is ignored (checked: its variables never arrive). `environment="…"` options on the
 * relay's authorized_keys line with `PermitUserEnvironment <those names>` do arrive, PATH
 * included (set after sshd's default PATH; the login shell's rc files may still prepend to it).
 */
export async function startBackupWorld(options) {
  // If starting fails half-way, stop what was started: a test must not leave a Worker behind.
  const cleanups = [];
  try {
    return await assembleWorld(options, cleanups);
  } catch (e) {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    throw e;
  }
}

async function assembleWorld({ port, relayEnv = {}, proxy: withProxy = false, sshdConfig = [], sessionEnv = {}, localCron = false }, cleanups) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'borg-world-'));
  const configDir = path.join(root, 'relay-config');
  const borgBase = path.join(root, 'borg-base');
  const relayLog = path.join(root, 'relay.log');
  mkdirSync(borgBase);
  cleanups.push(async () => rmSync(root, { recursive: true, force: true }));
  let system = await startSystem({ port, localCron });
  cleanups.push(() => system.stop());
  const envNames = Object.keys(sessionEnv);
  for (const [name, value] of Object.entries(sessionEnv)) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name) || /["\\\n]/.test(value)) throw new Error(`sessionEnv: cannot put ${name}=${JSON.stringify(value)} in authorized_keys`);
  }
  const sshd = await startSshd({ extraConfig: [...sshdConfig, ...(envNames.length ? [`PermitUserEnvironment ${envNames.join(',')}`] : [])] });
  cleanups.push(() => sshd.stop());
  const proxy = withProxy ? await startProxy(port) : null;
  if (proxy) cleanups.push(() => proxy.close());
  const api = await firstAdmin(system.origin, system.setupToken);

  const relay = await api('POST', '/relays', { name: 'lan' });
  if (relay.status !== 201) throw new Error(`POST /relays: ${relay.status} ${JSON.stringify(relay.body)}`);
  const paired = relayCli(configDir, ['pair', '--url', system.origin, '--token', relay.body.pairing.token]);
  if (paired.status !== 0) throw new Error(`relay pair: ${paired.stderr}`);
  const publicKey = /^ssh-ed25519 \S+ \S+$/m.exec(paired.stdout)[0];
  // The relay's key is what an admin installs on every host.
  const keyOptions = Object.entries(sessionEnv).map(([name, value]) => `environment="${name}=${value}"`).join(',');
  appendFileSync(path.join(sshd.dir, 'authorized_keys'), `${keyOptions ? `${keyOptions} ` : ''}${publicKey}\n`);

  const env = { ...process.env, RELAY_CONFIG_DIR: configDir, BORG_BASE_DIR: borgBase, RELAY_ALLOW_PIPED: '1', RELAY_ALLOW_HOOKS: '1', ...relayEnv };
  if (proxy) env.RELAY_URL = `http://localhost:${proxy.port}`;
  delete env.BORG_PASSPHRASE;
  let child = null;
  let exited = null;
  /** Starts `relay run`; `extraEnv` overrides the world's relay environment for this run only. */
  const startRelay = (extraEnv = {}) => {
    child = spawn(process.execPath, ['--import', 'tsx', 'relay/cli.ts', 'run'], { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const s of [child.stdout, child.stderr]) s.on('data', (c) => appendFileSync(relayLog, c));
    exited = new Promise((resolve) => child.once('exit', resolve));
  };
  const stopRelay = async (signal = 'SIGTERM') => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  startRelay();
  cleanups.push(() => stopRelay('SIGKILL'));
  await waitFor(async () => (await api('GET', `/relays/${relay.body.id}`)).body?.connected === true, 30_000, 'the relay to connect');

  const world = {
    root,
    get system() {
      return system;
    },
    sshd,
    proxy,
    api,
    relayId: relay.body.id,
    configDir,
    borgBase,
    relayLog: () => readFileSync(relayLog, 'utf8'),
    startRelay,
    stopRelay,
    relayPid: () => child?.pid,
    /** A client on the test sshd, prepared and ready. */
    async client(hostname = '127.0.0.1') {
      const c = await api('POST', '/clients', { hostname, port: sshd.port, ssh_user: sshd.user, relay: relay.body.id });
      if (c.status !== 201) throw new Error(`POST /clients: ${c.status} ${JSON.stringify(c.body)}`);
      return c.body;
    },
    async repository(name, passphrase, extra = {}) {
      const r = await api('POST', '/repositories', { name, path: path.join(root, 'repos', name), passphrase, relay: relay.body.id, ...extra });
      if (r.status !== 201) throw new Error(`POST /repositories: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
    async job(id) {
      return (await api('GET', `/jobs/${id}`)).body;
    },
    /** Waits until the job has ended; returns it. */
    async waitJob(id, timeoutMs = 120_000) {
      let job;
      await waitFor(async () => FINISHED.includes((job = await world.job(id)).status), timeoutMs, `job ${id} to end`);
      return job;
    },
    async stdout(id) {
      // The download streams every stored line (ndjson), however many.
      const r = await fetch(`${system.origin}/api/v1/jobs/${id}/stdout?format=json&download=1`, { headers: await world.authHeaders() });
      if (r.status !== 200) throw new Error(`stdout of job ${id}: ${r.status}`);
      return (await r.text()).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
    },
    async stdoutText(id) {
      return (await world.stdout(id)).map((l) => l.text).join('\n');
    },
    authHeaders: async () => {
      world.token ??= (await api('POST', '/tokens', { name: 'system test', scope: 'write' })).body.token;
      return { Authorization: `Bearer ${world.token}` };
    },
    /** borg run directly against a repository of this world, to check what jobs made. */
    borg(args, passphrase, input) {
      return execFileSync('borg', args, { env: { ...process.env, BORG_BASE_DIR: path.join(root, 'checker-borg-base'), BORG_PASSPHRASE: passphrase }, input, maxBuffer: 256 * 1024 * 1024 });
    },
    /** Stops the Worker and starts it again on the same port and state (D1, Durable Objects). */
    async restartWorker() {
      await system.stop({ keepState: true });
      system = await startSystem({ port, localCron, stateDir: system.stateDir });
    },
    async stop() {
      await stopRelay('SIGKILL');
      await proxy?.close();
      await sshd.stop();
      await system.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return world;
}

export function relayCli(configDir, args, input) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'relay/cli.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, RELAY_CONFIG_DIR: configDir },
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

export async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let hookPolicies = 0;
/**
 * A folders policy of one client whose pre_hook runs `hook` (the hook's output is the job's
 * log): how the fault and UI tests make a job print what they need. Catalog and prune are
 * off, so a launch is prepare → backup (→ compact).
 */
export async function hookPolicy(api, { schedule, repository, client, folder }, name, hook) {
  const r = await api('POST', '/policies', {
    name: `${name}-${++hookPolicies}`,
    type: 'folders',
    schedule,
    repository,
    clients: [client],
    catalog_enabled: false,
    prune_enabled: false,
    options: { folders: [folder] },
    pre_hook: hook,
  });
  if (r.status !== 201) throw new Error(`POST /policies: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Launches a policy; returns the created jobs by type. */
export async function launch(api, policyId) {
  const r = await api('POST', `/policies/${policyId}/launch`);
  if (r.status !== 201) throw new Error(`launch: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.jobs;
}
