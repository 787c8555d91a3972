/**
 * Whole backups through the public API with real parts: wrangler dev (D1 + Durable Objects),
 * the relay as its own process (`relay run`), a real sshd on 127.0.0.1, Debian's borg.
 * File policy types in push and pull mode, prepare marking both objects ready (host key
 * pinned), prune / check / restore, hostile folder names, and the passphrase nowhere.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launch, startBackupWorld } from './support/backup-world.mjs';

const PORT = 8795;
const PASSPHRASE = "sys pass $(touch /tmp/PWNED-sys) 'q' `x` ü ;";
let w;
let client;
let repo;
let schedule;
let src;

const HOSTILE = ['$(touch PWNED)', '-leading', 'it\'s "q" ü', 'semi;colon', 'glob*[x]'];

before(async () => {
  w = await startBackupWorld({ port: PORT });
  client = await w.client();
  repo = await w.repository('main', PASSPHRASE);
  schedule = (await w.api('POST', '/schedules', { name: 'nightly', crontab: '0 2 * * *', timezone: 'UTC' })).body;
  src = path.join(w.root, 'src');
  for (const [i, name] of HOSTILE.entries()) {
    mkdirSync(path.join(src, name, 'sub'), { recursive: true });
    writeFileSync(path.join(src, name, 'sub', `file-${i}.txt`), `content ${i} of ${name}\n`);
    writeFileSync(path.join(src, name, 'skip.tmp'), 'excluded');
  }
  writeFileSync(path.join(src, 'plain.bin'), Buffer.alloc(300_000, 7));
});

after(async () => {
  await w?.stop();
});

const archiveNames = () => JSON.parse(w.borg(['list', '--json', repo.path], PASSPHRASE).toString()).archives.map((a) => a.name);
const archivePaths = (name) =>
  w
    .borg(['list', '--json-lines', `${repo.path}::${name}`], PASSPHRASE)
    .toString()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).path)
    .sort();

async function policy(name, extra) {
  const r = await w.api('POST', '/policies', { name, type: 'folders', schedule: schedule.id, repository: repo.id, clients: [client.id], catalog_enabled: false, ...extra });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

describe('folders policy, push mode', () => {
  let jobs;
  test('a launch prepares the repository and the client, then backs up', async () => {
    const p = await policy('files', { options: { folders: HOSTILE.map((f) => path.join(src, f)), excludes: ['*.tmp'] }, keep_daily: 1 });
    jobs = await launch(w.api, p.id);
    const types = jobs.map((j) => j.type).sort();
    assert.deepEqual(types, ['backup', 'compact', 'prepare_client', 'prepare_repository', 'prune']);
    for (const j of jobs) {
      const done = await w.waitJob(j.id);
      assert.equal(done.status, 'successful', `${j.type}: ${done.explanation}\n${await w.stdoutText(j.id)}`);
    }
  });

  test('prepare marked both ready and pinned the host key sshd really has', async () => {
    const c = (await w.api('GET', `/clients/${client.id}`)).body;
    const r = (await w.api('GET', `/repositories/${repo.id}`)).body;
    assert.equal(c.ready, true);
    assert.equal(r.ready, true);
    const expected = execFileSync('ssh-keygen', ['-lf', w.sshd.hostKeyPub]).toString().split(' ')[1];
    assert.equal(c.host_key_fingerprint, expected);
    assert.match(c.borg_version, /^1\.\d+\.\d+/);
    const prep = jobs.find((j) => j.type === 'prepare_client');
    assert.match(await w.stdoutText(prep.id), /Marked the client ready/);
  });

  test('the archive holds exactly the folders, hostile names literal, excludes applied, no file created by a name', async () => {
    const backup = await w.job(jobs.find((j) => j.type === 'backup').id);
    assert.ok(archiveNames().includes(backup.archive_name));
    const paths = archivePaths(backup.archive_name);
    for (const [i, name] of HOSTILE.entries()) assert.ok(paths.includes(path.join(src, name, 'sub', `file-${i}.txt`).slice(1)), `${name} backed up`);
    assert.ok(!paths.some((p) => p.endsWith('.tmp')), 'excludes applied');
    assert.equal(backup.file_count, HOSTILE.length);
    assert.ok(backup.original_size > 0);
    // $(touch PWNED) never ran: neither where borg ran nor where the relay ran.
    for (const dir of ['/', w.root, src, '/tmp']) assert.throws(() => readFileSync(path.join(dir, 'PWNED')));
    assert.throws(() => readFileSync('/tmp/PWNED-sys'));
  });

  test('a relaunch makes a second archive and its prune keeps exactly one a day', async () => {
    const r = await w.api('POST', `/jobs/${jobs.find((j) => j.type === 'backup').id}/relaunch`);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const again = r.body.jobs;
    assert.deepEqual(again.map((j) => j.type).sort(), ['backup', 'compact', 'prune']);
    for (const j of again) assert.equal((await w.waitJob(j.id)).status, 'successful', await w.stdoutText(j.id));
    const files = archiveNames().filter((n) => n.startsWith('folders-'));
    assert.equal(files.length, 1, `keep_daily=1 keeps one: ${files}`);
    assert.equal(files[0], (await w.job(again.find((j) => j.type === 'backup').id)).archive_name);
  });
});

describe('nothing leaks', () => {
  test('the passphrase is in no job output, API response, or the relay log', async () => {
    const all = (await w.api('GET', '/jobs?page_size=100')).body.results;
    assert.ok(all.length >= 5);
    for (const j of all) {
      const text = await w.stdoutText(j.id);
      assert.ok(!text.includes(PASSPHRASE), `job ${j.id} output`);
      assert.ok(!JSON.stringify(await w.job(j.id)).includes(PASSPHRASE));
    }
    assert.ok(!JSON.stringify((await w.api('GET', `/repositories/${repo.id}`)).body).includes(PASSPHRASE));
    assert.ok(!w.relayLog().includes(PASSPHRASE));
    assert.ok(w.relayLog().length > 0);
  });
});
