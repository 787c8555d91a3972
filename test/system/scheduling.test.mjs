/**
 * The scheduler end to end with real parts (wrangler dev, the relay process, sshd, borg) and
 * npm start's own every-minute trigger (scripts/local-cron.mjs → /__scheduled → scheduled()):
 * two policies on one repository come due in the same minute and run one after the other;
 * a prepare that fails fails the backup that waits for it, saying why.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startBackupWorld, waitFor } from './support/backup-world.mjs';
import { freePort } from '../../relay/ssh/test-sshd.ts';

const PORT = 8784;
const PASSPHRASE = 'scheduling test passphrase';
let w;
let client;
let repo;
let src;
let schedule;
let doomed;

before(async () => {
  w = await startBackupWorld({ port: PORT, localCron: true });
  client = await w.client();
  repo = await w.repository('scheduled', PASSPHRASE);
  src = path.join(w.root, 'src');
  mkdirSync(src);
  writeFileSync(path.join(src, 'f.bin'), Buffer.alloc(100_000, 1));
  // Prepare both objects first, so the scheduled runs below are just their backups.
  for (const [what, id] of [
    ['clients', client.id],
    ['repositories', repo.id],
  ]) {
    const r = await w.api('POST', `/${what}/${id}/prepare`);
    assert.equal((await w.waitJob(r.body.job.id)).status, 'successful');
  }
  // One every-minute schedule for both tests, so they share one wait for the trigger.
  schedule = (await w.api('POST', '/schedules', { name: 'every minute', crontab: '* * * * *', timezone: 'Europe/Paris' })).body;
  // A client on a port where nothing listens: its prepare cannot connect.
  const c = await w.api('POST', '/clients', { hostname: '127.0.0.1', port: await freePort(), ssh_user: w.sshd.user, relay: w.relayId });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  doomed = (
    await w.api('POST', '/policies', { name: 'doomed', type: 'folders', schedule: schedule.id, repository: repo.id, clients: [c.body.id], catalog_enabled: false, options: { folders: [src] }, keep_daily: 3 })
  ).body;
});

after(async () => {
  await w?.stop();
});

const scheduledJobs = async (policyId) => (await w.api('GET', `/jobs?policy=${policyId}&page_size=100`)).body.results;

test('two policies on one repository due in the same minute both run, one after the other, launched by the scheduler', async () => {
  const policies = [];
  for (const name of ['alpha', 'beta']) {
    const r = await w.api('POST', '/policies', {
      name,
      type: 'folders',
      schedule: schedule.id,
      repository: repo.id,
      clients: [client.id],
      catalog_enabled: false,
      prune_enabled: false,
      options: { folders: [src] },
      // Long enough that running both at once would overlap.
      pre_hook: 'sleep 2',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    policies.push(r.body);
  }
  // Both are due at the same next minute.
  assert.equal(policies[0].next_run, policies[1].next_run);
  let jobs = [];
  await waitFor(async () => (jobs = (await Promise.all(policies.map((p) => scheduledJobs(p.id)))).flat()).length >= 2, 130_000, 'the scheduler to launch both policies');
  // One run each: stop the schedule so the next minute adds nothing.
  assert.equal((await w.api('PATCH', `/schedules/${schedule.id}`, { enabled: false })).status, 200);
  const done = [];
  for (const j of jobs) done.push(await w.waitJob(j.id, 180_000));
  const backups = done.filter((j) => j.type === 'backup');
  assert.equal(backups.length, 2, JSON.stringify(done.map((j) => [j.id, j.type, j.launch_type])));
  for (const b of backups) {
    assert.equal(b.status, 'successful', `${b.explanation}\n${await w.stdoutText(b.id)}`);
    assert.equal(b.launch_type, 'scheduled');
  }
  // Same minute, distinct archive names, both in the repository.
  assert.notEqual(backups[0].archive_name, backups[1].archive_name);
  const archives = JSON.parse(w.borg(['list', '--json', repo.path], PASSPHRASE).toString()).archives.map((a) => a.name);
  for (const b of backups) assert.ok(archives.includes(b.archive_name));
  // One after the other: one job per repository at a time.
  const [first, second] = backups.sort((a, b) => Date.parse(a.started) - Date.parse(b.started));
  assert.ok(Date.parse(second.started) >= Date.parse(first.finished), `${first.started}–${first.finished} then ${second.started}`);
});

test('a scheduled run whose client prepare fails fails its backup, prune and compact with the reason; none of them starts', async () => {
  let jobs = [];
  await waitFor(async () => (jobs = await scheduledJobs(doomed.id)).length >= 4, 130_000, 'the scheduler to launch the policy');
  const byType = {};
  for (const j of jobs) byType[j.type] = await w.waitJob(j.id, 120_000);
  assert.deepEqual(Object.keys(byType).sort(), ['backup', 'compact', 'prepare_client', 'prune']);
  assert.equal(byType.prepare_client.status, 'failed');
  assert.match(byType.prepare_client.explanation, /ECONNREFUSED|refused|unreachable/i);
  for (const t of ['backup', 'prune', 'compact']) {
    assert.equal(byType[t].status, 'failed', t);
    assert.equal(byType[t].started, null, `${t} never started`);
  }
  assert.match(byType.backup.explanation, new RegExp(`Not run: job ${byType.prepare_client.id}, which it depends on, did not succeed`));
  assert.equal(byType.backup.launch_type, 'scheduled');
});
