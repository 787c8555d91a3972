import { describe, expect, it } from 'vitest';
import { archiveName, deduplicateArchiveNames, planLaunch, type PlanInput, type PlannedJob } from './plan';

const base: PlanInput = {
  policy: { id: 7, type: 'rootfs', catalogEnabled: true, pruneEnabled: true, hasRetention: true },
  repository: { id: 3, ready: true },
  relayId: 1,
  clients: [
    { id: 10, hostname: 'web1', ready: true, markAsToUpdate: false },
    { id: 11, hostname: 'db1', ready: true, markAsToUpdate: false },
  ],
  settings: { catalogEnabled: true, autoPrune: true, autoCompact: true },
  launchType: 'manual',
  now: new Date('2026-11-26T03:04:05Z'),
};

describe('planLaunch', () => {
  it('chains backup → catalog → prune per client and one compact after all prunes', () => {
    const plan = planLaunch(base);
    expect(plan.map((j) => `${j.type}:${j.clientId}`)).toEqual(['backup:10', 'catalog:10', 'prune:10', 'backup:11', 'catalog:11', 'prune:11', 'compact:null']);
    expect(plan[1]!.dependsOn).toEqual([0]);
    expect(plan[2]!.dependsOn).toEqual([1]);
    expect(plan[2]!.master).toBe(0);
    expect(plan[6]!.dependsOn).toEqual([2, 5]);
    expect(plan.filter((j) => j.status === 'pending').map((j) => j.type)).toEqual(['backup', 'backup']);
    expect(plan[0]!.archiveName).toBe('rootfs-web1-2026-11-26_03-04');
    expect(plan[1]!.archiveName).toBe(plan[0]!.archiveName);
  });

  it('prepares an unready repository once and an unready or to-update client before its backup', () => {
    const plan = planLaunch({
      ...base,
      repository: { id: 3, ready: false },
      clients: [
        { id: 10, hostname: 'web1', ready: false, markAsToUpdate: false },
        { id: 11, hostname: 'db1', ready: true, markAsToUpdate: true },
        { id: 12, hostname: 'ok', ready: true, markAsToUpdate: false },
      ],
    });
    const types = plan.map((j) => `${j.type}:${j.clientId}`);
    expect(types.filter((t) => t.startsWith('prepare_repository'))).toHaveLength(1);
    const prepRepo = types.indexOf('prepare_repository:null');
    const prep10 = types.indexOf('prepare_client:10');
    expect(plan[prep10]!.dependsOn).toEqual([prepRepo]);
    expect(plan[types.indexOf('backup:10')]!.dependsOn).toEqual([prep10]);
    expect(plan[types.indexOf('backup:11')]!.dependsOn).toEqual([types.indexOf('prepare_client:11')]);
    expect(plan[types.indexOf('backup:12')]!.dependsOn).toEqual([prepRepo]);
    expect(plan[prepRepo]!.launchType).toBe('dependency');
    expect(plan[prepRepo]!.status).toBe('pending');
  });

  it('leaves out catalog, prune and compact when disabled by policy, retention or settings', () => {
    expect(planLaunch({ ...base, policy: { ...base.policy, catalogEnabled: false, hasRetention: false } }).map((j) => j.type)).toEqual(['backup', 'backup']);
    expect(planLaunch({ ...base, settings: { catalogEnabled: false, autoPrune: true, autoCompact: false } }).map((j) => j.type)).toEqual(['backup', 'prune', 'backup', 'prune']);
  });

  it('names a retry with a suffix and keeps unsafe characters out of archive names', () => {
    expect(archiveName('mysql', 'fe80::1', new Date('2026-01-02T03:04:00Z'), 2)).toBe('mysql-fe80__1-2026-01-02_03-04-r2');
    expect(archiveName('piped', 'a;b$(x)', new Date('2026-01-02T03:04:00Z'))).toBe('piped-a_b__x_-2026-01-02_03-04');
  });
});

describe('deduplicateArchiveNames', () => {
  const job = (type: PlannedJob['type'], archiveName: string | null, master: number | null = null): PlannedJob => ({
    type,
    policyId: 1,
    clientId: 1,
    repositoryId: 1,
    relayId: 1,
    status: 'pending',
    launchType: 'manual',
    attempt: 1,
    archiveName,
    dependsOn: [],
    master,
  });
  it('suffixes a name already used in the repository, and its catalog follows', () => {
    const plan = [job('backup', 'folders-h-2026-11-26_05-59'), job('catalog', 'folders-h-2026-11-26_05-59', 0), job('prune', null, 0)];
    const taken = new Set(['folders-h-2026-11-26_05-59', 'folders-h-2026-11-26_05-59.2']);
    deduplicateArchiveNames(plan, taken);
    expect(plan.map((j) => j.archiveName)).toEqual(['folders-h-2026-11-26_05-59.3', 'folders-h-2026-11-26_05-59.3', null]);
    expect(taken.has('folders-h-2026-11-26_05-59.3')).toBe(true);
  });
  it('tells apart two backups of one plan with the same name (one host on two ports) and leaves free names alone', () => {
    const plan = [job('backup', 'a-2026'), job('backup', 'a-2026'), job('backup', 'b-2026')];
    deduplicateArchiveNames(plan, new Set());
    expect(plan.map((j) => j.archiveName)).toEqual(['a-2026', 'a-2026.2', 'b-2026']);
  });
});
