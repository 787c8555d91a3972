/**
 * Checks shared by the system tests of policy types: a policy created and launched through
 * the API (waiting for every job it made), what the archive holds (borg run directly), and
 * that nothing hostile ran and no secret leaked.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { launch } from './backup-world.mjs';

/** Creates a policy (catalog off, no retention unless given), launches it, waits for all its jobs. */
export async function runPolicy(w, fields) {
  const created = await w.api('POST', '/policies', { catalog_enabled: false, ...fields });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const jobs = [];
  for (const j of await launch(w.api, created.body.id)) jobs.push(await w.waitJob(j.id));
  const backup = jobs.find((j) => j.type === 'backup');
  assert.ok(backup, `a backup job among ${jobs.map((j) => j.type)}`);
  for (const j of jobs) {
    if (j.type !== 'backup') assert.equal(j.status, 'successful', `${j.type} job: ${j.explanation}\n${await w.stdoutText(j.id)}`);
  }
  return { policy: created.body, jobs, backup };
}

/** Asserts a backup job succeeded, with its output in the message if not. */
export async function assertSuccessful(w, job) {
  assert.equal(job.status, 'successful', `backup ${job.id}: ${job.explanation}\n${await w.stdoutText(job.id)}`);
  assert.ok(job.archive_name, 'the job names its archive');
}

/** Items of an archive (borg list --json-lines), sorted by path. */
export function archiveItems(w, repo, passphrase, archive) {
  return w
    .borg(['list', '--json-lines', '--', `${repo.path}::${archive}`], passphrase)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function archiveNames(w, repo, passphrase) {
  return JSON.parse(w.borg(['list', '--json', '--', repo.path], passphrase).toString('utf8')).archives.map((a) => a.name);
}

/** One file of an archive, byte for byte. */
export function extractFile(w, repo, passphrase, archive, member) {
  return w.borg(['extract', '--stdout', '--', `${repo.path}::${archive}`, member], passphrase);
}

/** No file named PWNED where a shell (on the client or the relay) would have created one. */
export function assertNoPwned(dirs) {
  for (const dir of ['/', process.cwd(), ...dirs]) assert.ok(!existsSync(path.join(dir, 'PWNED')), `no PWNED in ${dir}`);
}

/** `secret` appears in no job's output or record, in no listed API response, nor in the relay log. */
export async function assertNowhere(w, secret, extraResponses = []) {
  const all = (await w.api('GET', '/jobs?page_size=100')).body.results;
  assert.ok(all.length > 0);
  for (const j of all) {
    assert.ok(!(await w.stdoutText(j.id)).includes(secret), `job ${j.id} output`);
    assert.ok(!JSON.stringify(await w.job(j.id)).includes(secret), `job ${j.id} record`);
  }
  assert.ok(!JSON.stringify(all).includes(secret), 'the job list');
  for (const p of extraResponses) assert.ok(!JSON.stringify((await w.api('GET', p)).body).includes(secret), p);
  const log = w.relayLog();
  assert.ok(log.length > 0, 'the relay logged something');
  assert.ok(!log.includes(secret), 'the relay log');
}
