/**
 * Launching a policy: the checks that refuse a launch (409 with the reason), then
 * the planned jobs written in one batch. Used by the manual launch endpoint and,
 * with launch_type `scheduled`, by the scheduler.
 */
import { inList } from '../db/in-list';
import { and, eq, gt } from 'drizzle-orm';
import type { LaunchType } from '../../shared/domain';
import { readSettings } from '../api/settings/store';
import { clients, jobs, policyClients, relays, repositories, schedules } from '../db/schema';
import type { Db } from '../http/context';
import { conflict } from '../http/errors';
import { hasRetention, type PolicyRow } from '../api/policies';
import { busyClients, insertPlannedJobs, type JobRow } from './create';
import { deduplicateArchiveNames, planLaunch, planSettings, RECENT_NAMES_MS } from './plan';

export interface LaunchOptions {
  now?: Date;
  /** Launch for these clients only (a relaunch); each must be linked to the policy and enabled. */
  clientIds?: number[];
  /** A relaunch: the attempt number and the archive name it gets. */
  retry?: { attempt: number; archiveName: string };
}

/** The checks every launch and relaunch passes (409 with the reason). */
export async function assertLaunchable(db: Db, policy: PolicyRow) {
  const [schedule] = await db.select().from(schedules).where(eq(schedules.id, policy.scheduleId));
  const [repository] = await db.select().from(repositories).where(eq(repositories.id, policy.repositoryId));
  if (!policy.enabled) throw conflict(`Policy ${policy.name} is disabled.`);
  if (!schedule?.enabled) throw conflict(`Schedule ${schedule?.name ?? policy.scheduleId} of this policy is disabled.`);
  if (!repository?.enabled) throw conflict(`Repository ${repository?.name ?? policy.repositoryId} of this policy is disabled.`);
  if (repository.encryption !== 'none' && !repository.passphraseSealed) throw conflict(`Repository ${repository.name} has no passphrase; set one first.`);
  const [relay] = await db.select().from(relays).where(eq(relays.id, repository.relayId));
  if (!relay?.enabled) throw conflict(`Relay ${relay?.name ?? repository.relayId} of the repository is disabled.`);
  return { schedule, repository, relay };
}

export async function launchPolicy(db: Db, policy: PolicyRow, launchType: LaunchType, userId: number | null, options: LaunchOptions = {}): Promise<JobRow[]> {
  const { repository } = await assertLaunchable(db, policy);
  const links = await db.select({ id: policyClients.clientId }).from(policyClients).where(eq(policyClients.policyId, policy.id));
  const wanted = options.clientIds ? links.filter((l) => options.clientIds!.includes(l.id)) : links;
  if (options.clientIds && wanted.length !== options.clientIds.length) throw conflict('The client is no longer in this policy.');
  const linked = wanted.length ? await db.select().from(clients).where(inList(clients.id, wanted.map((l) => l.id))) : [];
  const enabled = linked.filter((cl) => cl.enabled).sort((a, b) => a.id - b.id);
  if (!enabled.length) throw conflict(options.clientIds ? 'The client is disabled.' : 'No client of this policy is enabled.');
  const busy = await busyClients(db, repository.id, enabled.map((cl) => cl.id));
  if (busy.length) throw conflict(`These clients already have an active job on repository ${repository.name}: ${busy.join(', ')}.`);

  const s = await readSettings(db, ['catalog_enabled', 'auto_prune', 'auto_compact']);
  const now = options.now ?? new Date();
  const plan = planLaunch({
    policy: { id: policy.id, type: policy.type, catalogEnabled: policy.catalogEnabled, pruneEnabled: policy.pruneEnabled, hasRetention: hasRetention(policy) },
    repository: { id: repository.id, ready: repository.ready },
    relayId: repository.relayId,
    clients: enabled.map((cl) => ({ id: cl.id, hostname: cl.hostname, ready: cl.ready, markAsToUpdate: cl.markAsToUpdate })),
    settings: planSettings(s),
    launchType,
    now,
    ...(options.retry ? { attempt: options.retry.attempt, archiveName: options.retry.archiveName } : {}),
  });
  // Names carry the minute of their launch: only backups of the last few minutes can clash.
  const recent = await db
    .select({ name: jobs.archiveName })
    .from(jobs)
    .where(and(eq(jobs.repositoryId, repository.id), eq(jobs.type, 'backup'), gt(jobs.created, new Date(now.getTime() - RECENT_NAMES_MS))));
  deduplicateArchiveNames(plan, new Set(recent.flatMap((r) => (r.name ? [r.name] : []))));
  return insertPlannedJobs(db, plan, userId);
}
