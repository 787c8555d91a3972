/**
 * Real database servers for system tests, each a throwaway instance in its own temp dir,
 * started and stopped by the test (never the machine's own service):
 * - MariaDB (Debian's mariadb-server): listens on 127.0.0.1 at a free port and on its own
 *   socket; root logs in over that socket (unix_socket authentication).
 * - PostgreSQL (Debian's postgresql): runs as the `postgres` user, listens only on a unix
 *   socket in its temp dir (owned by postgres, mode 0700), peer authentication: only the OS
 *   user postgres gets in, as the database user postgres.
 * The binaries are found by absolute path (/usr/sbin is not on every user's PATH).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../relay/ssh/test-sshd.ts';

function find(what, candidates, pkg) {
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`${what} not found (looked for ${candidates.join(', ')}): install the Debian package ${pkg}`);
  return found;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves when `ready()` is true; rejects if the process exits first or after `timeoutMs` (a start that hangs). */
async function until(ready, child, what, log, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${log()}`);
    if (ready()) return;
    if (Date.now() > deadline) throw new Error(`${what} was not ready after ${timeoutMs / 1000} s:\n${log()}`);
    await sleep(200);
  }
}

function stopper(child, signal, dir) {
  let stopping;
  const kill = (sig) => {
    try {
      child.kill(sig);
    } catch {
      /* gone */
    }
  };
  const onExit = () => kill('SIGKILL');
  process.once('exit', onExit);
  return () =>
    (stopping ??= (async () => {
      process.off('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        kill(signal);
        const timer = setTimeout(() => kill('SIGKILL'), 60_000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    })());
}

export async function startMariaDb() {
  const mariadbd = find('mariadbd', ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'], 'mariadb-server');
  const installDb = find('mariadb-install-db', ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'], 'mariadb-server');
  const client = find('the mariadb client', ['/usr/bin/mariadb', '/usr/bin/mysql'], 'mariadb-client');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'borg-mariadb-'));
  const datadir = path.join(dir, 'data');
  const socket = path.join(dir, 'mysqld.sock');
  const errorLog = path.join(dir, 'error.log');
  const user = os.userInfo().username;
  // --no-defaults everywhere: nothing from /etc/mysql (its socket, its datadir) applies.
  execFileSync(installDb, ['--no-defaults', `--datadir=${datadir}`, `--user=${user}`, '--auth-root-authentication-method=socket', '--skip-test-db'], { stdio: 'pipe' });

  const sql = (text, { database } = {}) =>
    execFileSync(client, ['--no-defaults', `--socket=${socket}`, '--user=root', '--batch', '--skip-column-names', '--default-character-set=utf8mb4', ...(database ? [`--database=${database}`] : [])], {
      input: text,
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    }).toString('utf8');
  const answers = () => {
    try {
      sql('SELECT 1');
      return true;
    } catch {
      return false;
    }
  };
  const log = () => spawnSync('tail', ['-n', '30', errorLog], { encoding: 'utf8' }).stdout ?? '';

  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort(); // another process may take it first: then mariadbd exits and we retry
    const child = spawn(
      mariadbd,
      [
        '--no-defaults',
        `--datadir=${datadir}`,
        `--socket=${socket}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        '--skip-name-resolve',
        `--user=${user}`,
        `--pid-file=${path.join(dir, 'mariadbd.pid')}`,
        `--log-error=${errorLog}`,
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_general_ci',
        '--innodb-buffer-pool-size=32M',
      ],
      { stdio: 'ignore' },
    );
    try {
      await until(answers, child, 'mariadbd', log);
      return { port, socket, dir, sql, stop: stopper(child, 'SIGTERM', dir) };
    } catch (e) {
      lastError = e;
      child.kill('SIGKILL');
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

/** The newest /usr/lib/postgresql/<version>/bin (15 on Debian 12). */
function postgresBin() {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(path.join(base, v, 'bin', 'postgres'))) : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL server under ${base}: install the Debian package postgresql`);
  return path.join(base, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

export async function startPostgres() {
  const bin = postgresBin();
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'borg-pg-')); // mode 0700
  chownSync(dir, uid, gid);
  const data = path.join(dir, 'data');
  const port = await freePort(); // only names the socket (.s.PGSQL.<port>): no TCP listener
  const asPostgres = { uid, gid, cwd: dir, env: { PATH: process.env.PATH, LANG: 'C.UTF-8', PGHOST: dir, PGPORT: String(port) } };
  const init = spawnSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth-local=peer', '--auth-host=reject', '-E', 'UTF8', '--locale=C.UTF-8'], { ...asPostgres, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb: ${init.stdout}${init.stderr}`);

  let output = '';
  const child = spawn(path.join(bin, 'postgres'), ['-D', data, '-k', dir, '-p', String(port), '-c', 'listen_addresses=', '-c', 'fsync=off'], { ...asPostgres, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [child.stdout, child.stderr]) s.on('data', (c) => (output = (output + c).slice(-20_000)));

  /** psql as postgres; `input` is SQL (or a whole dump); returns stdout. */
  const psql = (input, database = 'postgres') => {
    const r = spawnSync(path.join(bin, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-A', '-t', '-d', database], { ...asPostgres, input, maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`psql -d ${JSON.stringify(database)}: exit ${r.status}: ${r.stderr}`);
    return r.stdout.toString('utf8');
  };
  const answers = () => {
    try {
      psql('SELECT 1');
      return true;
    } catch {
      return false;
    }
  };
  await until(answers, child, 'postgres', () => output);
  // SIGINT: PostgreSQL's fast shutdown.
  return { dir, port, psql, uid, gid, stop: stopper(child, 'SIGINT', dir) };
}

/** A PostgreSQL identifier, double-quoted. */
export const pgIdent = (name) => `"${name.replaceAll('"', '""')}"`;
/** A MariaDB identifier, in backticks. */
export const myIdent = (name) => `\`${name.replaceAll('`', '``')}\``;
/** A SQL string literal (standard_conforming_strings; MariaDB without NO_BACKSLASH_ESCAPES needs backslashes doubled too). */
export const pgString = (s) => `'${s.replaceAll("'", "''")}'`;
export const myString = (s) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
