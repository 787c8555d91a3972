/**
 * Policy types with real parts, through the public API: wrangler dev (D1 + Durable Objects),
 * the relay as its own process (`relay run`), a real sshd on 127.0.0.1, Debian's borg. Every
 * archive is checked with borg run directly (list, extract --stdout).
 * - rootfs (push): the real `/` of this machine, cut down by user `re:` excludes to a marker
 *   directory made for the test; the built-in excludes keep /dev /proc /sys /tmp /run empty.
 * - config (pull): /etc through tar on the client into borg import-tar on the relay.
 * - mail (push): a file put in /var/mail for the test.
 * - piped (push and pull): binary data from a command, stored under stdin_name.
 * - a failing pre_hook aborts the backup (push and pull) and the post_hook still runs.
 * - piped refused by a relay whose operator did not allow piped commands.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { quote } from '../../shared/shell-quote.ts';
import { archiveItems, archiveNames, assertNoPwned, assertNowhere, assertSuccessful, extractFile, runPolicy } from './support/backup-checks.mjs';
import { startBackupWorld, waitFor } from './support/backup-world.mjs';

const PORT = 8793;
const PASSPHRASE = "types pass $(touch PWNED) 'q' `x` ü ;";
const TAG = randomBytes(6).toString('hex');
// Outside the test's temp dirs on purpose: rootfs excludes /tmp, mail backs up /var/mail.
const OPT_MARKER = `/opt/borg-rootfs-test-${TAG}`;
const MAIL_DIR = '/var/mail';
const MAIL_FILE = path.join(MAIL_DIR, `borg-system-test-${TAG}`);
let createdOpt = false;
let createdMailDir = false;
let w;
let client;
let pushRepo;
let pullRepo;
let schedule;
let data;

before(async () => {
  w = await startBackupWorld({ port: PORT });
  client = await w.client();
  pushRepo = await w.repository('push', PASSPHRASE);
  pullRepo = await w.repository('pull', PASSPHRASE);
  schedule = (await w.api('POST', '/schedules', { name: 'yearly', crontab: '0 3 1 1 *', timezone: 'UTC' })).body;
  data = path.join(w.root, 'data');
  mkdirSync(data);
});

after(async () => {
  await w?.stop();
  rmSync(OPT_MARKER, { recursive: true, force: true });
  if (createdOpt) rmSync('/opt', { recursive: true, force: true });
  rmSync(MAIL_FILE, { force: true });
  if (createdMailDir) rmSync(MAIL_DIR, { recursive: true, force: true });
});

const policy = (name, repo, fields) => runPolicy(w, { name, schedule: schedule.id, repository: repo.id, clients: [client.id], ...fields });
const items = (repo, archive) => archiveItems(w, repo, PASSPHRASE, archive);
const extract = (repo, archive, member) => extractFile(w, repo, PASSPHRASE, archive, member);

describe('file types', () => {
  test('rootfs (push): the marker directory byte for byte, the built-in excludes kept as empty directories', async () => {
    createdOpt = !existsSync('/opt');
    mkdirSync(path.join(OPT_MARKER, 'sub'), { recursive: true });
    const marker = randomBytes(150_000);
    writeFileSync(path.join(OPT_MARKER, 'sub', 'marker.bin'), marker);
    // Everything at the top but the mount points and /opt, and everything in /opt but the marker.
    const excludes = ['re:^(?!(dev|proc|sys|tmp|run|opt)(/|$))[^/]', `re:^opt/(?!${path.basename(OPT_MARKER)}(/|$))`];
    const { backup } = await policy('rootfs', pushRepo, { type: 'rootfs', options: { excludes } });
    await assertSuccessful(w, backup);
    const listed = items(pushRepo, backup.archive_name);
    const rel = OPT_MARKER.slice(1);
    assert.deepEqual(
      listed.map((i) => `${i.type} ${i.path}`),
      ['d .', 'd dev', 'd opt', `d ${rel}`, `d ${rel}/sub`, `- ${rel}/sub/marker.bin`, 'd proc', 'd run', 'd sys', 'd tmp'],
    );
    for (const mount of ['dev', 'proc', 'sys', 'tmp', 'run']) assert.ok(!listed.some((i) => i.path.startsWith(`${mount}/`)), `nothing below /${mount}`);
    assert.deepEqual(extract(pushRepo, backup.archive_name, `${rel}/sub/marker.bin`), marker);
    assert.equal(backup.file_count, 1);
  });

  test('config (pull): /etc through tar and import-tar; files byte for byte, a symlink as a symlink', async () => {
    const { backup } = await policy('config', pullRepo, { type: 'config', mode_pull: true, options: {} });
    await assertSuccessful(w, backup);
    assert.match(await w.stdoutText(backup.id), /pull mode/);
    const listed = items(pullRepo, backup.archive_name);
    assert.ok(listed.every((i) => i.path === 'etc' || i.path.startsWith('etc/')), 'only /etc');
    for (const f of ['etc/hostname', 'etc/passwd']) assert.deepEqual(extract(pullRepo, backup.archive_name, f), readFileSync(`/${f}`), f);
    // Debian's /etc/os-release is a symlink to ../usr/lib/os-release.
    const link = listed.find((i) => i.path === 'etc/os-release');
    assert.equal(link?.type, 'l');
    assert.equal(link.source, readlinkSync('/etc/os-release'));
  });

  test('mail (push): a file in /var/mail byte for byte, nothing outside the mail spools', async () => {
    createdMailDir = !existsSync(MAIL_DIR);
    mkdirSync(MAIL_DIR, { recursive: true });
    const mail = Buffer.concat([Buffer.from(`From test@example.com\nSubject: ${TAG} ü\n\n`), randomBytes(20_000)]);
    writeFileSync(MAIL_FILE, mail);
    const { backup } = await policy('mail', pushRepo, { type: 'mail', options: {} });
    await assertSuccessful(w, backup);
    const listed = items(pushRepo, backup.archive_name);
    assert.ok(listed.some((i) => i.path === MAIL_FILE.slice(1)));
    // /var/spool/mail is a symlink to /var/mail on Debian: skipped, not stored twice.
    assert.ok(listed.every((i) => /^var\/(mail|lib\/mail)(\/|$)/.test(i.path)), listed.map((i) => i.path).join(', '));
    assert.deepEqual(extract(pushRepo, backup.archive_name, MAIL_FILE.slice(1)), mail);
  });
});

describe('piped', () => {
  let blob;
  before(() => {
    blob = path.join(data, 'blob.bin');
    writeFileSync(blob, randomBytes(100_000));
  });

  for (const mode of ['push', 'pull']) {
    test(`piped (${mode}): the command's binary stdout is the one file, under stdin_name`, async () => {
      const repo = mode === 'pull' ? pullRepo : pushRepo;
      const name = `piped-${mode}.bin`;
      const { backup } = await policy(`piped ${mode}`, repo, { type: 'piped', mode_pull: mode === 'pull', options: { command: `cat -- ${quote(blob)}`, stdin_name: name } });
      await assertSuccessful(w, backup);
      assert.match(await w.stdoutText(backup.id), new RegExp(`${mode} mode`));
      assert.deepEqual(items(repo, backup.archive_name).map((i) => i.path), [name]);
      assert.deepEqual(extract(repo, backup.archive_name, name), readFileSync(blob));
    });
  }
});

describe('hooks', () => {
  for (const mode of ['push', 'pull']) {
    test(`a failing pre_hook (${mode}) aborts the backup; the post_hook runs and is told "failure"`, async () => {
      const repo = mode === 'pull' ? pullRepo : pushRepo;
      const src = path.join(data, `hook-src-${mode}`);
      mkdirSync(src);
      writeFileSync(path.join(src, 'f.txt'), 'not backed up');
      const ran = path.join(data, `pre-hook-ran-${mode}`);
      const marker = path.join(data, `post-hook-${mode}`);
      const { backup } = await policy(`hooks ${mode}`, repo, {
        type: 'folders',
        mode_pull: mode === 'pull',
        options: { folders: [src] },
        pre_hook: `echo "pre_hook of the test ran" >&2; : > ${quote(ran)}; exit 3`,
        post_hook: `printf '%s %s' "$BORG_ORCH_STATUS" "$BORG_ORCH_EXIT" > ${quote(marker)}`,
      });
      assert.equal(backup.status, 'failed', backup.explanation);
      assert.equal(backup.exit_code, 96);
      assert.match(backup.explanation, /pre_hook/);
      const out = await w.stdoutText(backup.id);
      assert.match(out, /pre_hook of the test ran/);
      assert.ok(existsSync(ran), 'the pre_hook ran on the client');
      assert.equal(readFileSync(marker, 'utf8'), 'failure 96', 'the post_hook ran after the failed pre_hook');
      assert.ok(!archiveNames(w, repo, PASSPHRASE).includes(backup.archive_name), 'no archive made');
    });
  }
});

describe('a relay that does not allow piped commands', () => {
  const connected = async () => (await w.api('GET', `/relays/${w.relayId}`)).body?.connected;
  before(async () => {
    await w.stopRelay();
    await waitFor(async () => (await connected()) === false, 30_000, 'the relay to be seen gone');
    w.startRelay({ RELAY_ALLOW_PIPED: '0' });
    await waitFor(async () => (await connected()) === true, 30_000, 'the relay to connect again');
  });

  test('refuses a piped policy; the job fails saying why; no archive', async () => {
    const ran = path.join(data, 'piped-ran');
    const repo = await w.repository('refused', PASSPHRASE);
    const { backup } = await policy('piped refused', repo, { type: 'piped', options: { command: `: > ${quote(ran)}; echo data`, stdin_name: 'refused.bin' } });
    assert.equal(backup.status, 'failed');
    assert.match(backup.explanation, /Piped commands are not allowed/);
    assert.ok(!existsSync(ran), 'the command never ran');
    assert.deepEqual(archiveNames(w, repo, PASSPHRASE), [], 'no archive');
  });
});

describe('nothing leaks, nothing hostile ran', () => {
  test('the passphrase is in no job output, job record, repository response, or the relay log; no PWNED', async () => {
    await assertNowhere(w, PASSPHRASE, [`/repositories/${pushRepo.id}`, `/repositories/${pullRepo.id}`]);
    assertNoPwned([w.root, data]);
  });
});
