/**
 * Jobs an operator starts by hand outside any policy (check, restore): the checks that
 * refuse them, 409 with every reason the object is not usable (the same reasons the
 * object carries as `unusable_reasons`), and the one row each creates.
 *
 * One active job per client and per repository is the dispatcher's rule: a job created
 * while another runs on the same repository waits its turn, it is not refused here.
 */
import type { Context } from 'hono';
import type { JobType } from '../../shared/domain';
import { clientUsability } from '../api/clients';
import { relaysById, type RelayRow } from '../api/relays/lookup';
import { repositoryUsability } from '../api/repositories';
import { jobs, type clients, type repositories } from '../db/schema';
import type { AppEnv, Db } from '../http/context';
import { conflict } from '../http/errors';
import { createdStamp } from '../http/objects';
import type { JobRow } from './create';

type ClientRow = typeof clients.$inferSelect;
type RepositoryRow = typeof repositories.$inferSelect;

/** The repository's relay; 409 naming every reason when the repository cannot be used now. */
export async function assertRepositoryUsable(db: Db, repository: RepositoryRow): Promise<RelayRow> {
  const relay = (await relaysById(db, [repository.relayId])).get(repository.relayId);
  const reasons = repositoryUsability(repository, relay);
  if (reasons.length) throw conflict(`Repository ${repository.name} cannot be used: ${reasons.join('; ')}.`);
  return relay!;
}

/** 409 naming every reason when the client cannot be used now. */
export async function assertClientUsable(db: Db, client: ClientRow): Promise<void> {
  const relay = (await relaysById(db, [client.relayId])).get(client.relayId);
  const reasons = clientUsability(client, relay);
  if (reasons.length) throw conflict(`Client ${client.hostname} cannot be used: ${reasons.join('; ')}.`);
}

export interface ManualJob {
  type: Extract<JobType, 'check' | 'restore'>;
  repositoryId: number;
  relayId: number;
  clientId?: number;
  archiveName?: string;
  /** Read by buildJobSpec (worker/jobs/spec.ts); never a secret. */
  params: Record<string, unknown>;
}

/** One pending job, ready for the relay's TaskManager to dispatch. */
export async function insertManualJob(c: Context<AppEnv>, job: ManualJob): Promise<JobRow> {
  const [row] = await c.var.db
    .insert(jobs)
    .values({
      ...createdStamp(c),
      type: job.type,
      repositoryId: job.repositoryId,
      relayId: job.relayId,
      clientId: job.clientId ?? null,
      archiveName: job.archiveName ?? null,
      params: job.params,
      status: 'pending',
      launchType: 'manual',
    })
    .returning();
  return row!;
}
