#!/usr/bin/env node
/**
 * Scheduler benchmark: one Cron Trigger tick with 10,000 due policies × 5 clients each, under
 * `wrangler dev` with local D1. Measures the time to create and queue every job, and the D1
 * queries the tick used (the Workers limit is 1,000 an invocation).
 *
 *   node bench/scheduler-tick.mjs [--policies 10000] [--clients 5] [--repositories 100]
 *
 * Steps: migrations into bench/.data/scheduler (gitignored); seed with recursive CTEs (one
 * every-minute schedule, ready repositories and clients, each policy with its own clients,
 * due one minute ago, rootfs with keep_daily so each client gets backup → catalog → prune and
 * each policy one compact); `npm start`'s script with that state (no local relay, no local
 * cron); one `GET /__scheduled` timed end to end (scheduled() is awaited, so the response
 * comes when the tick is done); the tick's own JSON log line (due, launched, jobs, queries,
 * batches); then the jobs counted in D1 with wrangler after stopping.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startSystem } from '../test/system/support/system.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { policies: { type: 'string', default: '10000' }, clients: { type: 'string', default: '5' }, repositories: { type: 'string', default: '100' }, port: { type: 'string', default: '8783' } } });
const P = Number(values.policies);
const C = Number(values.clients);
const R = Number(values.repositories);
const DATA = path.join(ROOT, 'bench', '.data', 'scheduler');
const WRANGLER = path.join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
const ENV = { ...process.env, CI: 'true', CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' };

function wrangler(args) {
  const r = spawnSync(process.execPath, [WRANGLER, ...args, '--persist-to', DATA], { cwd: ROOT, env: ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`wrangler ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

rmSync(DATA, { recursive: true, force: true });
mkdirSync(DATA, { recursive: true });
wrangler(['d1', 'migrations', 'apply', 'DB', '--local']);
const now = Date.now();
const due = now - 60_000;
const seed = `
INSERT INTO schedules (id, created, modified, name, crontab, timezone) VALUES (1, ${now}, ${now}, 'every minute', '* * * * *', 'UTC');
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${R})
INSERT INTO repositories (id, created, modified, name, path, relay_id, encryption, ready)
  SELECT n, ${now}, ${now}, printf('repo-%03d', n), printf('ssh://borg@storage.example.net/./repo-%03d', n), 1, 'none', 1 FROM seq;
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${P * C})
INSERT INTO clients (id, created, modified, hostname, relay_id, ready, borg_version)
  SELECT n, ${now}, ${now}, printf('host-%06d.example.net', n), 1, 1, '1.2.4' FROM seq;
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${P})
INSERT INTO policies (id, created, modified, name, type, schedule_id, repository_id, options, secrets, keep_daily, next_run)
  SELECT n, ${now}, ${now}, printf('policy-%05d', n), 'rootfs', 1, 1 + (n - 1) % ${R}, '{"excludes":[]}', '{}', 7, ${due} FROM seq;
INSERT INTO policy_clients (policy_id, client_id) SELECT (c.id - 1) / ${C} + 1, c.id FROM clients c;
`;
const seedFile = path.join(DATA, 'seed.sql');
writeFileSync(seedFile, seed);
const seedStart = Date.now();
wrangler(['d1', 'execute', 'DB', '--local', '--file', seedFile]);
const seedS = (Date.now() - seedStart) / 1000;

const system = await startSystem({ port: Number(values.port), stateDir: DATA, timeoutMs: 180_000 });
let wall;
let tickLog;
try {
  const t0 = performance.now();
  const res = await fetch(`${system.origin}/__scheduled?cron=${encodeURIComponent('* * * * *')}`, { signal: AbortSignal.timeout(600_000) });
  wall = (performance.now() - t0) / 1000;
  if (!res.ok) throw new Error(`/__scheduled: ${res.status} ${await res.text()}`);
  // The tick logs one JSON line; wait for it to be relayed.
  for (let i = 0; i < 50 && !tickLog; i++) {
    const m = /\{"level":"(?:info|warn)","msg":"scheduler tick".*\}/.exec(system.output());
    if (m) tickLog = JSON.parse(m[0]);
    else await new Promise((r) => setTimeout(r, 100));
  }
} finally {
  await system.stop({ keepState: true });
}
const counts = JSON.parse(wrangler(['d1', 'execute', 'DB', '--local', '--json', '--command', "SELECT type, count(*) AS n FROM jobs GROUP BY type ORDER BY type"]))[0].results;
// Policies the tick did not move past their seeded due time.
const stillDue = JSON.parse(wrangler(['d1', 'execute', 'DB', '--local', '--json', '--command', `SELECT count(*) AS n FROM policies WHERE next_run <= ${due}`]))[0].results[0].n;
const total = counts.reduce((n, r) => n + r.n, 0);
console.log(`\nScheduler tick, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), Node ${process.version}; seeded in ${seedS.toFixed(1)} s`);
console.table([
  {
    'due policies': P,
    'clients each': C,
    launched: tickLog?.launched,
    'jobs created': total,
    'by type': counts.map((r) => `${r.type} ${r.n}`).join(', '),
    'tick wall s': wall.toFixed(2),
    'jobs/s': Math.round(total / wall),
    'D1 queries': tickLog?.queries,
    'left due': stillDue,
  },
]);
console.log('per batch, ms (select due, claim, lookups of clients/busy/names/settings, plan in the Worker, write the jobs):');
console.table(tickLog?.timings ?? []);
