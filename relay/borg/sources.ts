/**
 * What a backup reads, per policy type, from the validated options of the job: paths with
 * excludes, one command whose stdout is the data, or guests of a hypervisor. The options
 * are parsed again with the shared schemas (shared/policy-options.ts): the relay refuses
 * what the edge would have refused.
 */
import { ROOTFS_BUILTIN_EXCLUDES } from '../../shared/domain';
import type { JobSpec } from '../../shared/jobspec';
import { policyOptionSchemas, type PolicyOptionsInput } from '../../shared/policy-options';
import { ScriptError, type StdinSecret } from './remote-script';

export type BackupSpec = Extract<JobSpec, { kind: 'backup' }>;

export type Source =
  /** Fixed paths (rootfs, config, folders). */
  | { kind: 'paths'; paths: string[]; excludes: string[] }
  /** Candidate paths of which only the existing real directories are backed up (mail). */
  | { kind: 'existing-dirs'; candidates: string[]; excludes: string[] }
  /** One command's stdout stored as one file (mysql, postgresql, piped). */
  | { kind: 'stream'; fileName: string; argv: string[]; secrets: StdinSecret[] }
  /** Proxmox guests, one `vzdump --stdout` stream each. */
  | { kind: 'proxmox'; vmids: number[] | 'all' }
  /** libvirt domains through a disk-only snapshot. */
  | { kind: 'vm'; domains: string[] | 'running' };

/**
 * rootfs keeps the mount-point directories themselves (so a restored system has its /dev,
 * /proc, /tmp …) and drops what is inside: `fm:<path>/*`. No `--one-file-system`: separate
 * /home, /var or /boot filesystems are common and would be skipped silently; the pseudo
 * filesystems are what the built-in excludes are for.
 */
export const ROOTFS_EXCLUDES: readonly string[] = ROOTFS_BUILTIN_EXCLUDES.map((p) => `fm:${p}/*`);

/**
 * Mail spools: /var/mail and /var/lib/mail as the policy says, and /var/spool/mail, which is
 * the real directory where /var/mail is a symlink (Red Hat). Symlinks are skipped (borg would
 * store only the link); a host where none is a real directory fails with a message.
 */
export const MAIL_CANDIDATES: readonly string[] = ['/var/mail', '/var/spool/mail', '/var/lib/mail'];

/** The user pg_dump / pg_dumpall run as (through runuser, which takes argv: no second shell parse). */
export const POSTGRES_USER = 'postgres';

function parseOptions<T extends keyof typeof policyOptionSchemas>(type: T, raw: unknown): PolicyOptionsInput<T> {
  const result = policyOptionSchemas[type].safeParse(raw ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
    throw new ScriptError(`Invalid ${type} options: ${issues}`);
  }
  return result.data as PolicyOptionsInput<T>;
}

/** A name used as a file name inside the archive: no `/` (a db name may hold one in PostgreSQL). */
function fileNamePart(name: string): string {
  const safe = name.replaceAll('/', '_');
  return safe === '.' || safe === '..' ? `_${safe}` : safe;
}

/**
 * libpq reads a database name holding `=` or starting with a URI prefix as a connection
 * string (it could name another host); such names are refused rather than escaped.
 */
function checkPostgresName(db: string): string {
  if (db.includes('=') || /^postgres(ql)?:\/\//i.test(db)) {
    throw new ScriptError(`The database name ${JSON.stringify(db)} would be read by libpq as a connection string; rename it or back it up with a piped policy.`);
  }
  if (db.startsWith('-')) throw new ScriptError(`A database name cannot start with "-": ${JSON.stringify(db)}.`);
  return db;
}

function mysqlSource(spec: BackupSpec): Source {
  const options = parseOptions('mysql', spec.options);
  if (options.password != null || options.password_sealed != null) {
    throw new ScriptError('The mysql options hold a password in clear; job specs carry passwords only in sealedSecrets.');
  }
  const key = String(spec.client.clientId);
  const own = options.per_client[key];
  if (own && (own.password != null || own.password_sealed != null)) {
    throw new ScriptError('The mysql per-client options hold a password in clear; job specs carry passwords only in sealedSecrets.');
  }
  // A per-client entry overrides the policy's values field by field.
  const user = own?.user ?? options.user;
  const port = own?.port ?? options.port;
  const databases = own?.databases ?? options.databases ?? [];
  const sealed = spec.sealedSecrets[`per_client.${key}.password`] ?? spec.sealedSecrets.password;
  for (const db of databases) if (db.startsWith('-')) throw new ScriptError(`A database name cannot start with "-": ${JSON.stringify(db)}.`);

  // --single-transaction: a consistent InnoDB snapshot without locking; --routines/--events:
  // a dump that restores the whole database, not only its tables. Listed databases go in
  // one stream (`--databases`, one transaction across them, with CREATE DATABASE/USE).
  const argv = ['mysqldump', '--single-transaction', '--routines', '--events'];
  if (user !== undefined) argv.push(`--user=${user}`);
  // With a port, connect over TCP: for "localhost" the client would use the socket and ignore it.
  if (port !== undefined) argv.push('--protocol=TCP', `--port=${port}`);
  if (databases.length === 0) argv.push('--all-databases');
  else argv.push('--databases', '--', ...databases);
  const fileName = databases.length === 0 ? 'mysql-all-databases.sql' : databases.length === 1 ? `${fileNamePart(databases[0]!)}.sql` : 'mysql-databases.sql';
  return { kind: 'stream', fileName, argv, secrets: sealed ? [{ env: 'MYSQL_PWD', sealed }] : [] };
}

function postgresSource(spec: BackupSpec): Source {
  const options = parseOptions('postgresql', spec.options);
  const own = options.per_client[String(spec.client.clientId)];
  const databases = (own?.databases ?? options.databases).map(checkPostgresName);
  // runuser takes argv and runs it as postgres: no second shell parse (su -c would need one).
  const asPostgres = ['runuser', '-u', POSTGRES_USER, '--'];
  if (databases.length === 0) return { kind: 'stream', fileName: 'pg_dumpall.sql', argv: [...asPostgres, 'pg_dumpall'], secrets: [] };
  if (databases.length === 1) {
    return { kind: 'stream', fileName: `${fileNamePart(databases[0]!)}.sql`, argv: [...asPostgres, 'pg_dump', '--create', '--', databases[0]!], secrets: [] };
  }
  // Several databases: one plain-SQL stream of `pg_dump --create` dumps one after the other
  // (each starts with CREATE DATABASE and \connect, like pg_dumpall's), stopping at the first
  // failure; restored with `psql -f <file> postgres`. The database names are passed as
  // arguments of a constant script, never pasted into it.
  const loop = 'for db do pg_dump --create -- "$db" || exit; done';
  return {
    kind: 'stream',
    fileName: 'postgresql-databases.sql',
    argv: [...asPostgres, '/bin/sh', '-c', loop, 'borg-orchestrator-pg_dump', ...databases],
    secrets: [],
  };
}

/** The source of a backup job, or a ScriptError naming what is wrong. */
export function resolveSource(spec: BackupSpec, allowPipedCommands: boolean): Source {
  const clientKey = String(spec.client.clientId);
  switch (spec.policyType) {
    case 'rootfs': {
      const { excludes } = parseOptions('rootfs', spec.options);
      return { kind: 'paths', paths: ['/'], excludes: [...ROOTFS_EXCLUDES, ...excludes] };
    }
    case 'config': {
      const { excludes } = parseOptions('config', spec.options);
      return { kind: 'paths', paths: ['/etc'], excludes };
    }
    case 'mail': {
      const { excludes } = parseOptions('mail', spec.options);
      return { kind: 'existing-dirs', candidates: [...MAIL_CANDIDATES], excludes };
    }
    case 'folders': {
      const { folders, excludes } = parseOptions('folders', spec.options);
      return { kind: 'paths', paths: folders, excludes };
    }
    case 'mysql':
      return mysqlSource(spec);
    case 'postgresql':
      return postgresSource(spec);
    case 'piped': {
      const { command, stdin_name } = parseOptions('piped', spec.options);
      if (!allowPipedCommands) {
        throw new ScriptError("Piped commands are not allowed by this relay's configuration; its operator can allow them.");
      }
      return { kind: 'stream', fileName: stdin_name, argv: ['/bin/sh', '-c', command], secrets: [] };
    }
    case 'proxmox': {
      const { vmids } = parseOptions('proxmox', spec.options);
      const own = vmids[clientKey];
      return { kind: 'proxmox', vmids: own && own.length > 0 ? [...new Set(own)] : 'all' };
    }
    case 'vm': {
      const { domains } = parseOptions('vm', spec.options);
      const own = domains[clientKey];
      if (own) for (const d of own) if (d.startsWith('-')) throw new ScriptError(`A domain name cannot start with "-": ${JSON.stringify(d)}.`);
      return { kind: 'vm', domains: own && own.length > 0 ? [...new Set(own)] : 'running' };
    }
  }
}
