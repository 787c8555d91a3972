#!/usr/bin/env node
/**
 * Overhead benchmark: a `borg create` of 1 GiB launched through the whole system (API →
 * TaskManager → relay → SSH → borg, output streamed back) against the same borg command run
 * directly with OpenSSH's `ssh`, alternating, each into a fresh repository (so neither run
 * deduplicates against the other). Also the time from the launch request to the remote
 * process having started (a pre_hook printing the host's clock, same machine).
 *
 *   node --import tsx bench/overhead.mjs [--mib 1024] [--rounds 2]
 *
 * Prints a table; docs/benchmarks.md keeps the latest numbers.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launch, startBackupWorld } from '../test/system/support/backup-world.mjs';

const { values } = parseArgs({ options: { mib: { type: 'string', default: '1024' }, rounds: { type: 'string', default: '2' }, port: { type: 'string', default: '8788' } } });
const MIB = Number(values.mib);
const ROUNDS = Number(values.rounds);
const PASSPHRASE = 'overhead benchmark passphrase';

const w = await startBackupWorld({ port: Number(values.port) });
const rows = [];
try {
  const src = path.join(w.root, 'data');
  mkdirSync(src);
  // Incompressible data, so lz4 and deduplication do not shortcut the work.
  execFileSync('sh', ['-c', `head -c ${MIB}M /dev/urandom > '${src}/random.bin'`]);
  const client = await w.client();
  // The client is prepared first (not timed): otherwise the first launch carries its prepare job.
  await w.waitJob((await w.api('POST', `/clients/${client.id}/prepare`)).body.job.id);
  const schedule = (await w.api('POST', '/schedules', { name: 'bench', crontab: '0 3 1 1 *', timezone: 'UTC' })).body;
  const key = path.join(w.configDir, 'id_ed25519');
  const known = path.join(w.root, 'known_hosts');

  for (let round = 1; round <= ROUNDS; round++) {
    // Through the system: a fresh repository, prepared by its own job first (not timed).
    const repo = await w.repository(`sys-${round}`, PASSPHRASE);
    const policy = (
      await w.api('POST', '/policies', {
        name: `bench-${round}`,
        type: 'folders',
        schedule: schedule.id,
        repository: repo.id,
        clients: [client.id],
        catalog_enabled: false,
        prune_enabled: false,
        options: { folders: [src] },
        pre_hook: 'echo "remote-start $(date +%s%3N)"',
      })
    ).body;
    const prepare = (await w.api('POST', `/repositories/${repo.id}/prepare`)).body.job;
    await w.waitJob(prepare.id);
    const t0 = Date.now();
    const jobs = await launch(w.api, policy.id);
    const backup = jobs.find((j) => j.type === 'backup');
    const done = await w.waitJob(backup.id, 900_000);
    const t1 = Date.now();
    if (done.status !== 'successful') throw new Error(`backup failed: ${done.explanation}`);
    const started = Number(/remote-start (\d+)/.exec(await w.stdoutText(backup.id))[1]);
    // The job's own end as recorded by the edge (finish received), not when this poll saw it.
    const system = (Date.parse(done.finished) - t0) / 1000;
    void t1;

    // Directly: the same borg create over OpenSSH (passphrase on stdin, like the relay).
    const direct = path.join(w.root, 'repos', `direct-${round}`);
    const env = { ...process.env, BORG_PASSPHRASE: PASSPHRASE, BORG_BASE_DIR: path.join(w.root, 'direct-borg') };
    execFileSync('borg', ['init', '--encryption=repokey-blake2', '--make-parent-dirs', direct], { env });
    const script = `IFS= read -r BORG_PASSPHRASE; export BORG_PASSPHRASE; cd / && borg create --log-json --json --progress --compression=lz4 '${direct}::direct' '${src}'`;
    const d0 = Date.now();
    const r = spawnSync('ssh', ['-i', key, '-p', String(w.sshd.port), '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${known}`, '-o', 'StrictHostKeyChecking=accept-new', `${w.sshd.user}@127.0.0.1`, script], {
      input: `${PASSPHRASE}\n`,
      maxBuffer: 256 * 1024 * 1024,
    });
    const directS = (Date.now() - d0) / 1000;
    if (r.status !== 0) throw new Error(`direct borg create failed: ${r.stderr}`);
    rows.push({
      round,
      MiB: MIB,
      'system s (launch → job ended)': system.toFixed(2),
      'direct ssh s': directS.toFixed(2),
      ratio: (system / directS).toFixed(3),
      'launch → remote start ms': started - t0,
      'launch → lease (running) ms': Date.parse(done.started) - t0,
      'job elapsed s (relay)': (done.elapsed_ms / 1000).toFixed(2),
    });
  }
} finally {
  await w.stop();
}
console.log(`\nOverhead, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), Node ${process.version}, borg ${execFileSync('borg', ['--version']).toString().trim()}`);
console.table(rows);
const sum = (k) => rows.reduce((n, r) => n + Number(r[k]), 0);
console.log(`all rounds: system ${sum('system s (launch → job ended)').toFixed(2)} s / direct ${sum('direct ssh s').toFixed(2)} s = ratio ${(sum('system s (launch → job ended)') / sum('direct ssh s')).toFixed(3)}`);
