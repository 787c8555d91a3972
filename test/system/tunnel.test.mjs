/**
 * A behind-firewall client (push mode) reaches an SSH repository through the reverse tunnel
 * the relay holds for the job (ssh2 forwardIn), with real parts: wrangler dev, the relay
 * process, sshd, borg. The client's own ssh (its BORG_RSH, given to the session through
 * authorized_keys `environment=`) logs in to the repository host with the client's key; the
 * relay only carries the bytes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { launch, startBackupWorld } from './support/backup-world.mjs';

const PORT = 8785;
const PASSPHRASE = 'tunnel test passphrase';
const clientDir = mkdtempSync(path.join(os.tmpdir(), 'tunnel-client-'));
const clientKey = path.join(clientDir, 'id_ed25519');
const clientKnownHosts = path.join(clientDir, 'known_hosts');
let w;
let client;
let schedule;
let src;

before(async () => {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tunnel-test-client', '-f', clientKey]);
  w = await startBackupWorld({
    port: PORT,
    sessionEnv: { BORG_RSH: `ssh -i ${clientKey} -o BatchMode=yes -o UserKnownHostsFile=${clientKnownHosts} -o StrictHostKeyChecking=accept-new` },
  });
  // The client's key may log in to the repository host (the same sshd here).
  appendFileSync(path.join(w.sshd.dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
  const c = await w.api('POST', '/clients', { hostname: '127.0.0.1', port: w.sshd.port, ssh_user: w.sshd.user, relay: w.relayId, behind_firewall: true });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  client = c.body;
  schedule = (await w.api('POST', '/schedules', { name: 's', crontab: '0 3 1 1 *', timezone: 'UTC' })).body;
  src = path.join(w.root, 'src');
  mkdirSync(src);
  writeFileSync(path.join(src, 'tunneled.bin'), Buffer.alloc(200_000, 3));
});

after(async () => {
  await w?.stop();
  rmSync(clientDir, { recursive: true, force: true });
});

async function policyOn(repository) {
  const r = await w.api('POST', '/policies', { name: `p-${repository.id}`, type: 'folders', schedule: schedule.id, repository: repository.id, clients: [client.id], catalog_enabled: false, prune_enabled: false, options: { folders: [src] } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

test('the backup goes through the tunnel, and the client checks the real host key of the repository', async () => {
  const dir = path.join(w.root, 'repos', 'tunneled');
  const repository = (await w.api('POST', '/repositories', { name: 'tunneled', path: `ssh://${w.sshd.user}@127.0.0.1:${w.sshd.port}${dir}`, passphrase: PASSPHRASE, relay: w.relayId })).body;
  const jobs = await launch(w.api, (await policyOn(repository)).id);
  for (const j of jobs) assert.equal((await w.waitJob(j.id)).status, 'successful', `${j.type}: ${await w.stdoutText(j.id)}`);
  const backup = jobs.find((j) => j.type === 'backup');
  const text = await w.stdoutText(backup.id);
  assert.match(text, /behind a firewall: it reaches the repository through a tunnel held by the relay \(ssh:\/\/\S+@127\.0\.0\.1:\d+\//);
  const forwarded = Number(/Tunnel closed after (\d+) forwarded connection/.exec(text)[1]);
  assert.ok(forwarded >= 1, 'borg on the client connected through the tunnel');
  // The archive is in the repository, byte for byte.
  const name = (await w.job(backup.id)).archive_name;
  const out = path.join(w.root, 'extract');
  mkdirSync(out);
  execFileSync('borg', ['extract', `${dir}::${name}`], { cwd: out, env: { ...process.env, BORG_PASSPHRASE: PASSPHRASE, BORG_BASE_DIR: path.join(w.root, 'checker') } });
  assert.deepEqual(readFileSync(path.join(out, src.slice(1), 'tunneled.bin')), Buffer.alloc(200_000, 3));
  // The client's ssh recorded the repository's key under its real name (HostKeyAlias), not the tunnel's port.
  // (Debian hashes known_hosts names: look them up with ssh-keygen -F.)
  const lookup = (name) => spawnSync('ssh-keygen', ['-F', name, '-f', clientKnownHosts]).status === 0;
  const tunnelPort = /tunnel held by the relay \(ssh:\/\/\S+@127\.0\.0\.1:(\d+)\//.exec(text)[1];
  assert.ok(lookup(`[127.0.0.1]:${w.sshd.port}`), 'the key is known under the repository host');
  assert.ok(!lookup(`[127.0.0.1]:${tunnelPort}`), 'and not under the tunnel');
  assert.equal(readFileSync(clientKnownHosts, 'utf8').trim().split('\n').length, 1);
});

test('a behind-firewall client with a repository that is a path on the relay host fails, saying what to do', async () => {
  const repository = await w.repository('relay-local', PASSPHRASE);
  const jobs = await launch(w.api, (await policyOn(repository)).id);
  const backup = jobs.find((j) => j.type === 'backup');
  const done = await w.waitJob(backup.id);
  assert.equal(done.status, 'failed');
  assert.match(done.explanation, /behind a firewall.*path on the relay host/);
});
