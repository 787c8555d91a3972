import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { jobSpecSchema } from '../../shared/jobspec';
import { openDb } from '../../worker/db/client';
import { buildJobSpec, SpecError } from '../../worker/jobs/spec';
import { call, patch, post } from './helpers';
import { buildWorld } from './fixtures';

describe('job specs', () => {
  it('every job of a launch becomes a valid spec carrying sealed values untouched', async () => {
    const w = await buildWorld();
    await patch(`/policies/${w.policyId}`, { pre_hook: 'systemctl stop app', compression: 'zstd,3' }, w.admin);
    const jobs = (await post(`/policies/${w.policyId}/launch`, {}, w.admin)).body.jobs as any[];
    const db = openDb(env.DB);
    const specs = [];
    for (const j of jobs) specs.push(await buildJobSpec(db, env, j.id, 'https://orch.example'));
    expect(specs.map((s) => s.kind)).toEqual(jobs.map((j) => j.type));
    for (const s of specs) expect(jobSpecSchema.safeParse(s).success).toBe(true);
    const backup = specs.find((s) => s.kind === 'backup')!;
    if (backup.kind !== 'backup') throw new Error('unreachable');
    expect(backup).toMatchObject({ policyType: 'rootfs', compression: 'zstd,3', preHook: 'systemctl stop app', modePull: false, options: { excludes: ['/var/cache'] } });
    expect(backup.repository.passphraseSealed).toMatch(/^sealed:v1:/);
    expect(backup.archiveName).toBe(jobs.find((j) => j.type === 'backup').archive_name);
    const prune = specs.find((s) => s.kind === 'prune');
    expect(prune).toMatchObject({ archiveGlob: 'rootfs-web1.example.com-*', retention: { daily: 7, weekly: null } });
    // A prepare spec carries a fresh readiness URL that works (once).
    const prep = specs.find((s) => s.kind === 'prepare_client');
    if (prep?.kind !== 'prepare_client') throw new Error('no prepare_client');
    expect(prep.minBorgVersion).toBe('1.2.0');
    const token = prep.readinessUrl.split('/').pop()!;
    expect(prep.readinessUrl.startsWith('https://orch.example/api/v1/ready/')).toBe(true);
    expect((await call('POST', `/ready/${token}`, {})).status).toBe(200);
    await expect(buildJobSpec(db, env, 999999, 'https://x')).rejects.toBeInstanceOf(SpecError);
  });
});
