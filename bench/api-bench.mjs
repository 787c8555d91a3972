#!/usr/bin/env node
/**
 * API benchmark: GET /api/v1/jobs and GET /api/v1/stats under `wrangler dev` with a
 * local D1 holding 100 clients, 1,000 policies and 1,000,000 jobs.
 *
 *   npm run bench                         fresh database in bench/.data, then measure
 *   npm run bench -- --reuse              keep an already seeded bench/.data (no seeding,
 *                                         no "before ANALYZE" numbers)
 *   npm run bench -- --n=200 --warmup=20 --chunk=100000 --blocks
 *
 * Steps
 *  1. migrations into a throwaway persist dir (bench/.data, gitignored);
 *  2. seed inside SQLite with recursive CTEs (bench/seed.mjs); EXPLAIN QUERY PLAN and
 *     SQL timing of every query before ANALYZE; ANALYZE;
 *  3. `wrangler dev` on port 8797 with a bench-only APP_SECRET (--var), an API token
 *     whose HMAC was inserted by SQL;
 *  4. sequential HTTP requests timed with performance.now(): warm-up rounds, then N
 *     rounds; a round requests every scenario once (interleaved, so load from other
 *     processes on the machine hits every scenario alike; --blocks runs N in a row per
 *     scenario instead). CPU used by other processes meanwhile is measured and printed;
 *  5. stop wrangler dev (kill its process group; check nothing is left), then the same
 *     SQL alone on the same local D1 (through Miniflare, as `wrangler d1 execute --local`
 *     does): the result meta gives the time SQLite spent on each statement (no process
 *     start-up, no HTTP) and rows_read; plus what-ifs for the fixes suggested in
 *     docs/benchmarks.md (on the bench database only).
 *
 * Not a test: nothing asserts a latency. Results are printed and written to
 * bench/.data/results.json; docs/benchmarks.md records a run. The project's .dev.vars
 * and .wrangler/ are not used.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Miniflare } from 'miniflare';
import { API_TOKEN, APP_SECRET, CLIENTS, DAY_MS, JOBS, POLICIES, baseSql, jobsSql, splitterSafe } from './seed.mjs';

const T0 = performance.now();
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = 'bench/.data';
const PORT = 8797;
const BASE = `http://127.0.0.1:${PORT}`;

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);
const N = Number(args.n ?? 200);
const WARMUP = Number(args.warmup ?? 20);
const CHUNK = Number(args.chunk ?? 100_000);
const REUSE = Boolean(args.reuse);
const BLOCKS = Boolean(args.blocks);
/** Skip wrangler dev and the HTTP part (with --reuse: only the SQL tables). */
const SQL_ONLY = Boolean(args['sql-only']);
/** Rows deep for the "deep page" scenario, reached by walking `next` links with page_size=500. */
const DEEP_ROWS = Number(args.deep ?? 100_000);
const PROBE_CLIENT = 7;
/** Each SQL statement runs this many times in one batch: the first run, then the median of the rest. */
const REPS = 7;

const env = {
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_METRICS: 'false',
  CI: 'true',
  NO_COLOR: '1',
  FORCE_COLOR: '0',
};

if (!/^bo_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}$/.test(API_TOKEN)) throw new Error('bench token does not match the API token format');

const fmt = (x) => (typeof x !== 'number' ? String(x) : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const log = (...a) => console.log(`[bench ${fmt((performance.now() - T0) / 1000).padStart(6)}s]`, ...a);
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function wrangler(argv) {
  const r = spawnSync('npx', ['wrangler', ...argv], { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`wrangler ${argv.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Runs SQL through `wrangler d1 execute --local` (one D1 batch); returns each statement's result. */
function d1(sqlOrFile, { file = false } = {}) {
  const argv = ['d1', 'execute', 'DB', '--local', '--persist-to', DATA, '--json', file ? '--file' : '--command', file ? sqlOrFile : splitterSafe(sqlOrFile)];
  return JSON.parse(wrangler(argv));
}

const rowsOf = (r) => (r.results.length === 1 && 'n' in r.results[0] ? `n=${r.results[0].n}` : `${r.results.length} rows`);
const planOf = (r) => r.results.map((x) => x.detail).join(' → ');
const timing = (rs) => {
  const d = rs.map((r) => r.meta.duration);
  return { firstMs: d[0], medianMs: median(d.slice(1)), maxMs: Math.max(...d.slice(1)), rows: rowsOf(rs[0]), rowsRead: rs[0].meta.rows_read };
};

/** The local D1 database id, as wrangler derives it (preview id, else id) from wrangler.toml. */
function databaseId() {
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const block = toml.slice(toml.indexOf('[[d1_databases]]'));
  return (/^preview_database_id\s*=\s*"([^"]+)"/m.exec(block) ?? /^database_id\s*=\s*"([^"]+)"/m.exec(block))[1];
}

/**
 * Runs `setup`, then EXPLAIN QUERY PLAN and REPS timed runs of each query, then `teardown`,
 * as one D1 batch on the bench database. This uses Miniflare directly, exactly as
 * `wrangler d1 execute --local` does (wrangler's own dependency), because its result meta
 * has rows_read (what D1 bills) besides duration, which the wrangler CLI drops.
 * Returns one row per query.
 */
async function timeQueries(list, { setup = [], teardown = [] } = {}) {
  const statements = [...setup, ...list.map(([, q]) => `EXPLAIN QUERY PLAN ${q}`), ...list.flatMap(([, q]) => Array(REPS).fill(q)), ...teardown];
  const mf = new Miniflare({ modules: true, script: '', d1Persist: join(ROOT, DATA, 'v3', 'd1'), d1Databases: { DATABASE: databaseId() } });
  let res;
  try {
    const db = await mf.getD1Database('DATABASE');
    res = await db.batch(statements.map((q) => db.prepare(q)));
  } finally {
    await mf.dispose();
  }
  const setupRes = res.slice(0, setup.length);
  const plans = res.slice(setup.length, setup.length + list.length);
  const runs = res.slice(setup.length + list.length);
  return {
    setupMs: setupRes.map((r) => r.meta.duration),
    rows: list.map(([name, sql], i) => ({ name, sql, plan: planOf(plans[i]), ...timing(runs.slice(i * REPS, (i + 1) * REPS)) })),
  };
}

// ---------------------------------------------------------------------------
// The SQL behind each scenario. The list route runs `page` and `count` as one D1 batch
// (worker/http/pagination.ts); these are the statements drizzle builds, values inlined.
// ---------------------------------------------------------------------------
/** Ids are 1..JOBS in creation order, so after the walk (whole pages of 500) the deep page starts below this id. */
const deepId = JOBS - Math.ceil(DEEP_ROWS / 500) * 500 + 1;
const since = (Math.floor(Date.now() / DAY_MS) - 30 + 1) * DAY_MS;
const page = (where, limit = 51) => `SELECT * FROM jobs ${where ? `WHERE ${where} ` : ''}ORDER BY id DESC LIMIT ${limit}`;
const cnt = (where) => `SELECT count(*) AS n FROM jobs${where ? ` WHERE ${where}` : ''}`;
const cappedCount = (where) => `SELECT count(*) AS n FROM (SELECT 1 FROM jobs${where ? ` WHERE ${where}` : ''} LIMIT 10001)`;
const STATUS_CLIENT = `status = 'successful' AND client_id = ${PROBE_CLIENT}`;
const STATS_SQL =
  `SELECT finished / ${DAY_MS} AS day, sum(status = 'successful') AS ok, sum(status IN ('failed', 'error', 'lost')) AS bad, ` +
  `sum(CASE WHEN status = 'successful' THEN original_size END) AS orig, sum(CASE WHEN status = 'successful' THEN deduplicated_size END) AS dedup ` +
  `FROM jobs WHERE finished >= ${since} AND type = 'backup' GROUP BY day`;
const queries = [
  ['(a) page', page('')],
  ['(a) page, page_size=500', page('', 501)],
  ['(a)(b) count, no filter', cnt('')],
  ['(b) page, deep', page(`id < ${deepId}`)],
  ['(c) page status=failed', page("status = 'failed'")],
  ['(c) count status=failed', cnt("status = 'failed'")],
  ['(c) page status=successful', page("status = 'successful'")],
  ['(c) count status=successful', cnt("status = 'successful'")],
  ['(d) page client', page(`client_id = ${PROBE_CLIENT}`)],
  ['(d) count client', cnt(`client_id = ${PROBE_CLIENT}`)],
  ['(e) page status+client', page(STATUS_CLIENT)],
  ['(e) count status+client', cnt(STATUS_CLIENT)],
  ['(f) stats', STATS_SQL],
];
const STATS_IDX = 'CREATE INDEX bench_jobs_type_finished_idx ON jobs (type, finished, status, original_size, deduplicated_size)';

const git = (...a) => spawnSync('git', a, { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
const results = {
  started: new Date().toISOString(),
  n: N,
  warmup: WARMUP,
  interleaved: !BLOCKS,
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
  // What was measured: wrangler dev bundles the working tree, so uncommitted edits count too.
  git: { head: git('rev-parse', '--short', 'HEAD'), dirty: git('diff', 'HEAD', '--name-only', '--', 'worker', 'shared', 'migrations', 'wrangler.toml').split('\n').filter(Boolean) },
};

// ---------------------------------------------------------------------------
// 1–2. Database: migrations, seed, plans and timing before ANALYZE, ANALYZE
// ---------------------------------------------------------------------------
if (REUSE && existsSync(join(ROOT, DATA, 'v3', 'd1'))) {
  const [r] = d1('SELECT count(*) AS n FROM jobs');
  log(`reusing ${DATA}: ${r.results[0].n} jobs`);
  results.seed = { reused: true };
} else {
  rmSync(join(ROOT, DATA), { recursive: true, force: true });
  mkdirSync(join(ROOT, DATA, 'sql'), { recursive: true });
  let t = performance.now();
  wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', DATA]);
  log(`migrations applied in ${fmt(performance.now() - t)} ms`);

  const now = Date.now();
  const baseFile = join(DATA, 'sql', 'base.sql');
  writeFileSync(join(ROOT, baseFile), baseSql(now));
  t = performance.now();
  d1(baseFile, { file: true });
  const baseMs = performance.now() - t;
  log(`user, token, schedule, repository, ${CLIENTS} clients, ${POLICIES} policies seeded in ${fmt(baseMs)} ms`);

  // All chunks in one file: wrangler runs a file as one D1 batch (one transaction) and
  // reports each statement's SQLite time, so the cost per chunk is visible.
  const chunks = [];
  for (let from = 1; from <= JOBS; from += CHUNK) chunks.push(jobsSql(from, Math.min(JOBS, from + CHUNK - 1), now));
  const jobsFile = join(DATA, 'sql', 'jobs.sql');
  writeFileSync(join(ROOT, jobsFile), chunks.join('\n'));
  t = performance.now();
  const jobRes = d1(jobsFile, { file: true });
  const jobsWallMs = performance.now() - t;
  const chunkMs = jobRes.map((r) => r.meta.duration);
  if (chunkMs.length !== chunks.length) throw new Error(`wrangler ran ${chunkMs.length} statements, expected ${chunks.length}`);
  log(`${JOBS} jobs seeded in ${fmt(jobsWallMs / 1000)} s wall; SQLite ${chunkMs.reduce((a, b) => a + b, 0)} ms over ${chunks.length} statements of ≤${CHUNK} rows: ${chunkMs.join(', ')} ms`);

  // What a database that never ran ANALYZE (nor PRAGMA optimize) gets. The stats what-if
  // shows whether an index led by `type` keeps /stats fast without statistics.
  const before = await timeQueries(queries);
  const beforeIdx = await timeQueries([['(f) stats, index (type, finished, status, sizes)', STATS_SQL]], { setup: [STATS_IDX], teardown: ['DROP INDEX bench_jobs_type_finished_idx'] });
  results.sqlBeforeAnalyze = [...before.rows, ...beforeIdx.rows];
  log('plans and SQL timing before ANALYZE recorded');

  t = performance.now();
  const [an] = d1('ANALYZE');
  const analyzeWallMs = performance.now() - t;
  log(`ANALYZE: ${an.meta.duration} ms in SQLite (${fmt(analyzeWallMs)} ms wall)`);
  results.seed = { baseMs, jobsWallMs, jobsChunkMs: chunkMs, chunk: CHUNK, analyzeMs: an.meta.duration, analyzeWallMs };
}
results.mix = d1('SELECT type, status, count(*) AS n FROM jobs GROUP BY type, status ORDER BY n DESC')[0].results;
results.stat1 = d1("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'jobs' ORDER BY idx")[0].results;

// ---------------------------------------------------------------------------
// 3. wrangler dev with a bench-only APP_SECRET
// ---------------------------------------------------------------------------
if (!existsSync(join(ROOT, 'dist', 'ui'))) {
  throw new Error('dist/ui is missing (wrangler.toml [assets] points at it): run `npm run build:ui` first.');
}

let dev = null;
async function startDev() {
  const out = openSync(join(ROOT, DATA, 'wrangler-dev.log'), 'w');
  const t = performance.now();
  // detached = setsid: a new process group, so npx, wrangler and workerd stop together.
  // --log-level warn: no per-request log line through the wrangler process.
  dev = spawn(
    'npx',
    ['wrangler', 'dev', '--port', String(PORT), '--ip', '127.0.0.1', '--persist-to', DATA, '--var', `APP_SECRET:${APP_SECRET}`, '--show-interactive-dev-session=false', '--log-level', 'warn'],
    { cwd: ROOT, env, detached: true, stdio: ['ignore', out, out] },
  );
  dev.on('exit', (code) => {
    if (dev) log(`wrangler dev exited early (${code}); see ${DATA}/wrangler-dev.log`);
  });
  for (;;) {
    if (performance.now() - t > 90_000) throw new Error(`wrangler dev not ready after 90 s; see ${DATA}/wrangler-dev.log`);
    try {
      if ((await fetch(`${BASE}/api/v1/ping`)).ok) break;
    } catch {
      /* not listening yet */
    }
    await sleep(200);
  }
  log(`wrangler dev ready on ${BASE} in ${fmt(performance.now() - t)} ms`);
}

const groupPids = (pgid) =>
  spawnSync('ps', ['-o', 'pid=', '-g', String(pgid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((s) => Number(s.trim()))
    .filter(Boolean);

async function stopDev() {
  if (!dev) return;
  const pgid = dev.pid;
  dev = null;
  const signal = (sig) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  for (let i = 0; i < 50 && groupPids(pgid).length; i++) await sleep(100);
  if (groupPids(pgid).length) {
    log(`process group ${pgid} still alive 5 s after SIGTERM; SIGKILL`);
    signal('SIGKILL');
    await sleep(500);
  }
  const left = spawnSync('ps', ['-o', 'pid=,comm=', '-g', String(pgid)], { encoding: 'utf8' }).stdout.trim();
  log(left ? `WARNING: processes left in group ${pgid}:\n${left}` : `wrangler dev stopped: no process (npx, wrangler, workerd) left in its group ${pgid}`);
  results.devStoppedClean = !left;
}

process.on('SIGINT', async () => {
  await stopDev();
  process.exit(130);
});

// CPU accounting: all CPU time on the machine (/proc/stat) against this bench's own
// (this node process + the wrangler dev group), to show load from other processes.
const CLK = 100; // USER_HZ on Linux
function machineBusySeconds() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / CLK;
}
function ownSeconds(pgid) {
  let s = 0;
  for (const pid of groupPids(pgid)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      s += (Number(f[11]) + Number(f[12])) / CLK; // utime stime
    } catch {
      /* exited */
    }
  }
  const u = process.cpuUsage();
  return s + (u.user + u.system) / 1e6;
}

// ---------------------------------------------------------------------------
// 4. HTTP timing
// ---------------------------------------------------------------------------
const auth = { Authorization: `Bearer ${API_TOKEN}` };

async function get(path) {
  const t = performance.now();
  const r = await fetch(path.startsWith('http') ? path : BASE + path, { headers: auth });
  const body = await r.text();
  const ms = performance.now() - t;
  if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${body.slice(0, 300)}`);
  const json = (r.headers.get('content-type') ?? '').includes('json');
  return { ms, body: json ? JSON.parse(body) : {}, bytes: body.length };
}

/** Walks `next` links with page_size=500 until `rows` rows are behind; returns the cursor found there. */
async function deepCursor(rows) {
  let url = `${BASE}/api/v1/jobs?page_size=500`;
  const t = performance.now();
  const times = [];
  while (times.length * 500 < rows) {
    const r = await get(url);
    times.push(r.ms);
    if (!r.body.next) throw new Error(`no next link after ${times.length} pages`);
    url = r.body.next;
  }
  const cursor = new URL(url).searchParams.get('cursor');
  // The cursor is opaque to clients; the bench peeks only to check that the SQL timed below is this page.
  const boundary = JSON.parse(Buffer.from(cursor, 'base64url').toString()).i;
  if (boundary !== deepId) throw new Error(`deep cursor ends at id ${boundary}, expected ${deepId}`);
  const walkMs = performance.now() - t;
  log(`walked ${times.length} pages of 500 (${times.length * 500} rows) in ${fmt(walkMs / 1000)} s; per page p50 ${fmt(median(times))} ms`);
  return { cursor, pages: times.length, walkMs, pageP50: median(times) };
}

const scenarios = [
  ['baseline: / (static asset, no Worker code)', '/'],
  ['baseline: /ping (public, 1 D1 query)', '/api/v1/ping'],
  ['baseline: /schedules (token auth + 1-row list)', '/api/v1/schedules'],
  ['(a) jobs, first page', '/api/v1/jobs'],
  ['(a) jobs, first page, page_size=500', '/api/v1/jobs?page_size=500'],
  [`(b) jobs, page ${DEEP_ROWS.toLocaleString('en')} rows deep`, null],
  ['(c) jobs ?status=failed', '/api/v1/jobs?status=failed'],
  ['(c) jobs ?status=successful', '/api/v1/jobs?status=successful'],
  [`(d) jobs ?client=${PROBE_CLIENT}`, `/api/v1/jobs?client=${PROBE_CLIENT}`],
  [`(e) jobs ?status=successful&client=${PROBE_CLIENT}`, `/api/v1/jobs?status=successful&client=${PROBE_CLIENT}`],
  ['(f) stats', '/api/v1/stats'],
];

/** Share of the machine's CPU that other processes used; ±1 % is accounting noise (clock ticks). */
const otherShare = () => {
  const p = 100 * results.load.otherProcessesShareOfMachine;
  return p < 1 ? `about 0 % (${fmt(p)} %, within ±1 % accounting noise)` : `${fmt(p)} %`;
};

const http = [];
if (!SQL_ONLY) try {
  await startDev();
  // The first authenticated call also checks that wrangler dev took the bench APP_SECRET.
  await get('/api/v1/schedules');
  const deep = await deepCursor(DEEP_ROWS);
  results.deepWalk = { pages: deep.pages, walkMs: deep.walkMs, pageP50Ms: deep.pageP50 };
  scenarios[5][1] = `/api/v1/jobs?cursor=${deep.cursor}`;

  const times = scenarios.map(() => []);
  const last = [];
  const wall0 = performance.now();
  const busy0 = machineBusySeconds();
  const own0 = ownSeconds(dev.pid);
  const load0 = loadavg()[0];
  if (BLOCKS) {
    for (const [i, [, path]] of scenarios.entries()) {
      for (let k = 0; k < WARMUP; k++) await get(path);
      for (let k = 0; k < N; k++) times[i].push((last[i] = await get(path)).ms);
    }
  } else {
    for (let round = 0; round < WARMUP + N; round++) {
      for (const [i, [, path]] of scenarios.entries()) {
        last[i] = await get(path);
        if (round >= WARMUP) times[i].push(last[i].ms);
      }
    }
  }
  const wallS = (performance.now() - wall0) / 1000;
  const otherCpu = machineBusySeconds() - busy0 - (ownSeconds(dev.pid) - own0);
  results.load = {
    wallSeconds: wallS,
    otherProcessesCpuSeconds: otherCpu,
    otherProcessesShareOfMachine: otherCpu / (wallS * cpus().length),
    loadavg1Before: load0,
    loadavg1After: loadavg()[0],
  };
  log(`HTTP phase: ${fmt(wallS)} s; other processes used ${fmt(otherCpu)} CPU-s (${otherShare()} of ${cpus().length} cores); load avg ${fmt(load0)} → ${fmt(loadavg()[0])}`);

  for (const [i, [scenario, path]] of scenarios.entries()) {
    const s = times[i].sort((a, b) => a - b);
    const b = last[i].body;
    http.push({
      scenario,
      path,
      n: s.length,
      p50: pct(s, 50),
      p95: pct(s, 95),
      p99: pct(s, 99),
      max: s[s.length - 1],
      count: b.count ?? (b.days ? `${b.days.length} days` : ''),
      rows: b.results?.length ?? '',
      bytes: last[i].bytes,
    });
  }
} finally {
  await stopDev();
}
results.http = http;

// ---------------------------------------------------------------------------
// 5. What bounds it: plans and SQLite time of the same queries, alone; what-ifs
// ---------------------------------------------------------------------------
results.sql = (await timeQueries(queries)).rows;
if (results.sqlBeforeAnalyze) {
  for (const r of results.sql) {
    const b = results.sqlBeforeAnalyze.find((x) => x.name === r.name);
    r.planBeforeAnalyze = b?.plan;
    r.medianMsBeforeAnalyze = b?.medianMs;
  }
}

// What-ifs on the bench database only, timed the same way; the index is created, measured and dropped in one batch.
const capped = await timeQueries([
  ['(a) count no filter, capped at 10,001', cappedCount('')],
  ['(c) count status=successful, capped at 10,001', cappedCount("status = 'successful'")],
  ['(e) count status+client, capped at 10,001', cappedCount(STATUS_CLIENT)],
  ['(f) stats: rows in range only (count, no GROUP BY)', `SELECT count(*) AS n FROM jobs WHERE finished >= ${since} AND type = 'backup'`],
]);
const idx = await timeQueries(
  [
    ['(e) count status+client, index (client_id, status, id)', cnt(STATUS_CLIENT)],
    ['(e) page status+client, index (client_id, status, id)', page(STATUS_CLIENT)],
  ],
  { setup: ['CREATE INDEX bench_jobs_client_status_idx ON jobs (client_id, status, id)', 'ANALYZE bench_jobs_client_status_idx'], teardown: ['DROP INDEX bench_jobs_client_status_idx'] },
);
const statsIdx = await timeQueries([['(f) stats, index (type, finished, status, sizes)', STATS_SQL]], { setup: [STATS_IDX, 'ANALYZE bench_jobs_type_finished_idx'], teardown: ['DROP INDEX bench_jobs_type_finished_idx'] });
results.whatIf = [...capped.rows, ...idx.rows, ...statsIdx.rows];
results.whatIfIndexBuildMs = { client_status: idx.setupMs[0], type_finished: statsIdx.setupMs[0] };

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------
results.totalSeconds = (performance.now() - T0) / 1000;
writeFileSync(join(ROOT, DATA, 'results.json'), JSON.stringify(results, null, 2));

console.log(`\n## HTTP: sequential requests through wrangler dev, ms (${BLOCKS ? 'per scenario in a row' : 'interleaved rounds'}; ${WARMUP} warm-up, then n)\n`);
console.log('| scenario | n | p50 | p95 | p99 | max | count | rows | bytes |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of http) console.log(`| ${r.scenario} | ${r.n} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.count} | ${r.rows} | ${r.bytes} |`);
if (results.load) {
  console.log(`\nOther processes used ${otherShare()} of the machine's CPU during the HTTP phase (${fmt(results.load.wallSeconds)} s).`);
}

const sqlTable = (title, rows, extra = false) => {
  console.log(`\n## ${title}\n`);
  console.log(`| query | result | rows_read | first | median | max | plan |${extra ? ' median before ANALYZE | plan before ANALYZE |' : ''}`);
  console.log(`| --- | --- | ---: | ---: | ---: | ---: | --- |${extra ? ' ---: | --- |' : ''}`);
  for (const r of rows) {
    const tail = extra ? ` ${r.medianMsBeforeAnalyze ?? ''} | ${r.planBeforeAnalyze === r.plan ? 'same' : (r.planBeforeAnalyze ?? '')} |` : '';
    console.log(`| ${r.name} | ${r.rows} | ${r.rowsRead} | ${r.firstMs} | ${r.medianMs} | ${r.maxMs} | ${r.plan} |${tail}`);
  }
};
sqlTable(`SQL alone: D1 result meta.duration, ms, local D1 as wrangler d1 execute runs it (${REPS} runs in one batch: the first, then median and max of the others)`, results.sql, Boolean(results.sqlBeforeAnalyze));
if (results.sqlBeforeAnalyze) sqlTable('Stats what-if before ANALYZE (no statistics)', results.sqlBeforeAnalyze.slice(queries.length));
sqlTable('What-ifs after ANALYZE (bench database only; same timing)', results.whatIf);
console.log(`\nIndex build on ${JOBS} jobs: (client_id, status, id) ${results.whatIfIndexBuildMs.client_status} ms; (type, finished, status, sizes) ${results.whatIfIndexBuildMs.type_finished} ms.`);

if (!results.seed.reused) {
  const s = results.seed;
  console.log(
    `Seed: ${JOBS} jobs in ${fmt(s.jobsWallMs / 1000)} s wall (${s.jobsChunkMs.length} statements of ≤${s.chunk} rows in one batch; SQLite ms: ${s.jobsChunkMs.join(', ')}); ANALYZE ${s.analyzeMs} ms.`,
  );
}
if (results.deepWalk) console.log(`Deep page: cursor after ${results.deepWalk.pages} pages of 500 (id < ${deepId}).`);
console.log(`Code: ${results.git.head}${results.git.dirty.length ? ` plus uncommitted changes in ${results.git.dirty.join(', ')}` : ''}.`);
console.log(`Total: ${fmt(results.totalSeconds)} s. Full results: ${DATA}/results.json`);
