/**
 * Faults with real parts (wrangler dev, the relay process, sshd, borg): a job printing
 * numbered lines (its pre_hook) while the test kills the relay with SIGKILL, cuts the
 * relay's socket (a TCP proxy between relay and Worker drops every connection), or restarts
 * the Worker. Each time: the stored output is the numbered lines in order with none doubled
 * or missing (up to where the job stopped), the job ends in a true state, and nothing runs
 * twice (the hook counts its own starts in a file). Also: 200,000 lines arrive complete, and
 * a host key that changes after pinning fails the job closed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { hookPolicy, launch, startBackupWorld, waitFor } from './support/backup-world.mjs';
import { followJob } from './support/job-events.mjs';

const PORT = 8794;
const PASSPHRASE = 'faults passphrase';
let w;
let client;
let repo;
let schedule;
let src;

before(async () => {
  w = await startBackupWorld({ port: PORT, proxy: true });
  client = await w.client();
  repo = await w.repository('faults', PASSPHRASE);
  schedule = (await w.api('POST', '/schedules', { name: 'never', crontab: '0 3 1 1 *', timezone: 'UTC' })).body;
  src = path.join(w.root, 'src');
  mkdirSync(src);
  writeFileSync(path.join(src, 'f.txt'), 'data\n');
  // Prepare both objects once, so each fault test runs just its backup.
  const p = await policy('prepare', 'true');
  for (const j of await launch(w.api, p.id)) assert.equal((await w.waitJob(j.id)).status, 'successful', await w.stdoutText(j.id));
});

after(async () => {
  await w?.stop();
});

/** A folders policy whose pre_hook runs `hook` (its output is the job's log). */
const policy = (name, hook) => hookPolicy(w.api, { schedule: schedule.id, repository: repo.id, client: client.id, folder: src }, name, hook);

/** A hook that records its start, then prints `n <i>` for i = 1..count, pausing between lines. */
function countingHook(tag, count, pauseEvery) {
  const starts = path.join(w.root, `${tag}.starts`);
  return {
    starts: () => readFileSync(starts, 'utf8').split('\n').filter(Boolean).length,
    hook: `echo start >> '${starts}'; i=0; while [ $i -lt ${count} ]; do i=$((i+1)); echo "n $i"; if [ $((i % ${pauseEvery})) -eq 0 ]; then sleep 0.05; fi; done`,
  };
}

/** The numbered lines of a job's stored output: 1..k in order, nothing doubled. Returns k. */
async function assertNumberedPrefix(jobId, prefix = 'n ') {
  const lines = await w.stdout(jobId);
  const numbers = lines.filter((l) => l.text.startsWith(prefix)).map((l) => Number(l.text.slice(prefix.length)));
  numbers.forEach((v, i) => assert.equal(v, i + 1, `line ${i + 1} of the numbered output is ${v}`));
  // Line numbers of the store are gap-free too.
  lines.forEach((l, i) => assert.equal(l.line, i + 1));
  return numbers.length;
}

async function startedBackup(p) {
  const [job] = await launch(w.api, p.id);
  assert.equal(job.type, 'backup');
  await waitFor(async () => (await w.stdout(job.id)).some((l) => l.text === 'n 1'), 60_000, 'the first output line');
  return job;
}

test('200,000 lines arrive complete and in order, in storage and at a watching socket', async () => {
  const { hook, starts } = countingHook('big', 200_000, 1_000_000);
  const [job] = await launch(w.api, (await policy('big', hook)).id);
  // A browser watching from the launch on (what it misses while connecting is replayed).
  const watcher = followJob(w.system.origin, await w.authHeaders(), job.id);
  const done = await w.waitJob(job.id, 300_000);
  assert.equal(done.status, 'successful', done.explanation);
  assert.equal(await assertNumberedPrefix(job.id), 200_000);
  assert.equal(starts(), 1);
  const seen = await watcher.done;
  const stored = await w.stdout(job.id);
  assert.equal(seen.lines.length, stored.length, 'the socket got every stored line');
  seen.lines.forEach((l, i) => assert.equal(l.line, i + 1, 'in order, once each'));
  assert.deepEqual(
    seen.lines.filter((l) => l.text.startsWith('n ')).map((l) => l.text),
    Array.from({ length: 200_000 }, (_, i) => `n ${i + 1}`),
  );
  assert.equal(seen.statuses.at(-1), 'successful');
});

test('kill -9 of the relay mid-job: the job ends lost with a reason, its stored lines are a clean prefix, nothing runs twice', async () => {
  const { hook, starts } = countingHook('kill', 4000, 20);
  const job = await startedBackup(await policy('kill', hook));
  await new Promise((r) => setTimeout(r, 1500));
  await w.stopRelay('SIGKILL');
  w.startRelay();
  const done = await w.waitJob(job.id, 120_000);
  assert.equal(done.status, 'lost', `${done.status}: ${done.explanation}`);
  assert.match(done.explanation, /relay/i);
  assert.match(done.explanation, /not run again/);
  const k = await assertNumberedPrefix(job.id);
  assert.ok(k >= 1 && k < 4000, `a prefix of the output was kept (${k} lines)`);
  // The relay is back and takes new work; the lost job was not started again.
  await waitFor(async () => (await w.api('GET', `/relays/${w.relayId}`)).body.connected, 30_000, 'the relay to reconnect');
  assert.equal(starts(), 1);
  assert.equal((await w.job(job.id)).status, 'lost');
});

test('the relay socket cut mid-job: the job completes with every line once', async () => {
  const { hook, starts } = countingHook('cut', 3000, 20);
  const job = await startedBackup(await policy('cut', hook));
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await w.job(job.id)).status, 'running', 'cut while the job runs');
    assert.ok(w.proxy.cut() >= 1, 'a connection was cut');
  }
  const done = await w.waitJob(job.id, 180_000);
  assert.equal(done.status, 'successful', done.explanation);
  assert.equal(await assertNumberedPrefix(job.id), 3000);
  assert.equal(starts(), 1);
});

test('the Worker restarted mid-job: the job completes with every line once', async () => {
  const { hook, starts } = countingHook('restart', 4000, 10);
  const job = await startedBackup(await policy('restart', hook));
  await w.restartWorker();
  const restarted = Date.now();
  const done = await w.waitJob(job.id, 240_000);
  assert.equal(done.status, 'successful', `${done.status}: ${done.explanation}`);
  assert.ok(new Date(done.finished).getTime() > restarted, 'the job was still running when the Worker came back');
  assert.equal(await assertNumberedPrefix(job.id), 4000);
  assert.equal(starts(), 1);
});

test('a host key that changes after pinning fails the job closed, saying so', async () => {
  // sshd re-reads its host key on SIGHUP (it re-executes itself).
  const keyFile = path.join(w.sshd.dir, 'ssh_host_ed25519_key');
  const fresh = path.join(w.root, 'new_host_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', fresh]);
  renameSync(fresh, keyFile);
  rmSync(`${fresh}.pub`);
  process.kill(Number(readFileSync(path.join(w.sshd.dir, 'sshd.pid'), 'utf8')), 'SIGHUP');
  await new Promise((r) => setTimeout(r, 1000));
  const p = await policy('hostkey', 'echo the hook must not run');
  const [job] = await launch(w.api, p.id);
  const done = await w.waitJob(job.id);
  assert.equal(done.status, 'failed');
  assert.match(done.explanation, /host key/i);
  const text = await w.stdoutText(job.id);
  assert.ok(!text.includes('the hook must not run'));
  // The pin at the edge is unchanged: only an admin re-pins.
  const c = (await w.api('GET', `/clients/${client.id}`)).body;
  assert.ok(c.host_key_fingerprint && !done.explanation.includes('undefined'));
});
