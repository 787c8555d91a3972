/**
 * The relay's protocol loop against the real orchestrator (wrangler dev with local D1
 * and the TaskManager Durable Object): a launched job is offered, leased, its output
 * arrives complete and in order, and it ends in a true state — also when the relay
 * dies mid-job.
 *
 * The job's work is done by STAND-IN RUNNERS defined below (they print numbered lines
 * instead of running borg): this test is about the loop, not about borg, which
 * relay/borg and relay/ssh test for real.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
// @ts-expect-error plain JS test support module
import { firstAdmin, startSystem } from '../../test/system/support/system.mjs';
import { pair } from '../commands/pair';
import { loadConfig } from '../config';
import { RelaySession, type JobRunner } from './session';
import { Spool } from './spool';

const PORT = 8796;
let system: { origin: string; setupToken: string; stop: () => Promise<void> };
let api: (method: string, p: string, body?: unknown) => Promise<{ status: number; body: any }>;
let dir: string;

/** STAND-IN RUNNER: prints `n` numbered lines, yielding to the loop's backpressure. */
const numberedLines = (n: number): JobRunner => ({
  refuse: () => null,
  async run(_spec, out) {
    for (let i = 1; i <= n; i++) {
      out.line('stdout', `line ${i}`);
      if (i % 500 === 0) await out.drained();
    }
    return { status: 'successful', exitCode: 0, explanation: null, result: { archive: { stats: { original_size: n, compressed_size: n, deduplicated_size: 1, nfiles: n } } } };
  },
});

/** STAND-IN RUNNER: prepare jobs succeed at once; a backup never ends by itself (until canceled). */
const forever: JobRunner = {
  refuse: () => null,
  async run(spec, out, signal) {
    if (spec.kind !== 'backup') return { status: 'successful', exitCode: 0, explanation: null, result: null };
    out.line('stdout', 'started');
    await new Promise<void>((r) => signal.addEventListener('abort', () => r()));
    return { status: 'canceled', exitCode: 143, explanation: 'Canceled by the operator.', result: null };
  },
};

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function readyByCurl(url: string) {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(res.status, 200);
}

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'relay-session-'));
  system = await startSystem({ port: PORT });
  api = await firstAdmin(system.origin, system.setupToken);
  const relay = await api('POST', '/relays', { name: 'lan' });
  await pair({ url: system.origin, token: relay.body.pairing.token, dir, out: () => {} });
});

after(async () => {
  await system?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function launchOneBackup(name: string) {
  process.env.RELAY_CONFIG_DIR = dir;
  const config = loadConfig();
  const client = await api('POST', '/clients', { hostname: `${name}.example.com`, relay: config.relayId });
  const repo = await api('POST', '/repositories', { name, path: `/srv/borg/${name}`, relay: config.relayId, passphrase: 'a passphrase for the loop test' });
  await readyByCurl((await api('POST', `/clients/${client.body.id}/prepare`)).body.readiness.url);
  await readyByCurl((await api('POST', `/repositories/${repo.body.id}/prepare`)).body.readiness.url);
  // The prepare jobs themselves are not run here: end them so they do not hold the queue.
  const schedule = await api('POST', '/schedules', { name, crontab: '0 3 * * *' });
  const policy = await api('POST', '/policies', { name, type: 'config', schedule: schedule.body.id, repository: repo.body.id, clients: [client.body.id], catalog_enabled: false, prune_enabled: false });
  assert.equal(policy.status, 201, JSON.stringify(policy.body));
  return { config, policyId: policy.body.id as number, clientId: client.body.id as number };
}

describe('relay session against the real orchestrator', () => {
  it('runs an offered job and delivers 20,000 lines complete and in order', async () => {
    const { config, policyId } = await launchOneBackup('loop1');
    const session = new RelaySession({ url: system.origin, credential: config.credential, version: 'test', spool: new Spool(path.join(dir, 'spool1'), 64 * 1024 * 1024), runner: numberedLines(20_000), log: () => {} });
    session.start();
    try {
      // The two prepare jobs come first (the stand-in runs them too), then the backup.
      const launch = await api('POST', `/policies/${policyId}/launch`);
      assert.equal(launch.status, 201, JSON.stringify(launch.body));
      const backup = launch.body.jobs.find((j: any) => j.type === 'backup');
      const done = await waitFor('the backup to succeed', async () => {
        const j = (await api('GET', `/jobs/${backup.id}`)).body;
        return ['successful', 'failed', 'error', 'lost'].includes(j.status) ? j : undefined;
      }, 60_000);
      assert.equal(done.status, 'successful', JSON.stringify(done));
      assert.equal(done.file_count, 20_000);
      const res = await fetch(`${system.origin}/api/v1/jobs/${backup.id}/stdout?format=json&download=1`, { headers: await sessionHeaders() });
      const lines = (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { line: number; stream: string; text: string });
      // The edge may have noted why the job waited (system lines, before the relay's output).
      const output = lines.filter((l) => l.stream !== 'system');
      assert.ok(lines.slice(0, lines.length - output.length).every((l) => l.stream === 'system' && l.text.startsWith('waiting: ')));
      assert.equal(output.length, 20_000);
      output.forEach((l, i) => assert.equal(l.text, `line ${i + 1}`));
      lines.forEach((l, i) => assert.equal(l.line, i + 1));
    } finally {
      await session.stop();
    }
  });

  it('a relay that dies mid-job and comes back without it: the job ends lost, never re-run', async () => {
    const { config, policyId } = await launchOneBackup('loop2');
    const spoolDir = path.join(dir, 'spool2');
    const first = new RelaySession({ url: system.origin, credential: config.credential, version: 'test', spool: new Spool(spoolDir, 64 * 1024 * 1024), runner: forever, log: () => {} });
    first.start();
    const launch = await api('POST', `/policies/${policyId}/launch`);
    const backup = launch.body.jobs.find((j: any) => j.type === 'backup');
    await waitFor('the backup to run', async () => ((await api('GET', `/jobs/${backup.id}`)).body.status === 'running' ? true : undefined), 60_000);
    // "Dies": its socket goes away and a new process starts with the same spool but no memory of the job.
    await first.stop();
    const second = new RelaySession({ url: system.origin, credential: config.credential, version: 'test', spool: new Spool(spoolDir, 64 * 1024 * 1024), runner: forever, log: () => {} });
    second.start();
    try {
      const ended = await waitFor('the backup to end', async () => {
        const j = (await api('GET', `/jobs/${backup.id}`)).body;
        return j.status === 'running' ? undefined : j;
      });
      assert.equal(ended.status, 'lost');
      assert.match(ended.explanation, /not run again/);
    } finally {
      await second.stop();
    }
  });
});

let cookieHeaders: Record<string, string> | null = null;
async function sessionHeaders() {
  if (cookieHeaders) return cookieHeaders;
  const res = await fetch(`${system.origin}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'admin@example.com', password: 'system test password' }) });
  cookieHeaders = { Cookie: /__Host-session=[^;]+/.exec(res.headers.get('set-cookie')!)![0] };
  return cookieHeaders;
}
