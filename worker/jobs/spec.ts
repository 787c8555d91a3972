/**
 * From a job row to the typed JobSpec a relay receives (shared/jobspec.ts): the
 * objects the job names, read at dispatch time, so a change made while the job
 * waited (a new passphrase, a re-pinned host key) is what runs. Sealed values pass
 * through untouched: the edge never opens them.
 */
import { eq } from 'drizzle-orm';
import { jobSpecSchema, type JobSpec, type RepositorySpec } from '../../shared/jobspec';
import { mintReadinessToken, publicBaseUrl } from '../api/jobs/prepare';
import { readSetting } from '../api/settings/store';
import { clients, jobs, policies, repositories } from '../db/schema';
import type { Db } from '../http/context';
import { archivePrefix } from './plan';

/** The oldest borg the relay accepts on a client. */
export const MIN_BORG_VERSION = '1.2.0';

export class SpecError extends Error {}

type ClientRow = typeof clients.$inferSelect;
type RepositoryRow = typeof repositories.$inferSelect;

const sshTarget = (c: ClientRow) => ({ clientId: c.id, host: c.hostname, port: c.port, user: c.sshUser, hostKeyFingerprint: c.hostKeyFingerprint });

const repositorySpec = (r: RepositoryRow): RepositorySpec => ({
  repositoryId: r.id,
  location: r.path,
  encryption: r.encryption,
  passphraseSealed: r.passphraseSealed,
  appendOnly: r.appendOnly,
  quotaBytes: r.quotaBytes,
});

/**
 * Builds the spec of a job. `env` and `requestUrl` are needed for prepare jobs, whose
 * spec carries a freshly minted readiness URL (it replaces the one shown at creation).
 */
export async function buildJobSpec(db: Db, env: Env, jobId: number, requestUrl: string): Promise<JobSpec> {
  const [job] = await db.select().from(jobs).where(eq(jobs.id, jobId));
  if (!job) throw new SpecError(`Job ${jobId} does not exist.`);
  const [client] = job.clientId ? await db.select().from(clients).where(eq(clients.id, job.clientId)) : [];
  const [repository] = job.repositoryId ? await db.select().from(repositories).where(eq(repositories.id, job.repositoryId)) : [];
  const [policy] = job.policyId ? await db.select().from(policies).where(eq(policies.id, job.policyId)) : [];
  const common = { jobId: job.id, attempt: job.attempt, maxDurationSeconds: policy?.maxDurationSeconds ?? null };
  const need = <T>(value: T | undefined, what: string): T => {
    if (!value) throw new SpecError(`Job ${job.id} (${job.type}) has no ${what} any more.`);
    return value;
  };
  const readinessUrl = async (kind: 'client' | 'repository', id: number) => {
    const { token } = await mintReadinessToken(db, env, job.id, kind, id);
    return `${await publicBaseUrl(db, requestUrl)}/api/v1/ready/${token}`;
  };

  let spec: JobSpec;
  switch (job.type) {
    case 'backup': {
      const c = need(client, 'client');
      const p = need(policy, 'policy');
      spec = {
        ...common,
        kind: 'backup',
        client: { ...sshTarget(c), hostname: c.hostname, bandwidthLimitKiB: c.bandwidthLimit, behindFirewall: c.behindFirewall },
        repository: repositorySpec(need(repository, 'repository')),
        archiveName: need(job.archiveName ?? undefined, 'archive name'),
        policyType: p.type,
        options: p.options,
        sealedSecrets: p.secrets,
        compression: p.compression,
        preHook: p.preHook,
        postHook: p.postHook,
        modePull: p.modePull,
      };
      break;
    }
    case 'prepare_client': {
      const c = need(client, 'client');
      spec = { ...common, kind: 'prepare_client', client: sshTarget(c), minBorgVersion: MIN_BORG_VERSION, installBorg: (await readSetting(db, 'install_borg')) === true, readinessUrl: await readinessUrl('client', c.id) };
      break;
    }
    case 'prepare_repository': {
      const r = need(repository, 'repository');
      spec = { ...common, kind: 'prepare_repository', repository: repositorySpec(r), readinessUrl: await readinessUrl('repository', r.id) };
      break;
    }
    case 'catalog':
      spec = { ...common, kind: 'catalog', repository: repositorySpec(need(repository, 'repository')), archiveName: need(job.archiveName ?? undefined, 'archive name') };
      break;
    case 'prune': {
      const p = need(policy, 'policy');
      const c = need(client, 'client');
      spec = {
        ...common,
        kind: 'prune',
        repository: repositorySpec(need(repository, 'repository')),
        archiveGlob: `${archivePrefix(p.type, c.hostname)}*`,
        retention: { within: p.keepWithin, hourly: p.keepHourly, daily: p.keepDaily, weekly: p.keepWeekly, monthly: p.keepMonthly, yearly: p.keepYearly },
      };
      break;
    }
    case 'compact':
      spec = { ...common, kind: 'compact', repository: repositorySpec(need(repository, 'repository')) };
      break;
    case 'check':
      spec = { ...common, kind: 'check', repository: repositorySpec(need(repository, 'repository')), verifyData: job.params?.verify_data === true };
      break;
    case 'restore': {
      const params = job.params ?? {};
      spec = {
        ...common,
        kind: 'restore',
        repository: repositorySpec(need(repository, 'repository')),
        archiveName: need(job.archiveName ?? undefined, 'archive name'),
        paths: Array.isArray(params.paths) ? (params.paths as string[]) : [],
        target: sshTarget(need(client, 'client')),
        destination: typeof params.destination === 'string' ? params.destination : '/',
        dryRun: params.dry_run === true,
      };
      break;
    }
  }
  // The same schema the relay validates with: a spec the relay would refuse never leaves.
  return jobSpecSchema.parse(spec);
}
