import { describe, expect, it } from 'vitest';
import { jobSpecSchema } from './jobspec';

const repository = { repositoryId: 3, location: 'backup@nas:/srv/borg/main', encryption: 'repokey-blake2', passphraseSealed: 'sealed:v1:x', appendOnly: false, quotaBytes: null };
const backup = {
  kind: 'backup',
  jobId: 12,
  attempt: 1,
  maxDurationSeconds: null,
  client: { clientId: 7, host: 'web1', port: 22, user: 'root', hostKeyFingerprint: null, hostname: 'web1', bandwidthLimitKiB: null, behindFirewall: false },
  repository,
  archiveName: 'folders-web1-2026-01-02_03-04',
  policyType: 'folders',
  options: { folders: ['/srv/www'], excludes: [] },
  sealedSecrets: {},
  compression: 'lz4',
  preHook: null,
  postHook: null,
  modePull: false,
};
const issues = (spec: unknown) => {
  const r = jobSpecSchema.safeParse(spec);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('job specs are checked at the protocol edge by the rules of the API and the relay', () => {
  it('accepts a valid backup spec', () => {
    expect(issues(backup)).toEqual([]);
  });
  it('refuses locations borg cannot use, archive names borg refuses, bad compression and retention', () => {
    expect(issues({ ...backup, repository: { ...repository, location: 'nas:/srv/a::b' } })).toEqual([expect.stringMatching(/^repository\.location: .*"::"/)]);
    expect(issues({ ...backup, repository: { ...repository, location: 'nas:/srv/a\nb' } })).toEqual([expect.stringMatching(/^repository\.location: .*control character/)]);
    expect(issues({ ...backup, archiveName: 'a/b' })).toEqual([expect.stringMatching(/^archiveName: .*"\/"/)]);
    expect(issues({ ...backup, compression: 'lz4; id' })).toEqual([expect.stringMatching(/^compression: /)]);
    const prune = { kind: 'prune', jobId: 1, attempt: 1, maxDurationSeconds: null, repository, archiveGlob: 'folders-web1-*', retention: { within: '7 days', hourly: null, daily: 7, weekly: null, monthly: null, yearly: null } };
    expect(issues(prune)).toEqual([expect.stringMatching(/^retention\.within: Like 7d/)]);
    expect(issues({ ...prune, retention: { ...prune.retention, within: '7d' } })).toEqual([]);
  });
  it('checks the options against the schema of the policy type, naming the option', () => {
    expect(issues({ ...backup, options: { folders: ['relative/path'], excludes: [] } })[0]).toMatch(/^options\.folders\.0: /);
    expect(issues({ ...backup, policyType: 'mysql' })[0]).toMatch(/^options/);
    expect(issues({ ...backup, policyType: 'rootfs', options: { excludes: ['/var/cache'] } })).toEqual([]);
  });
});
