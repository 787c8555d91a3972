#!/usr/bin/env node
/**
 * Log pipeline benchmark: lines/s from a remote process through the relay and the
 * TaskManager Durable Object to 1, 10 and 100 browser sockets (GET /jobs/{id}/events),
 * with per-line latency (arrival at the socket minus the time the relay read the line)
 * and loss (lines a socket never got, or got twice / out of order).
 *
 * Real parts: wrangler dev (local D1 + DO), the relay process (`relay run`), a real sshd on
 * 127.0.0.1, borg. The remote process is a backup's pre_hook, `seq` printing N numbered
 * lines as fast as it can on the client; its stdout is the job's log.
 *
 *   node --import tsx bench/log-pipeline.mjs [--lines 200000] [--subscribers 1,10,100] [--rate 20000|0]
 *
 * Prints a table; docs/benchmarks.md keeps the latest numbers.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { launch, startBackupWorld } from '../test/system/support/backup-world.mjs';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '200000' },
    subscribers: { type: 'string', default: '1,10,100' },
    port: { type: 'string', default: '8789' },
    /** Lines per second the remote process writes (0: as fast as it can, a burst). */
    rate: { type: 'string', default: '20000' },
  },
});
const N = Number(values.lines);
const COUNTS = values.subscribers.split(',').map(Number);
const RATE = Number(values.rate);

/** The remote process: `seq`, in slices of 1/20 s at RATE lines/s (sleep between slices), or all at once. */
function producer(n, rate) {
  if (!rate) return `seq -f 'line %g' 1 ${n}`;
  const slice = Math.max(1, Math.round(rate / 20));
  return `i=0; while [ $i -lt ${n} ]; do j=$((i + ${slice})); [ $j -gt ${n} ] && j=${n}; seq -f 'line %g' $((i + 1)) $j; i=$j; sleep 0.05; done`;
}

/** CPU seconds (user + system) used so far by the processes of a process group, or one pid. */
const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;
function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      /* gone */
    }
  }
  return ticks / TICK;
}
const groupPids = (pgid) => execFileSync('ps', ['-o', 'pid=', '-g', String(pgid)]).toString().split('\n').map(Number).filter(Boolean);

/** Latency is measured on every SAMPLE-th line. */
const SAMPLE = 10;
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/**
 * One browser: follows the job from line 0, acks as it reads, records arrival times. Closed
 * as too slow (4008), it reconnects from the last line it got, as the UI does.
 */
function subscribe(origin, headers, jobId) {
  const state = { next: 1, disorder: 0, received: 0, latencies: [], first: null, last: null, lastLine: 0, drops: 0, ws: null };
  let resolveDone;
  state.done = new Promise((r) => (resolveDone = r));
  let resolveOpened;
  state.opened = new Promise((r) => (resolveOpened = r));
  const connect = () => {
    const url = `${origin.replace(/^http/, 'ws')}/api/v1/jobs/${jobId}/events?after=${state.lastLine}`;
    const ws = (state.ws = new WebSocket(url, { headers: { ...headers, Origin: origin } }));
    ws.once('open', resolveOpened);
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.type === 'lines') {
        const now = Date.now();
        for (const l of msg.lines) {
          state.lastLine = l.line;
          if (!l.text.startsWith('line ')) continue;
          const n = Number(l.text.slice(5));
          if (n !== state.next) state.disorder++;
          state.next = n + 1;
          state.received++;
          // Latency of every SAMPLE-th line (parsing 2 million timestamps a second would make
          // this client, not the pipeline, the bottleneck); counting and order use every line.
          if (n % SAMPLE === 0) state.latencies.push(now - Date.parse(l.time));
          state.first ??= now;
          state.last = now;
        }
        ws.send(JSON.stringify({ type: 'ack', line: msg.lines[msg.lines.length - 1].line }));
        if (state.next > N) resolveDone();
      } else if (msg.type === 'status' && ['failed', 'error', 'canceled', 'lost'].includes(msg.status)) resolveDone();
    });
    ws.on('close', (code) => {
      if (code === 4008 && state.next <= N) {
        state.drops++;
        connect();
      } else resolveDone();
    });
    ws.on('error', () => undefined);
  };
  connect();
  return state;
}

const w = await startBackupWorld({ port: Number(values.port) });
const rows = [];
try {
  const client = await w.client();
  const repo = await w.repository('bench', 'bench passphrase');
  const schedule = (await w.api('POST', '/schedules', { name: 'bench', crontab: '0 3 1 1 *', timezone: 'UTC' })).body;
  const src = path.join(w.root, 'src');
  mkdirSync(src);
  writeFileSync(path.join(src, 'f'), 'x');
  const policy = async (name, hook) =>
    (await w.api('POST', '/policies', { name, type: 'folders', schedule: schedule.id, repository: repo.id, clients: [client.id], catalog_enabled: false, prune_enabled: false, options: { folders: [src] }, pre_hook: hook })).body;
  for (const j of await launch(w.api, (await policy('prepare', 'true')).id)) await w.waitJob(j.id);
  const headers = await w.authHeaders();

  for (const count of COUNTS) {
    // The job waits on a held lock file so every socket is connected before the first line.
    const gate = path.join(w.root, `gate-${count}`);
    writeFileSync(gate, '');
    const p = await policy(`bench-${count}`, `while [ -e '${gate}' ]; do sleep 0.05; done; ${producer(N, RATE)}`);
    const [job] = await launch(w.api, p.id);
    const subs = Array.from({ length: count }, () => subscribe(w.system.origin, headers, job.id));
    await Promise.all(subs.map((s) => s.opened));
    const wranglerGroup = Number(/process group (\d+)/.exec(w.system.output())[1]);
    const cpu = () => ({ edge: cpuSeconds(groupPids(wranglerGroup)), relay: cpuSeconds([w.relayPid()]), sockets: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 });
    const cpu0 = cpu();
    const t0 = Date.now();
    (await import('node:fs')).rmSync(gate);
    await Promise.all(subs.map((s) => s.done));
    const cpu1 = cpu();
    const done = await w.waitJob(job.id, 600_000);
    const stored = (await w.stdout(job.id)).filter((l) => l.text.startsWith('line ')).length;
    const all = subs.flatMap((s) => s.latencies).sort((a, b) => a - b);
    const firstAt = Math.min(...subs.map((s) => s.first ?? Infinity));
    const lastAt = Math.max(...subs.map((s) => s.last ?? 0));
    const received = subs.reduce((n, s) => n + s.received, 0);
    rows.push({
      subscribers: count,
      lines: N,
      'rate asked': RATE || 'burst',
      status: done.status,
      'lines/s (per socket)': Math.round(N / ((lastAt - firstAt) / 1000)),
      'lines/s (all sockets)': Math.round(received / ((lastAt - firstAt) / 1000)),
      'p50 ms': percentile(all, 50),
      'p99 ms': percentile(all, 99),
      lost: count * N - received,
      'out of order': subs.reduce((n, s) => n + s.disorder, 0),
      stored,
      'dropped (resumed)': subs.reduce((n, s) => n + s.drops, 0),
      'wall s': ((lastAt - t0) / 1000).toFixed(1),
      // CPU seconds over the run: workerd (+wrangler), the relay process, this process's 100 sockets.
      'cpu s edge/relay/sockets': `${(cpu1.edge - cpu0.edge).toFixed(1)}/${(cpu1.relay - cpu0.relay).toFixed(1)}/${(cpu1.sockets - cpu0.sockets).toFixed(1)}`,
    });
    for (const s of subs) s.ws.close();
  }
} finally {
  await w.stop();
}
console.log(`\nLog pipeline, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), Node ${process.version}`);
console.table(rows);
