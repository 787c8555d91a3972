import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobSpecSchema, type JobSpec } from '../../shared/jobspec';
import { planJob } from './jobs';
import { backupSpec, repositorySpec, unquotedText } from './test-helpers';

const common = { jobId: 5, attempt: 1, maxDurationSeconds: null };
const repository = repositorySpec();
const target = { clientId: 7, host: 'web1', port: 22, user: 'root', hostKeyFingerprint: null };

describe('planJob', () => {
  it('maps every kind to its scripts and where they run', () => {
    const specs: JobSpec[] = [
      backupSpec(),
      { ...common, kind: 'prepare_client', client: target, minBorgVersion: '1.2.0', installBorg: false, readinessUrl: 'https://x/r' },
      { ...common, kind: 'prepare_repository', repository, readinessUrl: 'https://x/r' },
      { ...common, kind: 'catalog', repository, archiveName: 'a' },
      { ...common, kind: 'prune', repository, archiveGlob: 'a-*', retention: { within: null, hourly: null, daily: 3, weekly: null, monthly: null, yearly: null } },
      { ...common, kind: 'compact', repository },
      { ...common, kind: 'check', repository, verifyData: false },
      { ...common, kind: 'restore', repository, archiveName: 'a', paths: ['etc'], target, destination: '/restore', dryRun: false },
    ];
    for (const s of specs) assert.ok(jobSpecSchema.safeParse(s).success, `${s.kind} spec is valid`);
    const plans = specs.map((s) => planJob(s));
    assert.deepEqual(
      plans.map((p) => p.kind),
      specs.map((s) => s.kind),
    );
    const where = plans.map((p) =>
      p.kind === 'backup' ? (p.plan.mode === 'push' ? p.plan.backup.runsOn : 'pull') : p.kind === 'prepare_client' ? p.version.runsOn : p.kind === 'prepare_repository' ? `${p.probe.runsOn}+${p.init.runsOn}` : p.step.runsOn,
    );
    assert.deepEqual(where, ['client', 'client', 'relay+relay', 'relay', 'relay', 'relay', 'relay', 'client']);
    const prep = plans[2]!;
    assert.ok(prep.kind === 'prepare_repository' && prep.probe.script.includes('borg info') && prep.init.script.includes('borg init'));
  });

  it('hostnames, hosts and users of the ssh target never enter a script', () => {
    const hostile = "h'$(touch PWNED)`x`;ü";
    const spec = backupSpec({ client: { ...backupSpec().client, host: hostile, hostname: hostile, user: hostile } });
    const plan = planJob(spec);
    assert.ok(plan.kind === 'backup' && plan.plan.mode === 'push');
    if (plan.kind === 'backup' && plan.plan.mode === 'push') {
      assert.ok(!plan.plan.backup.script.includes(hostile));
      assert.ok(!unquotedText(plan.plan.backup.script).includes('PWNED'));
    }
  });
});
