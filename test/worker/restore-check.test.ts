/**
 * Launching check and restore jobs by hand: the rows they create, the specs a relay
 * gets for them, every refusal (400 naming the field, 409 with the reason, 403 for a
 * viewer), and that a refused request writes nothing.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { jobSpecSchema } from '../../shared/jobspec';
import { openDb } from '../../worker/db/client';
import { buildJobSpec } from '../../worker/jobs/spec';
import { call, get, patch, post, tokenFor, userWithRole, type ApiResponse, type As } from './helpers';
import { buildWorld, create, markReady, type World } from './fixtures';

async function counts() {
  const n = async (table: string) => (await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())!.n;
  return { jobs: await n('jobs'), audit: await n('audit_log') };
}

/** Sends a request that must be refused, and checks it wrote no job and no audit entry. */
async function refused(status: number, method: string, path: string, body: unknown, as: As): Promise<ApiResponse> {
  const before = await counts();
  const res = await call(method, path, { as, body });
  expect(res.status, `${path} ${JSON.stringify(body)?.slice(0, 200)}: ${res.text}`).toBe(status);
  expect(await counts()).toEqual(before);
  return res;
}

async function specOf(jobId: number) {
  const spec = await buildJobSpec(openDb(env.DB), env, jobId, 'https://orch.example');
  expect(jobSpecSchema.safeParse(spec).success).toBe(true);
  return spec;
}

async function jobRow(id: number) {
  return env.DB.prepare('SELECT * FROM jobs WHERE id = ?').bind(id).first<Record<string, any>>();
}

/** A successful backup of the world's first client, as a finished launch leaves it. */
async function successfulBackup(w: World): Promise<any> {
  const launched = (await post(`/policies/${w.policyId}/launch`, {}, w.admin)).body.jobs as any[];
  await env.DB.prepare("UPDATE jobs SET status = 'successful'").run();
  return launched.find((j) => j.type === 'backup' && j.client === w.clientId);
}

describe('POST /repositories/{id}/check', () => {
  it('creates a pending manual check job on the repository relay, and its spec', async () => {
    const w = await buildWorld({ ready: true });
    const op = await userWithRole(w.admin, 'operator');

    // A bare POST (no body) checks without --verify-data.
    const bare = await call('POST', `/repositories/${w.repositoryId}/check`, { as: op.session });
    expect(bare.status, bare.text).toBe(201);
    expect(bare.body.job).toMatchObject({ type: 'check', repository: w.repositoryId, relay: 1, client: null, policy: null, status: 'pending', launch_type: 'manual', params: { verify_data: false }, archive_name: null, depends_on: [] });

    const res = await post(`/repositories/${w.repositoryId}/check`, { verify_data: true }, op.session);
    expect(res.status, res.text).toBe(201);
    const row = await jobRow(res.body.job.id);
    expect(row).toMatchObject({ type: 'check', repository_id: w.repositoryId, relay_id: 1, client_id: null, status: 'pending', launch_type: 'manual', created_by: op.id });
    expect(JSON.parse(row!.params)).toEqual({ verify_data: true });
    expect((await post(`/repositories/${w.repositoryId}/check`, {}, op.session)).body.job.params).toEqual({ verify_data: false });

    const spec = await specOf(res.body.job.id);
    expect(spec).toMatchObject({ kind: 'check', jobId: res.body.job.id, attempt: 1, verifyData: true, repository: { repositoryId: w.repositoryId, location: 'borg@backup.example.com:/srv/borg/main', encryption: 'repokey-blake2' } });
    if (spec.kind !== 'check') throw new Error('unreachable');
    expect(spec.repository.passphraseSealed).toMatch(/^sealed:v1:/);
    expect((await specOf(bare.body.job.id)).kind).toBe('check');

    const audit = await get('/audit?action=check', w.admin);
    expect(audit.body.results[0]).toMatchObject({ object_type: 'repository', object_id: w.repositoryId, actor: op.email });
  });

  it('400 naming the field; 404 for no such repository', async () => {
    const w = await buildWorld({ ready: true });
    const path = `/repositories/${w.repositoryId}/check`;
    expect((await refused(400, 'POST', path, { verify_data: 'yes' }, w.admin)).body.error.fields).toHaveProperty('verify_data');
    expect((await refused(400, 'POST', path, { verify: true }, w.admin)).body.error.fields).toEqual({ verify: ['Unknown field.'] });
    expect((await refused(400, 'POST', '/repositories/abc/check', {}, w.admin)).body.error.fields).toHaveProperty('id');
    await refused(404, 'POST', '/repositories/999999/check', {}, w.admin);
  });

  it('409 with the reason: disabled, not ready, no passphrase, relay disabled', async () => {
    const w = await buildWorld({ ready: true });
    const path = `/repositories/${w.repositoryId}/check`;
    await patch(`/repositories/${w.repositoryId}`, { enabled: false }, w.admin);
    expect((await refused(409, 'POST', path, {}, w.admin)).body.error.message).toBe('Repository main cannot be used: repository is disabled.');
    await patch(`/repositories/${w.repositoryId}`, { enabled: true }, w.admin);

    await patch('/relays/1', { enabled: false }, w.admin);
    expect((await refused(409, 'POST', path, {}, w.admin)).body.error.message).toMatch(/relay default is disabled/);
    await patch('/relays/1', { enabled: true }, w.admin);

    await env.DB.prepare('UPDATE repositories SET ready = 0 WHERE id = ?').bind(w.repositoryId).run();
    expect((await refused(409, 'POST', path, {}, w.admin)).body.error.message).toMatch(/repository is not prepared \(ready is false\)/);

    const bare = await create('/repositories', { name: 'nokey', path: '/srv/borg/nokey' }, w.admin);
    await markReady('repositories', bare.id);
    expect((await refused(409, 'POST', `/repositories/${bare.id}/check`, {}, w.admin)).body.error.message).toBe('Repository nokey cannot be used: repository has no passphrase.');
    // Unencrypted repositories need none.
    const plain = await create('/repositories', { name: 'plain', path: '/srv/borg/plain', encryption: 'none' }, w.admin);
    await markReady('repositories', plain.id);
    expect((await post(`/repositories/${plain.id}/check`, {}, w.admin)).status).toBe(201);
  });

  it('viewers and read tokens are refused (403)', async () => {
    const w = await buildWorld({ ready: true });
    const viewer = await userWithRole(w.admin, 'viewer');
    await refused(403, 'POST', `/repositories/${w.repositoryId}/check`, {}, viewer.session);
    await refused(403, 'POST', `/repositories/${w.repositoryId}/check`, {}, { token: (await tokenFor(w.admin, 'read')).token });
  });
});

describe('POST /restores', () => {
  it('from a successful backup job: one pending manual restore job onto the client, and its spec', async () => {
    const w = await buildWorld({ ready: true });
    const op = await userWithRole(w.admin, 'operator');
    const backup = await successfulBackup(w);
    const before = (await counts()).jobs;

    const res = await post('/restores', { job: backup.id, paths: ['/etc/nginx', 'var/www/index.html'], client: w.clientId, destination: '/var/tmp/restore' }, op.session);
    expect(res.status, res.text).toBe(201);
    expect((await counts()).jobs).toBe(before + 1);
    expect(res.body.job).toMatchObject({
      type: 'restore',
      client: w.clientId,
      repository: w.repositoryId,
      relay: 1,
      policy: null,
      status: 'pending',
      launch_type: 'manual',
      archive_name: backup.archive_name,
      params: { paths: ['/etc/nginx', 'var/www/index.html'], destination: '/var/tmp/restore', dry_run: false },
    });
    const row = await jobRow(res.body.job.id);
    expect(row).toMatchObject({ type: 'restore', client_id: w.clientId, repository_id: w.repositoryId, relay_id: 1, archive_name: backup.archive_name, status: 'pending', launch_type: 'manual', created_by: op.id });

    const spec = await specOf(res.body.job.id);
    expect(spec).toMatchObject({
      kind: 'restore',
      archiveName: backup.archive_name,
      paths: ['/etc/nginx', 'var/www/index.html'],
      destination: '/var/tmp/restore',
      dryRun: false,
      target: { clientId: w.clientId, host: 'web1.example.com', port: 22, user: 'root' },
      repository: { repositoryId: w.repositoryId },
    });

    const audit = await get('/audit?action=restore', w.admin);
    expect(audit.body.results[0]).toMatchObject({ object_type: 'client', object_id: w.clientId, actor: op.email });
    expect(audit.body.results[0].detail).toMatchObject({ job: res.body.job.id, repository: w.repositoryId, backup_job: backup.id, dry_run: false });
  });

  it('from repository and archive, onto another client, the whole archive; a dry run may name /', async () => {
    const w = await buildWorld({ ready: true });
    const res = await post('/restores', { repository: w.repositoryId, archive: "rootfs-web1 $(x) 'q' ü", paths: [], client: w.client2Id, destination: '/', dry_run: true }, w.admin);
    expect(res.status, res.text).toBe(201);
    expect(res.body.job).toMatchObject({ type: 'restore', client: w.client2Id, repository: w.repositoryId, archive_name: "rootfs-web1 $(x) 'q' ü", params: { paths: [], destination: '/', dry_run: true } });
    const spec = await specOf(res.body.job.id);
    expect(spec).toMatchObject({ kind: 'restore', paths: [], destination: '/', dryRun: true, target: { clientId: w.client2Id, host: '10.0.0.2', port: 2222 } });
    // A thousand paths of 4096 characters each fit.
    const many = Array.from({ length: 1000 }, (_, i) => `srv/${i}`);
    expect((await post('/restores', { repository: w.repositoryId, archive: 'a', paths: many, client: w.clientId, destination: '/r' }, w.admin)).status).toBe(201);
    expect((await post('/restores', { repository: w.repositoryId, archive: 'a', paths: ['x'.repeat(4096)], client: w.clientId, destination: '/r' }, w.admin)).status).toBe(201);
  });

  it('400 naming each invalid field, nothing written', async () => {
    const w = await buildWorld({ ready: true });
    const backup = await successfulBackup(w);
    const base = { repository: w.repositoryId, archive: 'rootfs-web1-x', paths: ['etc'], client: w.clientId, destination: '/var/tmp/r' };
    const fieldsOf = async (body: unknown) => (await refused(400, 'POST', '/restores', body, w.admin)).body.error.fields;

    // paths: which index, and why.
    const paths = await fieldsOf({ ...base, paths: ['ok', 'a\u0000b', 'tab\there', 'x'.repeat(4097), '/', '', 'del\u007f'] });
    expect(paths).toEqual({
      'paths.1': ['Contains a NUL character.'],
      'paths.2': ['Contains a control character (U+0009 at position 4).'],
      'paths.3': ['At most 4096 characters.'],
      'paths.4': ['Not a path inside the archive; give no paths to restore the whole archive.'],
      'paths.5': ['Not a path inside the archive; give no paths to restore the whole archive.'],
      'paths.6': ['Contains a control character (U+007F at position 4).'],
    });
    expect(await fieldsOf({ ...base, paths: Array.from({ length: 1001 }, (_, i) => `p${i}`) })).toEqual({ paths: ['At most 1000 paths.'] });
    expect(await fieldsOf({ ...base, paths: 'etc' })).toHaveProperty('paths');
    expect(await fieldsOf({ ...base, paths: undefined })).toHaveProperty('paths');

    // destination: absolute, no control characters, not / unless a dry run.
    expect((await fieldsOf({ ...base, destination: 'var/tmp' })).destination[0]).toMatch(/absolute path/);
    expect((await fieldsOf({ ...base, destination: '/var/tmp\nx' })).destination[0]).toMatch(/control character/);
    expect((await fieldsOf({ ...base, destination: '/' + 'd'.repeat(4096) })).destination).toEqual(['At most 4096 characters.']);
    for (const root of ['/', '//', '/./', '/srv/..', '/..']) {
      expect((await fieldsOf({ ...base, destination: root })).destination[0], root).toMatch(/^Restoring over \/ is refused: choose a folder/);
    }
    expect(await fieldsOf({ ...base, destination: undefined })).toHaveProperty('destination');

    // archive: as borg takes it (the relay's own check, shared).
    expect(await fieldsOf({ ...base, archive: 'a/b' })).toEqual({ archive: ['The archive name "a/b" contains "/", which borg refuses.'] });
    expect((await fieldsOf({ ...base, archive: 'a\nb' })).archive[0]).toMatch(/control character/);
    expect(await fieldsOf({ ...base, archive: '' })).toEqual({ archive: ['An archive name has 1 to 255 characters.'] });
    expect(await fieldsOf({ ...base, archive: 'x'.repeat(256) })).toEqual({ archive: ['An archive name has 1 to 255 characters.'] });

    // job, or repository and archive.
    const { repository: _r, archive: _a, ...bare } = base;
    expect(await fieldsOf(bare)).toEqual({ job: ['Give job (a successful backup job), or repository and archive.'] });
    expect(await fieldsOf({ ...bare, repository: w.repositoryId })).toEqual({ archive: ['Required with repository (or give job instead).'] });
    expect(await fieldsOf({ ...bare, archive: 'a' })).toEqual({ repository: ['Required with archive (or give job instead).'] });
    expect(await fieldsOf({ ...base, job: backup.id })).toEqual({
      repository: ['Not with job: the backup job names the repository and archive.'],
      archive: ['Not with job: the backup job names the repository and archive.'],
    });

    // References that name nothing, or the wrong kind of job.
    expect(await fieldsOf({ ...bare, job: 999999 })).toEqual({ job: ['No such job.'] });
    const check = (await post(`/repositories/${w.repositoryId}/check`, {}, w.admin)).body.job;
    expect(await fieldsOf({ ...bare, job: check.id })).toEqual({ job: [`Must be a backup job; job ${check.id} is a check job.`] });
    expect(await fieldsOf({ ...base, repository: 999999 })).toEqual({ repository: ['No such repository.'] });
    expect(await fieldsOf({ ...base, client: 999999 })).toEqual({ client: ['No such client.'] });
    expect(await fieldsOf({ ...base, client: 'web1' })).toHaveProperty('client');
    expect(await fieldsOf({ ...base, job: 'x', repository: undefined, archive: undefined })).toHaveProperty('job');
    expect(await fieldsOf({ ...base, dry_run: 'no' })).toHaveProperty('dry_run');
    expect(await fieldsOf({ ...base, overwrite: true })).toEqual({ overwrite: ['Unknown field.'] });
    // Every field at once.
    expect(Object.keys(await fieldsOf({ job: 0, paths: [1], client: -1, destination: 'rel', dry_run: 1 })).sort()).toEqual(['client', 'destination', 'dry_run', 'job', 'paths.0']);
  });

  it('409 with the reason: backup not successful, repository or client not usable, other relay', async () => {
    const w = await buildWorld({ ready: true });
    const launched = (await post(`/policies/${w.policyId}/launch`, {}, w.admin)).body.jobs as any[];
    const backup = launched.find((j) => j.type === 'backup' && j.client === w.clientId);
    const byJob = { job: backup.id, paths: [], client: w.clientId, destination: '/var/tmp/r' };
    const base = { repository: w.repositoryId, archive: 'rootfs-web1-x', paths: [], client: w.clientId, destination: '/var/tmp/r' };
    const messageOf = async (body: unknown) => (await refused(409, 'POST', '/restores', body, w.admin)).body.error.message as string;

    expect(await messageOf(byJob)).toBe(`Backup job ${backup.id} did not succeed (pending); restore from a successful backup.`);
    await env.DB.prepare("UPDATE jobs SET status = 'failed'").run();
    expect(await messageOf(byJob)).toMatch(/did not succeed \(failed\)/);
    await env.DB.prepare("UPDATE jobs SET status = 'successful'").run();
    await env.DB.prepare('UPDATE jobs SET repository_id = NULL WHERE id = ?').bind(backup.id).run();
    expect(await messageOf(byJob)).toBe(`Backup job ${backup.id} no longer names its repository or archive.`);
    await env.DB.prepare('UPDATE jobs SET repository_id = ? WHERE id = ?').bind(w.repositoryId, backup.id).run();

    // The repository, through the backup job or named.
    await patch(`/repositories/${w.repositoryId}`, { enabled: false }, w.admin);
    expect(await messageOf(byJob)).toBe('Repository main cannot be used: repository is disabled.');
    expect(await messageOf(base)).toBe('Repository main cannot be used: repository is disabled.');
    await patch(`/repositories/${w.repositoryId}`, { enabled: true }, w.admin);
    await env.DB.prepare('UPDATE repositories SET ready = 0 WHERE id = ?').bind(w.repositoryId).run();
    expect(await messageOf(base)).toMatch(/repository is not prepared/);
    await markReady('repositories', w.repositoryId);
    const nokey = await create('/repositories', { name: 'nokey', path: '/srv/borg/nokey' }, w.admin);
    await markReady('repositories', nokey.id);
    expect(await messageOf({ ...base, repository: nokey.id })).toMatch(/repository has no passphrase/);

    // The relay.
    await patch('/relays/1', { enabled: false }, w.admin);
    expect(await messageOf(base)).toMatch(/relay default is disabled/);
    await patch('/relays/1', { enabled: true }, w.admin);

    // The target client.
    await patch(`/clients/${w.clientId}`, { enabled: false }, w.admin);
    expect(await messageOf(byJob)).toBe('Client web1.example.com cannot be used: client is disabled.');
    await patch(`/clients/${w.clientId}`, { enabled: true }, w.admin);
    await env.DB.prepare('UPDATE clients SET ready = 0 WHERE id = ?').bind(w.clientId).run();
    expect(await messageOf(base)).toBe('Client web1.example.com cannot be used: client is not prepared (ready is false).');
    await markReady('clients', w.clientId);

    const site2 = await create('/relays', { name: 'site2' }, w.admin);
    const far = await create('/clients', { hostname: 'far.example.com', relay: site2.id }, w.admin);
    await markReady('clients', far.id);
    expect(await messageOf({ ...base, client: far.id })).toBe(
      "Client far.example.com is on relay site2 but repository main on relay default: a restore runs through the repository's relay, which must reach the client.",
    );
    expect((await post('/restores', byJob, w.admin)).status).toBe(201);
  });

  it('viewers and read tokens are refused (403) before the body is looked at', async () => {
    const w = await buildWorld({ ready: true });
    const viewer = await userWithRole(w.admin, 'viewer');
    const body = { repository: w.repositoryId, archive: 'a', paths: [], client: w.clientId, destination: '/r' };
    expect((await refused(403, 'POST', '/restores', body, viewer.session)).body.error.message).toMatch(/operator role/);
    await refused(403, 'POST', '/restores', {}, viewer.session);
    await refused(403, 'POST', '/restores', body, { token: (await tokenFor(w.admin, 'read')).token });
    await refused(401, 'POST', '/restores', body, null);
  });
});

describe('OpenAPI', () => {
  it('documents both routes for operators', async () => {
    const doc = (await get('/openapi.json')).body;
    const check = doc.paths['/api/v1/repositories/{id}/check'].post;
    const restore = doc.paths['/api/v1/restores'].post;
    expect(check['x-access']).toBe('operator');
    expect(restore['x-access']).toBe('operator');
    expect(check.requestBody.required).toBeFalsy();
    const schema = restore.requestBody.content['application/json'].schema;
    expect(schema.required.sort()).toEqual(['client', 'destination', 'paths']);
    expect(schema.properties.paths).toMatchObject({ type: 'array', maxItems: 1000 });
    expect(schema.additionalProperties).toBe(false);
  });
});
