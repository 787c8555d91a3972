/**
 * Operations with real parts (wrangler dev with local D1 and Durable Objects, the relay as its
 * own process, a real sshd on 127.0.0.1, Debian's borg), all through the public API:
 * - check: `POST /repositories/{id}/check` plain and with verify_data succeeds on a sound
 *   repository; on a repository corrupted on purpose (bytes overwritten in a data segment) the
 *   check job fails and says why.
 * - restore: chosen paths with hostile names restored byte for byte and nothing else; a dry run
 *   writes nothing but lists the paths; restore by repository and archive name.
 * - cancel: a running backup (a piped command that sleeps, so borg create holds the repository
 *   lock) ends canceled, leaves no process on the host, releases the lock, its prune and
 *   compact never run, and the next backup on the repository succeeds.
 * - the readiness curl of a prepare works once and only once (relay stopped, so only the curl
 *   can mark the client ready), any other token is 404.
 * - the repository passphrase is nowhere: not in the Worker's local storage (D1 and Durable
 *   Object SQLite files, WAL included), the relay's files and log, the job outputs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { quote } from '../../shared/shell-quote.ts';
import { archiveNames, assertNoPwned, assertNowhere } from './support/backup-checks.mjs';
import { launch, startBackupWorld, waitFor } from './support/backup-world.mjs';

const PORT = 8786;
const TAG = randomBytes(8).toString('hex');
// Distinctive, so finding it (or its random part) anywhere means it leaked.
const SECRET = randomBytes(12).toString('hex');
const PASSPHRASE = `ops-${SECRET}-secret $(touch PWNED) 'q' \`x\` ü ;`;
let w;
let client;
let repo;
let schedule;
let src;
let backup; // a successful folders backup of src into repo

// Names a shell, a glob or an option parser would misread, and names that only a glob would match.
const CHOSEN_FILES = ["it's \"q\".txt", '-leading dash', 'with  two spaces.txt', 'ünï cødé 日本.txt', 'glob*[x]?'];
const CHOSEN_DIR = '$(touch PWNED)';
const NOT_CHOSEN = ['globAxZ', 'glob-other', 'plain.txt', 'leading dash'];

before(async () => {
  w = await startBackupWorld({ port: PORT });
  client = await w.client();
  repo = await w.repository('ops', PASSPHRASE);
  schedule = (await w.api('POST', '/schedules', { name: 'never', crontab: '0 3 1 1 *', timezone: 'UTC' })).body;
  src = path.join(w.root, 'src');
  mkdirSync(path.join(src, CHOSEN_DIR, 'sub'), { recursive: true });
  for (const name of [...CHOSEN_FILES, ...NOT_CHOSEN]) writeFileSync(path.join(src, name), Buffer.concat([Buffer.from(`${name}\n`), randomBytes(5000)]));
  writeFileSync(path.join(src, CHOSEN_DIR, 'inner.bin'), randomBytes(70_000));
  writeFileSync(path.join(src, CHOSEN_DIR, 'sub', "deep 'one'"), 'deep\n');
  // The first launch prepares the repository and the client, then backs up.
  const p = await policy('files', repo, { type: 'folders', options: { folders: [src] } });
  for (const j of await launch(w.api, p.id)) {
    const done = await w.waitJob(j.id);
    assert.equal(done.status, 'successful', `${j.type}: ${done.explanation}\n${await w.stdoutText(j.id)}`);
    if (j.type === 'backup') backup = done;
  }
  assert.ok(backup?.archive_name);
});

after(async () => {
  await w?.stop();
});

let n = 0;
async function policy(name, repository, fields) {
  const r = await w.api('POST', '/policies', {
    name: `${name}-${++n}`,
    schedule: schedule.id,
    repository: repository.id,
    clients: [client.id],
    catalog_enabled: false,
    ...fields,
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function runCheck(repository, body) {
  const r = await w.api('POST', `/repositories/${repository.id}/check`, body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.job.type, 'check');
  return w.waitJob(r.body.job.id, 300_000);
}

/** Every entry under `dir` (relative, '/'-separated), with `/` after directories. */
function tree(dir) {
  const out = [];
  const walk = (d, rel) => {
    for (const name of readdirSync(d)) {
      const full = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if (lstatSync(full).isDirectory()) {
        out.push(`${r}/`);
        walk(full, r);
      } else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** Every regular file under `dir`, recursively (symlinks not followed). */
function filesUnder(dir) {
  const out = [];
  const walk = (d) => {
    let names;
    try {
      names = readdirSync(d);
    } catch {
      return; // gone meanwhile
    }
    for (const name of names) {
      const full = path.join(d, name);
      let st;
      try {
        st = lstatSync(full);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) out.push(full);
    }
  };
  walk(dir);
  return out;
}

/** Pids whose command line holds `marker` (any process of this machine, this test's excluded). */
function processesWith(marker) {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(marker)) found.push({ pid: Number(name), cmdline });
    } catch {
      // ended meanwhile
    }
  }
  return found;
}

/** Command lines of the live processes started through the test sshd. */
function sshdCommands() {
  return w.sshd.processes().flatMap((pid) => {
    try {
      return [readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')];
    } catch {
      return [];
    }
  });
}

/**
 * argv of a command line made of POSIX single-quoted and plain words (what shared/shell-quote.ts
 * writes); anything else (a `$`, a backquote, a double quote outside single quotes…) is refused,
 * so nothing in it is evaluated.
 */
function parseQuoted(line) {
  const argv = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ') i++;
    if (i >= line.length) break;
    let word = '';
    while (i < line.length && line[i] !== ' ') {
      if (line[i] === "'") {
        const end = line.indexOf("'", i + 1);
        assert.ok(end !== -1, `unterminated quote in ${line}`);
        word += line.slice(i + 1, end);
        i = end + 1;
      } else if (line[i] === '\\' && line[i + 1] === "'") {
        word += "'";
        i += 2;
      } else {
        assert.match(line[i], /[A-Za-z0-9_@%+=:,./-]/, `unexpected character ${JSON.stringify(line[i])} in ${line}`);
        word += line[i++];
      }
    }
    argv.push(word);
  }
  return argv;
}

describe('check', () => {
  test('a check without a body and one with verify_data succeed on a sound repository', async () => {
    const plain = await runCheck(repo);
    assert.equal(plain.status, 'successful', `${plain.explanation}\n${await w.stdoutText(plain.id)}`);
    assert.deepEqual(plain.params, { verify_data: false });
    const plainText = await w.stdoutText(plain.id);
    assert.match(plainText, /Finished full repository check, no problems found/);
    assert.match(plainText, /Archive consistency check complete, no problems found/);
    assert.doesNotMatch(plainText, /cryptographic data integrity verification/, 'no --verify-data without verify_data');

    const verified = await runCheck(repo, { verify_data: true });
    assert.equal(verified.status, 'successful', `${verified.explanation}\n${await w.stdoutText(verified.id)}`);
    assert.deepEqual(verified.params, { verify_data: true });
    const text = await w.stdoutText(verified.id);
    // borg says so only with --verify-data.
    assert.match(text, /Finished cryptographic data integrity verification, verified \d+ chunks with 0 integrity errors/);
    assert.match(text, /Archive consistency check complete, no problems found/);
  });

  test('a repository corrupted on purpose: check with verify_data fails and says why', async () => {
    const bad = await w.repository('corrupt', PASSPHRASE);
    const data = path.join(w.root, 'corrupt-src');
    mkdirSync(data);
    writeFileSync(path.join(data, 'random.bin'), randomBytes(2_000_000));
    const p = await policy('corrupt', bad, { type: 'folders', options: { folders: [data] } });
    for (const j of await launch(w.api, p.id)) {
      const done = await w.waitJob(j.id);
      assert.equal(done.status, 'successful', `${j.type}: ${done.explanation}\n${await w.stdoutText(j.id)}`);
    }
    assert.equal((await runCheck(bad, { verify_data: true })).status, 'successful', 'sound before the damage');

    // The biggest segment holds the file's chunks: flip 256 bytes in its middle.
    const segments = filesUnder(path.join(bad.path, 'data')).map((f) => ({ f, size: statSync(f).size }));
    const { f: segment, size } = segments.sort((a, b) => b.size - a.size)[0];
    assert.ok(size > 1_000_000, `a big segment (${size} bytes)`);
    const fd = openSync(segment, 'r+');
    const at = Math.floor(size / 2);
    const bytes = Buffer.alloc(256);
    readSync(fd, bytes, 0, bytes.length, at);
    writeSync(fd, Buffer.from(bytes.map((b) => b ^ 0xff)), 0, bytes.length, at);
    closeSync(fd);

    const checked = await runCheck(bad, { verify_data: true });
    const text = await w.stdoutText(checked.id);
    assert.equal(checked.status, 'failed', `${checked.status}: ${checked.explanation}\n${text}`);
    assert.notEqual(checked.exit_code, 0);
    // borg's own words about the damage, in the explanation and in the output.
    assert.match(checked.explanation, /^borg check found problems in the repository/, checked.explanation);
    assert.match(checked.explanation, /checksum mismatch/, checked.explanation);
    assert.match(checked.explanation, /errors found/, checked.explanation);
    assert.match(text, /ERROR: Data integrity error: Segment entry checksum mismatch/);
  });
});

describe('restore', () => {
  const base = () => src.slice(1); // archive paths have no leading '/'
  const chosen = () => [...CHOSEN_FILES, CHOSEN_DIR].map((name) => path.join(src, name));

  test('chosen paths with hostile names come back byte for byte, and nothing else', async () => {
    const destination = path.join(w.root, "restored $(touch PWNED) 'q'");
    const r = await w.api('POST', '/restores', { job: backup.id, paths: chosen(), client: client.id, destination });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.job.type, 'restore');
    const done = await w.waitJob(r.body.job.id);
    assert.equal(done.status, 'successful', `${done.explanation}\n${await w.stdoutText(done.id)}`);

    const root = path.join(destination, base());
    const expectedFiles = [...CHOSEN_FILES, `${CHOSEN_DIR}/inner.bin`, `${CHOSEN_DIR}/sub/deep 'one'`];
    // Only the chosen paths: their files, the chosen folder's tree, and the parents of them.
    const ancestors = base()
      .split('/')
      .map((_, i, parts) => `${parts.slice(0, i + 1).join('/')}/`);
    const expectedTree = [...ancestors, ...expectedFiles.map((f) => `${base()}/${f}`), `${base()}/${CHOSEN_DIR}/`, `${base()}/${CHOSEN_DIR}/sub/`].sort();
    assert.deepEqual(tree(destination), expectedTree);
    for (const f of expectedFiles) assert.deepEqual(readFileSync(path.join(root, f)), readFileSync(path.join(src, f)), f);
    for (const f of NOT_CHOSEN) assert.ok(!existsSync(path.join(root, f)), `${f} was not chosen`);
    assertNoPwned([w.root, src, destination, root, path.join(root, CHOSEN_DIR)]);
  });

  test('a dry run writes nothing, succeeds, and lists the paths', async () => {
    const destination = path.join(w.root, 'dry-run-destination');
    const r = await w.api('POST', '/restores', { job: backup.id, paths: chosen(), client: client.id, destination, dry_run: true });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const done = await w.waitJob(r.body.job.id);
    const text = await w.stdoutText(done.id);
    assert.equal(done.status, 'successful', `${done.explanation}\n${text}`);
    assert.ok(!existsSync(destination), 'the destination was not even created');
    for (const f of [...CHOSEN_FILES, `${CHOSEN_DIR}/inner.bin`, `${CHOSEN_DIR}/sub/deep 'one'`]) {
      assert.ok(text.split('\n').some((l) => l.endsWith(`${base()}/${f}`)), `the output lists ${f}:\n${text}`);
    }
    for (const f of NOT_CHOSEN) assert.ok(!text.includes(`${base()}/${f}`), `the output does not list ${f}`);
  });

  test('restore by repository and archive name', async () => {
    const destination = path.join(w.root, 'by-name');
    const member = path.join(src, CHOSEN_DIR, 'inner.bin');
    const r = await w.api('POST', '/restores', { repository: repo.id, archive: backup.archive_name, paths: [member.slice(1)], client: client.id, destination });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.job.archive_name, backup.archive_name);
    const done = await w.waitJob(r.body.job.id);
    assert.equal(done.status, 'successful', `${done.explanation}\n${await w.stdoutText(done.id)}`);
    assert.deepEqual(
      tree(destination).filter((e) => !e.endsWith('/')),
      [member.slice(1)],
    );
    assert.deepEqual(readFileSync(path.join(destination, member)), readFileSync(member));
    assertNoPwned([w.root, destination]);
  });

  test('a path not in the archive fails the restore, naming it; a name like a pattern is taken literally', async () => {
    const destination = path.join(w.root, 'missing');
    // `re:.*` would match everything if borg read it as a pattern; as a literal path it is absent.
    const r = await w.api('POST', '/restores', { job: backup.id, paths: [path.join(src, 'no such file'), 're:.*'], client: client.id, destination });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const done = await w.waitJob(r.body.job.id);
    assert.equal(done.status, 'failed', `${done.explanation}\n${await w.stdoutText(done.id)}`);
    assert.match(done.explanation, /nothing restored for: .*no such file/);
    assert.match(done.explanation, /re:\.\*/);
    assert.deepEqual(tree(destination), [], 'nothing was written');
  });
});

describe('cancel', () => {
  test('a running backup is canceled: no process left, lock released, prune and compact not run, the next backup succeeds', async () => {
    const marker = `late-${TAG}`;
    const p = await policy('sleeper', repo, { type: 'piped', options: { command: `sleep 97; echo ${marker}`, stdin_name: 'late.txt' }, keep_daily: 1 });
    const jobs = await launch(w.api, p.id);
    assert.deepEqual(jobs.map((j) => j.type).sort(), ['backup', 'compact', 'prune']);
    const job = jobs.find((j) => j.type === 'backup');
    await waitFor(async () => (await w.job(job.id)).status === 'running', 60_000, 'the backup to run');
    // borg create runs the command, which sleeps: the lock is held meanwhile.
    await waitFor(async () => sshdCommands().some((c) => c.startsWith('sleep 97')) && processesWith(marker).some((p) => p.cmdline.includes('borg create')), 60_000, 'borg and the sleep on the host');
    assert.throws(
      () => w.borg(['list', '--lock-wait', '1', '--', repo.path], PASSPHRASE),
      (e) => /Failed to create\/acquire the lock/.test(String(e.stderr)),
      'the lock is held while borg create runs',
    );

    const r = await w.api('POST', `/jobs/${job.id}/cancel`);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.cancel_requested, true);
    const done = await w.waitJob(job.id, 120_000);
    assert.equal(done.status, 'canceled', `${done.status}: ${done.explanation}\n${await w.stdoutText(job.id)}`);
    assert.match(done.explanation, /cancel/i);

    // Nothing of the job is left on the host.
    await waitFor(async () => processesWith(marker).length === 0 && !sshdCommands().some((c) => c.startsWith('sleep 97')), 60_000, 'the job processes to be gone').catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(processesWith(marker))} ${JSON.stringify(sshdCommands())}`);
    });
    // The lock is released: a direct borg with a 1 s lock wait gets in, and no archive was committed.
    const names = JSON.parse(w.borg(['list', '--lock-wait', '1', '--json', '--', repo.path], PASSPHRASE).toString()).archives.map((a) => a.name);
    assert.ok(!names.includes(done.archive_name), `no archive ${done.archive_name} in ${names}`);
    assert.ok(names.includes(backup.archive_name));

    // Its prune and compact never ran.
    for (const dep of jobs.filter((j) => j.type !== 'backup')) {
      const d = await w.waitJob(dep.id, 60_000);
      assert.ok(['failed', 'canceled'].includes(d.status), `${d.type}: ${d.status}`);
      assert.equal(d.started, null, `${d.type} never started`);
      assert.match(d.explanation, new RegExp(`job ${job.id}\\b`), d.explanation);
      assert.equal((await w.stdout(dep.id)).length, 0, `${d.type} has no output`);
    }

    // The repository takes the next backup.
    const next = await policy('after-cancel', repo, { type: 'piped', options: { command: `printf 'after %s' ${quote(TAG)}`, stdin_name: 'after.txt' } });
    const [again] = await launch(w.api, next.id);
    const ok = await w.waitJob(again.id);
    assert.equal(ok.status, 'successful', `${ok.explanation}\n${await w.stdoutText(again.id)}`);
    assert.equal(w.borg(['extract', '--stdout', '--', `${repo.path}::${ok.archive_name}`, 'after.txt'], PASSPHRASE).toString(), `after ${TAG}`);
    assert.ok(archiveNames(w, repo, PASSPHRASE).includes(ok.archive_name));
  });
});

describe('readiness curl', () => {
  test('works once and only once; any other token is 404', async () => {
    await w.stopRelay();
    await waitFor(async () => (await w.api('GET', `/relays/${w.relayId}`)).body?.connected === false, 30_000, 'the relay to be seen gone');
    const c = await w.client('localhost');
    assert.equal(c.ready, false);
    const r = await w.api('POST', `/clients/${c.id}/prepare`);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const { url, curl } = r.body.readiness;
    assert.match(url, new RegExp(`^${w.system.origin}/api/v1/ready/[A-Za-z0-9_-]{43}$`));
    const argv = parseQuoted(curl);
    assert.equal(argv[0], 'curl');
    assert.equal(argv.at(-1), url);

    const first = spawnSync('curl', argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
    assert.equal(first.status, 0, first.stderr);
    assert.deepEqual(JSON.parse(first.stdout), { object: 'client', id: c.id, ready: true });
    const readied = (await w.api('GET', `/clients/${c.id}`)).body;
    assert.equal(readied.ready, true);
    // The relay is down: only the curl can have done it, and the prepare job never ran.
    assert.equal((await w.job(r.body.job.id)).status, 'pending');

    const second = spawnSync('curl', argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
    assert.equal(second.status, 22, `curl -f fails on an HTTP error: ${second.stdout} ${second.stderr}`);
    assert.match(second.stderr, /404/);
    const direct = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(direct.status, 404);
    assert.deepEqual(await w.api('GET', `/clients/${c.id}`).then((x) => x.body), readied, 'nothing changed');

    const madeUp = `${w.system.origin}/api/v1/ready/${randomBytes(32).toString('base64url')}`;
    const forged = spawnSync('curl', [...argv.slice(1, -1), madeUp], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(forged.status, 22);
    assert.match(forged.stderr, /404/);
    assert.equal((await fetch(madeUp, { method: 'POST' })).status, 404);

    // The job the relay never ran is canceled, the relay comes back for the next tests.
    assert.equal((await w.api('POST', `/jobs/${r.body.job.id}/cancel`)).status, 200);
    w.startRelay();
    await waitFor(async () => (await w.api('GET', `/relays/${w.relayId}`)).body?.connected === true, 60_000, 'the relay to reconnect');
    assert.equal((await w.api('GET', `/clients/${c.id}`)).body.ready, true);
  });
});

describe('secrets nowhere', () => {
  test('the passphrase is in no file of the Worker state, the relay or the test world, no job output, no log', async () => {
    const needles = [Buffer.from(PASSPHRASE, 'utf8'), Buffer.from(SECRET, 'utf8')];
    const scan = (dir) => {
      const files = filesUnder(dir);
      for (const f of files) {
        let data;
        try {
          data = readFileSync(f);
        } catch {
          continue; // removed meanwhile (a WAL checkpoint)
        }
        for (const needle of needles) assert.equal(data.indexOf(needle), -1, `${JSON.stringify(needle.toString())} found in ${f}`);
      }
      return files;
    };
    // The Worker's local state: D1's SQLite files and the Durable Objects' storage.
    const state = scan(w.system.stateDir);
    const sqlite = state.filter((f) => /\.sqlite(-wal|-shm)?$/.test(f));
    const d1 = sqlite.filter((f) => f.includes(`${path.sep}d1${path.sep}`));
    assert.ok(d1.length > 0, `D1 files among ${state.join(', ')}`);
    const objects = sqlite.filter((f) => !d1.includes(f));
    assert.ok(objects.length > 0, `Durable Object storage among ${state.join(', ')}`);
    // Positive controls, so the scan read the right files: the sealed passphrase is in D1, and
    // the job output the TaskManager stores (a line of the check jobs) in its storage.
    assert.ok(
      d1.some((f) => readFileSync(f).includes('sealed:v1:')),
      `sealed:v1: in the D1 files ${d1.join(', ')}`,
    );
    assert.ok(
      objects.some((f) => readFileSync(f).includes('Segment entry checksum mismatch')),
      `job output in the Durable Object files ${objects.join(', ')}`,
    );
    // The relay's files (config, spool, borg's base dir), the log, the restored and the source files.
    const relayFiles = scan(w.configDir);
    assert.ok(relayFiles.length > 0);
    assert.ok(scan(w.root).length > relayFiles.length);
    scan(w.sshd.dir);
    // Every job's output and record, the job list, the repositories and the relay log.
    await assertNowhere(w, PASSPHRASE, [`/repositories/${repo.id}`, '/repositories']);
    await assertNowhere(w, SECRET);
  });
});
