import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOTFS_BUILTIN_EXCLUDES } from '../../shared/domain';
import { ScriptError } from './remote-script';
import { MAIL_CANDIDATES, resolveSource, ROOTFS_EXCLUDES } from './sources';
import { backupSpec } from './test-helpers';

describe('file types', () => {
  it('rootfs: / minus the contents of every built-in exclude, then the user excludes', () => {
    assert.deepEqual(ROOTFS_EXCLUDES, ROOTFS_BUILTIN_EXCLUDES.map((p) => `fm:${p}/*`));
    assert.ok(ROOTFS_EXCLUDES.includes('fm:/proc/*') && ROOTFS_EXCLUDES.includes('fm:/lost+found/*'));
    assert.deepEqual(resolveSource(backupSpec({ policyType: 'rootfs', options: { excludes: ['/var/cache'] } }), false), {
      kind: 'paths',
      paths: ['/'],
      excludes: [...ROOTFS_EXCLUDES, '/var/cache'],
    });
  });

  it('config, folders and mail', () => {
    assert.deepEqual(resolveSource(backupSpec({ policyType: 'config', options: {} }), false), { kind: 'paths', paths: ['/etc'], excludes: [] });
    assert.deepEqual(resolveSource(backupSpec({ policyType: 'folders', options: { folders: ['/a', '/b'], excludes: ['x'] } }), false), {
      kind: 'paths',
      paths: ['/a', '/b'],
      excludes: ['x'],
    });
    assert.deepEqual(resolveSource(backupSpec({ policyType: 'mail', options: { excludes: ['*.lock'] } }), false), {
      kind: 'existing-dirs',
      candidates: [...MAIL_CANDIDATES],
      excludes: ['*.lock'],
    });
  });

  it('validates options with the shared schemas: what the edge refuses, the relay refuses', () => {
    assert.throws(() => resolveSource(backupSpec({ options: { folders: ['/a\nb'], excludes: [] } }), false), /Invalid folders options: folders\.0: Must not contain control characters/);
    assert.throws(() => resolveSource(backupSpec({ options: { folders: ['relative'] } }), false), /absolute path/);
    assert.throws(() => resolveSource(backupSpec({ options: { folders: ['/a'], unknown: 1 } }), false), ScriptError);
    assert.throws(() => resolveSource(backupSpec({ policyType: 'rootfs', options: { excludes: ['a\tb'] } }), false), /control characters/);
  });
});

describe('mysql', () => {
  const spec = (options: Record<string, unknown>, sealedSecrets: Record<string, string> = {}) => backupSpec({ policyType: 'mysql', options, sealedSecrets });

  it('all databases, no user, no password: socket auth, no secret', () => {
    assert.deepEqual(resolveSource(spec({}), false), {
      kind: 'stream',
      fileName: 'mysql-all-databases.sql',
      argv: ['mysqldump', '--single-transaction', '--routines', '--events', '--all-databases'],
      secrets: [],
    });
  });

  it('listed databases, user, port over TCP, password read from stdin as MYSQL_PWD', () => {
    assert.deepEqual(resolveSource(spec({ user: 'bk', port: 3307, databases: ['shop'] }, { password: 'sealed:v1:P' }), false), {
      kind: 'stream',
      fileName: 'shop.sql',
      argv: ['mysqldump', '--single-transaction', '--routines', '--events', '--user=bk', '--protocol=TCP', '--port=3307', '--databases', '--', 'shop'],
      secrets: [{ env: 'MYSQL_PWD', sealed: 'sealed:v1:P' }],
    });
  });

  it('a per-client entry (keyed by the client id) overrides field by field, its password too', () => {
    const s = resolveSource(
      spec({ user: 'bk', port: 3307, databases: ['shop'], per_client: { '7': { databases: ['a', 'b'] }, '8': { user: 'other' } } }, { password: 'P', 'per_client.7.password': 'P7' }),
      false,
    );
    assert.deepEqual(s, {
      kind: 'stream',
      fileName: 'mysql-databases.sql',
      argv: ['mysqldump', '--single-transaction', '--routines', '--events', '--user=bk', '--protocol=TCP', '--port=3307', '--databases', '--', 'a', 'b'],
      secrets: [{ env: 'MYSQL_PWD', sealed: 'P7' }],
    });
  });

  it('refuses a clear password in the options', () => {
    assert.throws(() => resolveSource(spec({ password: 'hunter2' }), false), /password in clear/);
    assert.throws(() => resolveSource(spec({ per_client: { '7': { password: 'x' } } }), false), /password in clear/);
  });

  it('a database name with "/" becomes a safe file name', () => {
    const s = resolveSource(spec({ databases: ['a/b'] }), false);
    assert.equal(s.kind === 'stream' && s.fileName, 'a_b.sql');
  });
});

describe('postgresql', () => {
  const spec = (options: Record<string, unknown>) => backupSpec({ policyType: 'postgresql', options });

  it('pg_dumpall, pg_dump of one, or a loop of pg_dump --create, as postgres through runuser', () => {
    assert.deepEqual(resolveSource(spec({}), false), { kind: 'stream', fileName: 'pg_dumpall.sql', argv: ['runuser', '-u', 'postgres', '--', 'pg_dumpall'], secrets: [] });
    assert.deepEqual(resolveSource(spec({ databases: ["it's"] }), false), {
      kind: 'stream',
      fileName: "it's.sql",
      argv: ['runuser', '-u', 'postgres', '--', 'pg_dump', '--create', '--', "it's"],
      secrets: [],
    });
    assert.deepEqual(resolveSource(spec({ databases: ['a'], per_client: { '7': { databases: ['b', 'c d'] } } }), false), {
      kind: 'stream',
      fileName: 'postgresql-databases.sql',
      argv: ['runuser', '-u', 'postgres', '--', '/bin/sh', '-c', 'for db do pg_dump --create -- "$db" || exit; done', 'borg-orchestrator-pg_dump', 'b', 'c d'],
      secrets: [],
    });
  });

  it('refuses names libpq would read as a connection string', () => {
    assert.throws(() => resolveSource(spec({ databases: ['x host=evil'] }), false), /connection string/);
    assert.throws(() => resolveSource(spec({ databases: ['postgresql://evil/db'] }), false), /connection string/);
  });
});

describe('piped, proxmox, vm', () => {
  it('piped runs the command with /bin/sh only when the relay allows it', () => {
    const spec = backupSpec({ policyType: 'piped', options: { command: 'printf x', stdin_name: 'out.bin' } });
    assert.throws(() => resolveSource(spec, false), /not allowed by this relay's configuration/);
    assert.deepEqual(resolveSource(spec, true), { kind: 'stream', fileName: 'out.bin', argv: ['/bin/sh', '-c', 'printf x'], secrets: [] });
    const dflt = resolveSource(backupSpec({ policyType: 'piped', options: { command: 'x' } }), true);
    assert.equal(dflt.kind === 'stream' && dflt.fileName, 'stdin');
  });

  it('proxmox: the client\'s vmids, or all guests', () => {
    assert.deepEqual(resolveSource(backupSpec({ policyType: 'proxmox', options: { vmids: { '7': [101, 102, 101] } } }), false), { kind: 'proxmox', vmids: [101, 102] });
    assert.deepEqual(resolveSource(backupSpec({ policyType: 'proxmox', options: { vmids: { '8': [101] } } }), false), { kind: 'proxmox', vmids: 'all' });
    assert.deepEqual(resolveSource(backupSpec({ policyType: 'proxmox', options: { vmids: { '7': [] } } }), false), { kind: 'proxmox', vmids: 'all' });
  });

  it('vm: the client\'s domains, or the running ones', () => {
    assert.deepEqual(resolveSource(backupSpec({ policyType: 'vm', options: { domains: { '7': ['db 1'] } } }), false), { kind: 'vm', domains: ['db 1'] });
    assert.deepEqual(resolveSource(backupSpec({ policyType: 'vm', options: {} }), false), { kind: 'vm', domains: 'running' });
    assert.throws(() => resolveSource(backupSpec({ policyType: 'vm', options: { domains: { '7': ['-x'] } } }), false), ScriptError);
  });
});
