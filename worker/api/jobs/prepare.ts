/**
 * Prepare jobs for a client or a repository, and their one-time readiness token.
 *
 * The token lets the prepared host mark itself ready with one curl when the relay
 * cannot report for it. Only its keyed hash is stored; the clear token is in the
 * response of the call that created the job (and is minted again for the relay when
 * the job is dispatched, which replaces the earlier one).
 */
import { z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { and, eq, inArray } from 'drizzle-orm';
import { ACTIVE_JOB_STATUSES } from '../../../shared/domain';
import { randomToken } from '../../../shared/encoding';
import { commandLine } from '../../../shared/shell-quote';
import { hashSecret } from '../../auth/secret-hash';
import { audit } from '../../audit';
import { clients, jobs, readinessTokens, relays, repositories } from '../../db/schema';
import type { Context } from 'hono';
import type { AppEnv, Db } from '../../http/context';
import { conflict, notFound } from '../../http/errors';
import { errorResponses, idParams, jsonContent } from '../../http/objects';
import { apiRoute } from '../../http/router';
import { readSetting } from '../settings/store';
import { jobSchema, serializeJob } from './serialize';
import { pokeRelays } from '../../taskmanager/poke';

export const READINESS_TTL_MS = 24 * 60 * 60 * 1000;

export function prepareRoute(kind: 'client' | 'repository') {
  return apiRoute({
    method: 'post',
    path: kind === 'client' ? '/clients/{id}/prepare' : '/repositories/{id}/prepare',
    access: 'operator',
    tags: [kind === 'client' ? 'clients' : 'repositories'],
    summary:
      kind === 'client'
        ? 'Prepare a client: check (or install) borg, record its address, version and host key, mark it ready'
        : 'Prepare a repository: borg init when absent, else prove the passphrase; record sizes; mark it ready',
    request: { params: idParams },
    responses: {
      201: jsonContent(
        z.object({
          job: jobSchema,
          readiness: z.object({ url: z.string(), curl: z.string(), expires: z.string() }).openapi({ description: 'One-time fallback for the host to report readiness itself.' }),
        }),
        'The prepare job',
      ),
      ...errorResponses,
    },
  });
}

/** Mints a readiness token for a prepare job, replacing every earlier token of that object. */
export async function mintReadinessToken(db: Db, env: Env, jobId: number, objectType: 'client' | 'repository', objectId: number) {
  const token = randomToken(32);
  const expires = new Date(Date.now() + READINESS_TTL_MS);
  await db.batch([
    revokeReadinessTokens(db, objectType, objectId),
    db.insert(readinessTokens).values({ tokenHash: await hashSecret(env, token), jobId, objectType, objectId, expires }),
  ]);
  return { token, expires };
}

/** Forgets the readiness tokens of an object (a new prepare, or the object moved). */
export function revokeReadinessTokens(db: Db, objectType: 'client' | 'repository', objectId: number) {
  return db.delete(readinessTokens).where(and(eq(readinessTokens.objectType, objectType), eq(readinessTokens.objectId, objectId)));
}

export async function publicBaseUrl(db: Db, requestUrl: string): Promise<string> {
  const configured = await readSetting(db, 'public_url');
  return (typeof configured === 'string' && configured ? configured : new URL(requestUrl).origin).replace(/\/$/, '');
}

export interface PrepareOrigin {
  launchType: 'manual' | 'relaunch';
  relaunchOfId?: number;
  attempt?: number;
}

/** Creates a prepare job for a client or repository, with its readiness token. */
export async function createPrepareJob(c: Context<AppEnv>, kind: 'client' | 'repository', id: number, origin: PrepareOrigin = { launchType: 'manual' }) {
  const db = c.var.db;
  let relayId: number;
  if (kind === 'client') {
    const [cl] = await db.select().from(clients).where(eq(clients.id, id));
    if (!cl) throw notFound('client');
    if (!cl.enabled) throw conflict(`Client ${cl.hostname} is disabled.`);
    relayId = cl.relayId;
  } else {
    const [repo] = await db.select().from(repositories).where(eq(repositories.id, id));
    if (!repo) throw notFound('repository');
    if (!repo.enabled) throw conflict(`Repository ${repo.name} is disabled.`);
    if (repo.encryption !== 'none' && !repo.passphraseSealed) throw conflict(`Repository ${repo.name} has no passphrase; set one first.`);
    relayId = repo.relayId;
  }
  const [relay] = await db.select().from(relays).where(eq(relays.id, relayId));
  if (!relay?.enabled) throw conflict(`Relay ${relay?.name ?? relayId} is disabled.`);
  const type = kind === 'client' ? 'prepare_client' : 'prepare_repository';
  const objectColumn = kind === 'client' ? jobs.clientId : jobs.repositoryId;
  const [active] = await db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.type, type), eq(objectColumn, id), inArray(jobs.status, [...ACTIVE_JOB_STATUSES])))
    .limit(1);
  if (active) throw conflict(`A prepare job for this ${kind} is already active (job ${active.id}).`);
  const uid = c.get('principal')?.user.id ?? null;
  const now = new Date();
  const [job] = await db
    .insert(jobs)
    .values({
      type,
      clientId: kind === 'client' ? id : null,
      repositoryId: kind === 'repository' ? id : null,
      relayId,
      status: 'pending',
      launchType: origin.launchType,
      relaunchOfId: origin.relaunchOfId ?? null,
      attempt: origin.attempt ?? 1,
      created: now,
      modified: now,
      createdBy: uid,
      modifiedBy: uid,
    })
    .returning();
  const { token, expires } = await mintReadinessToken(db, c.env, job!.id, kind, id);
  const url = `${await publicBaseUrl(db, c.req.url)}/api/v1/ready/${token}`;
  return {
    job: job!,
    readiness: { url, curl: commandLine(['curl', '-fsS', '-X', 'POST', '-H', 'Content-Type: application/json', '-d', '{}', url]), expires: expires.toISOString() },
  };
}

export function registerPrepare(app: OpenAPIHono<AppEnv>, route: ReturnType<typeof prepareRoute>) {
  const kind = route.path.startsWith('/clients') ? 'client' : 'repository';
  app.openapi(route, async (c) => {
    const { id } = c.req.valid('param');
    const { job, readiness } = await createPrepareJob(c, kind, id);
    await audit(c, 'prepare', kind, id, { job: job.id });
    pokeRelays(c, [job]);
    return c.json({ job: serializeJob(job, []), readiness }, 201);
  });
}
