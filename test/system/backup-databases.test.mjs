/**
 * Database policy types with real parts, through the public API: wrangler dev, the relay as
 * its own process, a real sshd on 127.0.0.1, Debian's borg, and REAL database servers started
 * by this test in temp dirs (test/system/support/databases.mjs):
 * - MariaDB on 127.0.0.1 at a free port; the policy's user has a hostile password, which the
 *   API seals (write-only) and which must appear nowhere (outputs, API, relay log).
 * - PostgreSQL 15 on a unix socket only, peer authentication. The relay runs
 *   `runuser -u postgres -- pg_dump …` on the client; libpq finds this server through
 *   PGHOST (the socket directory) and PGPORT, set for the relay's SSH sessions by
 *   startBackupWorld's `sessionEnv` (authorized_keys `environment=` options, allowed by
 *   `PermitUserEnvironment PGHOST,PGPORT`): runuser without --login keeps the environment.
 * Each dump is taken out of the archive with borg, loaded into a fresh database (the
 * originals dropped first) and the tables compared with what they held before.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { archiveItems, assertNoPwned, assertNowhere, assertSuccessful, extractFile, runPolicy } from './support/backup-checks.mjs';
import { startBackupWorld } from './support/backup-world.mjs';
import { myIdent, myString, pgIdent, pgString, startMariaDb, startPostgres } from './support/databases.mjs';

const PORT = 8792;
const PASSPHRASE = "db pass $(touch PWNED) 'q' `x` ü ;";
const MY_PASSWORD = `my pw 'q' "dq" $(touch PWNED) \`id\` ü ;\\ end`;
const MY_DB = `it's "q" $(touch PWNED) ü;`;
const PG_DB = `it's "q" $(touch PWNED) ü; db`;
const SECOND_DB = 'second db';
const TEXT = `quote ' dq " backslash \\ tab \t newline \n $(touch PWNED) \`id\` ü 😀`;
let my;
let pg;
let w;
let client;
let repos;
let schedule;

const myTables = (db) => {
  const q = (t) => `${myIdent(db)}.${myIdent(t)}`;
  return [
    `CREATE DATABASE ${myIdent(db)} CHARACTER SET utf8mb4;`,
    `CREATE TABLE ${q('t 1')} (id INT PRIMARY KEY, s TEXT, b BLOB, n INT NULL);`,
    `INSERT INTO ${q('t 1')} VALUES (1, ${myString(TEXT)}, X'00FF0A0D275C22', NULL), (2, ${myString(db)}, NULL, 5);`,
    `CREATE TABLE ${q("t'2")} (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(100));`,
    `INSERT INTO ${q("t'2")} (v) SELECT CONCAT('row ', seq) FROM ${myIdent(db)}.seq_1_to_1000;`,
  ].join('\n');
};
/** What a MariaDB database holds: its tables, their definitions and rows (binary as hex). */
const myContents = (db) =>
  my.sql(
    [
      'SET SESSION group_concat_max_len = 1000000;',
      'SHOW TABLES;',
      `SHOW CREATE TABLE ${myIdent(db)}.${myIdent('t 1')};`,
      `SELECT id, HEX(s), HEX(b), n FROM ${myIdent(db)}.${myIdent('t 1')} ORDER BY id;`,
      `SELECT COUNT(*), MD5(GROUP_CONCAT(id, v ORDER BY id)) FROM ${myIdent(db)}.${myIdent("t'2")};`,
    ].join('\n'),
    { database: db },
  );

const pgTables = (db) =>
  pg.psql(
    [
      'CREATE TABLE "t 1" (id int PRIMARY KEY, s text, b bytea, n int);',
      `INSERT INTO "t 1" VALUES (1, ${pgString(TEXT)}, '\\x00ff0a0d275c22', NULL), (2, ${pgString(db)}, NULL, 5);`,
      'CREATE TABLE "t\'2" (id serial PRIMARY KEY, v text);',
      `INSERT INTO "t'2" (v) SELECT 'row ' || i FROM generate_series(1, 1000) i;`,
    ].join('\n'),
    db,
  );
const pgContents = (db) =>
  pg.psql(
    [
      "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2;",
      'COPY (SELECT * FROM "t 1" ORDER BY id) TO STDOUT;',
      'COPY (SELECT * FROM "t\'2" ORDER BY id) TO STDOUT;',
    ].join('\n'),
    db,
  );
const pgDatabases = () => pg.psql('SELECT datname FROM pg_database ORDER BY 1').split('\n').filter(Boolean);

before(async () => {
  my = await startMariaDb();
  pg = await startPostgres();
  my.sql(
    [
      `CREATE USER 'backup'@'127.0.0.1' IDENTIFIED BY ${myString(MY_PASSWORD)};`,
      "GRANT SELECT, SHOW VIEW, TRIGGER, LOCK TABLES, EVENT ON *.* TO 'backup'@'127.0.0.1';",
      myTables(MY_DB),
      myTables(SECOND_DB),
    ].join('\n'),
  );
  for (const db of [PG_DB, SECOND_DB]) {
    pg.psql(`CREATE DATABASE ${pgIdent(db)};`);
    pgTables(db);
  }
  w = await startBackupWorld({ port: PORT, sessionEnv: { PGHOST: pg.dir, PGPORT: String(pg.port) } });
  client = await w.client();
  repos = {};
  for (const name of ['push', 'pull', 'all']) repos[name] = await w.repository(name, PASSPHRASE);
  schedule = (await w.api('POST', '/schedules', { name: 'yearly', crontab: '0 3 1 1 *', timezone: 'UTC' })).body;
});

after(async () => {
  await w?.stop();
  await my?.stop();
  await pg?.stop();
});

const policy = (name, repo, fields) => runPolicy(w, { name, schedule: schedule.id, repository: repo.id, clients: [client.id], ...fields });
const items = (repo, archive) => archiveItems(w, repo, PASSPHRASE, archive).map((i) => i.path);
const extract = (repo, archive, member) => extractFile(w, repo, PASSPHRASE, archive, member);

describe('mysql (MariaDB)', () => {
  const cases = [
    { mode: 'push', databases: [MY_DB], file: `${MY_DB}.sql` },
    { mode: 'pull', databases: [MY_DB, SECOND_DB], file: 'mysql-databases.sql' },
  ];
  for (const { mode, databases, file } of cases) {
    test(`${mode}: mysqldump with a sealed hostile password; the dump restores into fresh databases with the same tables`, async () => {
      const before = Object.fromEntries(databases.map((db) => [db, myContents(db)]));
      const { policy: p, backup } = await policy(`mysql ${mode}`, repos[mode], {
        type: 'mysql',
        mode_pull: mode === 'pull',
        options: { user: 'backup', password: MY_PASSWORD, port: my.port, databases },
      });
      assert.equal(p.options.has_password, true);
      assert.ok(!JSON.stringify(p).includes(MY_PASSWORD), 'the create response holds no password');
      await assertSuccessful(w, backup);
      assert.match(await w.stdoutText(backup.id), new RegExp(`${mode} mode`));
      assert.deepEqual(items(repos[mode], backup.archive_name), [file]);
      const dump = extract(repos[mode], backup.archive_name, file);
      assert.match(dump.toString('utf8', 0, 400), /MariaDB dump/);

      for (const db of databases) my.sql(`DROP DATABASE ${myIdent(db)};`);
      const left = my.sql('SHOW DATABASES;');
      for (const db of databases) assert.ok(!left.split('\n').includes(db), `${db} dropped before the restore`);
      my.sql(dump);
      for (const db of databases) assert.equal(myContents(db), before[db], `${db} restored`);
      assert.match(before[MY_DB], /\n1000\t[0-9a-f]{32}\n/, 'the compared contents hold the 1000 rows');
    });
  }
});

describe('postgresql', () => {
  const cases = [
    { mode: 'push', databases: [PG_DB], file: `${PG_DB}.sql` },
    { mode: 'pull', databases: [PG_DB, SECOND_DB], file: 'postgresql-databases.sql' },
  ];
  for (const { mode, databases, file } of cases) {
    test(`${mode}: pg_dump as postgres over the socket; the dump restores into fresh databases with the same tables`, async () => {
      const before = Object.fromEntries(databases.map((db) => [db, pgContents(db)]));
      const { backup } = await policy(`postgresql ${mode}`, repos[mode], { type: 'postgresql', mode_pull: mode === 'pull', options: { databases } });
      await assertSuccessful(w, backup);
      assert.match(await w.stdoutText(backup.id), new RegExp(`${mode} mode`));
      assert.deepEqual(items(repos[mode], backup.archive_name), [file]);
      const dump = extract(repos[mode], backup.archive_name, file);
      assert.match(dump.toString('utf8', 0, 400), /PostgreSQL database dump/);

      for (const db of databases) pg.psql(`DROP DATABASE ${pgIdent(db)};`);
      for (const db of databases) assert.ok(!pgDatabases().includes(db), `${db} dropped before the restore`);
      pg.psql(dump);
      for (const db of databases) assert.equal(pgContents(db), before[db], `${db} restored`);
      assert.ok(before[PG_DB].includes('row 1000'));
    });
  }

  test('push, no databases listed: pg_dumpall of the whole server', async () => {
    const { backup } = await policy('postgresql all', repos.all, { type: 'postgresql', options: {} });
    await assertSuccessful(w, backup);
    assert.deepEqual(items(repos.all, backup.archive_name), ['pg_dumpall.sql']);
    const dump = extract(repos.all, backup.archive_name, 'pg_dumpall.sql').toString('utf8');
    assert.match(dump, /PostgreSQL database cluster dump/);
    for (const db of [PG_DB, SECOND_DB]) assert.ok(dump.includes(`CREATE DATABASE ${pgIdent(db)}`), `${db} in the dump`);
    assert.ok(dump.includes('row 1000'));
  });
});

describe('nothing leaks, nothing hostile ran', () => {
  test('the MariaDB password and the passphrase are in no job output, job record, API response, or the relay log', async () => {
    const policies = (await w.api('GET', '/policies?page_size=100')).body.results;
    const mysql = policies.filter((p) => p.type === 'mysql');
    assert.equal(mysql.length, 2);
    const paths = ['/policies?page_size=100', ...policies.map((p) => `/policies/${p.id}`), ...Object.values(repos).map((r) => `/repositories/${r.id}`)];
    for (const secret of [MY_PASSWORD, PASSPHRASE]) await assertNowhere(w, secret, paths);
    for (const p of mysql) assert.equal((await w.api('GET', `/policies/${p.id}`)).body.options.has_password, true);
    assertNoPwned([w.root, my.dir, pg.dir, '/var/lib/postgresql']);
  });
});
