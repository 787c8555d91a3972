/** Jobs: read-only records plus actions (cancel, relaunch) and their output. */
import { inList } from '../../db/in-list';
import { z } from '@hono/zod-openapi';
import { and, eq, inArray, max, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import { ACTIVE_JOB_STATUSES, FINISHED_JOB_STATUSES, JOB_STATUSES, JOB_TYPES, LAUNCH_TYPES } from '../../../shared/domain';
import { audit } from '../../audit';
import { clients, jobDependencies, jobs, policies, relays, repositories } from '../../db/schema';
import type { AppEnv, Db } from '../../http/context';
import { conflict, notFound } from '../../http/errors';
import { errorResponses, idParams, jsonContent, modifiedStamp } from '../../http/objects';
import { idFilter, listPage, listQuerySchema, pageSchema } from '../../http/pagination';
import { apiRoute, createRouter } from '../../http/router';
import { busyClients, type JobRow } from '../../jobs/create';
import { launchPolicy } from '../../jobs/launch';
import { createPrepareJob } from './prepare';
import { jobSchema, serializeJob } from './serialize';
import { registerEvents } from './events';
import { registerStdout } from './stdout';
import { waitingFor } from './waiting-for';
import { pokeRelays } from '../../taskmanager/poke';
import { taskManagerFor } from '../../taskmanager/TaskManager';

const csv = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .max(500)
    .transform((s, ctx) => {
      const parts = s.split(',').filter(Boolean);
      for (const p of parts) {
        if (!(values as readonly string[]).includes(p)) {
          ctx.addIssue({ code: 'custom', message: `Unknown value "${p}"; one or more of: ${values.join(', ')}.` });
          return z.NEVER;
        }
      }
      return parts as T[number][];
    })
    .optional();

const routes = {
  list: apiRoute({
    method: 'get',
    path: '/jobs',
    access: 'viewer',
    tags: ['jobs'],
    summary: 'List jobs (newest first by default); status and type take comma-separated values',
    request: {
      query: listQuerySchema.extend({
        status: csv(JOB_STATUSES),
        type: csv(JOB_TYPES),
        launch_type: z.enum(LAUNCH_TYPES).optional(),
        client: idFilter,
        policy: idFilter,
        repository: idFilter,
        relay: idFilter,
        master_job: idFilter,
      }),
    },
    responses: { 200: jsonContent(pageSchema(jobSchema), 'A page of jobs'), ...errorResponses },
  }),
  get: apiRoute({ method: 'get', path: '/jobs/{id}', access: 'viewer', tags: ['jobs'], summary: 'Get a job, with the jobs it waits for', request: { params: idParams }, responses: { 200: jsonContent(jobSchema, 'The job'), ...errorResponses } }),
  cancel: apiRoute({
    method: 'post',
    path: '/jobs/{id}/cancel',
    access: 'operator',
    tags: ['jobs'],
    summary: 'Cancel a job: one not started ends at once (with the jobs waiting on it); a running one is asked to stop',
    request: { params: idParams },
    responses: { 200: jsonContent(jobSchema, 'Canceled'), 202: jsonContent(jobSchema, 'Cancel requested from the relay'), ...errorResponses },
  }),
  relaunch: apiRoute({
    method: 'post',
    path: '/jobs/{id}/relaunch',
    access: 'operator',
    tags: ['jobs'],
    summary: 'Run a finished job again (a backup brings its catalog and prune again)',
    request: { params: idParams },
    responses: { 201: jsonContent(z.object({ jobs: z.array(jobSchema) }), 'The jobs created'), ...errorResponses },
  }),
};

/**
 * A new attempt of an ended job, under the same rules as a first launch:
 * a backup goes through launchPolicy (with its catalog/prune/compact), a prepare job
 * through the prepare path (one active prepare per object, a fresh readiness token),
 * any other job is copied once its client, repository and relay are usable.
 */
async function relaunch(c: Context<AppEnv>, job: JobRow): Promise<JobRow[]> {
  const db = c.var.db;
  const uid = c.get('principal')?.user.id ?? null;
  if (job.type === 'backup') {
    if (!job.policyId || !job.clientId || !job.repositoryId || !job.archiveName) throw conflict('The policy or client of this job no longer exists.');
    const [policy] = await db.select().from(policies).where(eq(policies.id, job.policyId));
    if (!policy) throw conflict('The policy of this job no longer exists.');
    // Attempts count over every retry of the same archive, so two relaunches of one
    // job never produce the same archive name.
    const base = job.archiveName.replace(/-r\d+$/, '');
    const [last] = await db
      .select({ n: max(jobs.attempt) })
      .from(jobs)
      .where(and(eq(jobs.type, 'backup'), eq(jobs.clientId, job.clientId), eq(jobs.repositoryId, job.repositoryId), sql`substr(${jobs.archiveName}, 1, ${sql.raw(String(base.length))}) = ${base}`));
    const attempt = Math.max(last?.n ?? 1, job.attempt) + 1;
    const created = await launchPolicy(db, policy, 'relaunch', uid, { now: job.created, clientIds: [job.clientId], retry: { attempt, archiveName: `${base}-r${attempt}` } });
    const backup = created.find((j) => j.type === 'backup')!;
    await db.update(jobs).set({ relaunchOfId: job.id }).where(eq(jobs.id, backup.id));
    backup.relaunchOfId = job.id;
    return created;
  }
  const origin = { launchType: 'relaunch' as const, relaunchOfId: job.id, attempt: job.attempt + 1 };
  if (job.type === 'prepare_client' && job.clientId) return [(await createPrepareJob(c, 'client', job.clientId, origin)).job];
  if (job.type === 'prepare_repository' && job.repositoryId) return [(await createPrepareJob(c, 'repository', job.repositoryId, origin)).job];
  const [[client], [repository], [relay]] = await db.batch([
    db.select().from(clients).where(eq(clients.id, job.clientId ?? -1)),
    db.select().from(repositories).where(eq(repositories.id, job.repositoryId ?? -1)),
    db.select().from(relays).where(eq(relays.id, job.relayId ?? -1)),
  ]);
  if (job.clientId && !client?.enabled) throw conflict('The client of this job is disabled or gone.');
  if (job.repositoryId && !repository?.enabled) throw conflict('The repository of this job is disabled or gone.');
  if (!relay?.enabled) throw conflict('The relay of this job is disabled or gone.');
  if (job.clientId && job.repositoryId) {
    const busy = await busyClients(db, job.repositoryId, [job.clientId]);
    if (busy.length) throw conflict(`Client ${busy[0]} already has an active job on this repository.`);
  }
  const now = new Date();
  const [copy] = await db
    .insert(jobs)
    .values({
      type: job.type,
      policyId: job.policyId,
      clientId: job.clientId,
      repositoryId: job.repositoryId,
      relayId: job.relayId,
      status: 'pending',
      launchType: 'relaunch',
      masterJobId: job.masterJobId,
      relaunchOfId: job.id,
      attempt: job.attempt + 1,
      archiveName: job.archiveName,
      params: job.params,
      created: now,
      modified: now,
      createdBy: uid,
      modifiedBy: uid,
    })
    .returning();
  return [copy!];
}

export async function loadJob(db: Db, id: number): Promise<JobRow> {
  const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
  if (!row) throw notFound('job');
  return row;
}

/** The not-started jobs that wait, directly or not, on `rootId`. */
async function waitingDependents(db: Db, rootId: number): Promise<number[]> {
  const found: number[] = [];
  let frontier = [rootId];
  while (frontier.length) {
    const edges = await db.select({ id: jobDependencies.jobId }).from(jobDependencies).where(inList(jobDependencies.dependsOnId, frontier));
    const ids = [...new Set(edges.map((e) => e.id))].filter((id) => !found.includes(id));
    if (!ids.length) break;
    const open = await db.select({ id: jobs.id }).from(jobs).where(and(inList(jobs.id, ids), inArray(jobs.status, ['new', 'pending', 'waiting'])));
    frontier = open.map((r) => r.id);
    found.push(...frontier);
  }
  return found;
}

export function jobRoutes() {
  const app = createRouter();

  app.openapi(routes.list, async (c) => {
    const q = c.req.valid('query');
    const where = [];
    if (q.status?.length) where.push(q.status.length === 1 ? eq(jobs.status, q.status[0]!) : inArray(jobs.status, q.status));
    if (q.type?.length) where.push(q.type.length === 1 ? eq(jobs.type, q.type[0]!) : inArray(jobs.type, q.type));
    if (q.launch_type) where.push(eq(jobs.launchType, q.launch_type));
    if (q.client) where.push(eq(jobs.clientId, q.client));
    if (q.policy) where.push(eq(jobs.policyId, q.policy));
    if (q.repository) where.push(eq(jobs.repositoryId, q.repository));
    if (q.relay) where.push(eq(jobs.relayId, q.relay));
    if (q.master_job) where.push(eq(jobs.masterJobId, q.master_job));
    const page = await listPage<typeof jobs, JobRow>(c.var.db, { table: jobs, id: jobs.id, orderFields: { created: jobs.created }, defaultOrder: '-id' }, q, where, c.req.url);
    const reasons = await waitingFor(c.var.db, page.results);
    return c.json({ ...page, results: page.results.map((j) => serializeJob(j, undefined, reasons.get(j.id))) }, 200);
  });

  app.openapi(routes.get, async (c) => {
    const job = await loadJob(c.var.db, c.req.valid('param').id);
    const deps = await c.var.db.select({ id: jobDependencies.dependsOnId }).from(jobDependencies).where(eq(jobDependencies.jobId, job.id));
    const reasons = await waitingFor(c.var.db, [job]);
    return c.json(serializeJob(job, deps.map((d) => d.id).sort((a, b) => a - b), reasons.get(job.id)), 200);
  });

  app.openapi(routes.cancel, async (c) => {
    const db = c.var.db;
    const job = await loadJob(db, c.req.valid('param').id);
    if ((FINISHED_JOB_STATUSES as readonly string[]).includes(job.status)) throw conflict(`Job ${job.id} has already ended (${job.status}).`);
    const who = c.get('principal')!.user.email;
    if (job.status === 'starting' || job.status === 'running') {
      // The relay stops the remote process and reports the job canceled when it has.
      const [updated] = await db.update(jobs).set({ cancelRequested: true, ...modifiedStamp(c) }).where(eq(jobs.id, job.id)).returning();
      if (job.relayId !== null) await taskManagerFor(c.env, job.relayId).cancelJob(job.id);
      await audit(c, 'cancel', 'job', job.id, { requested: true });
      return c.json(serializeJob(updated!), 202);
    }
    const now = new Date();
    const dependents = await waitingDependents(db, job.id);
    const [updated] = await db
      .update(jobs)
      .set({ status: 'canceled', cancelRequested: true, finished: now, explanation: `Canceled by ${who} before it started.`, ...modifiedStamp(c) })
      .where(and(eq(jobs.id, job.id), inArray(jobs.status, ['new', 'pending', 'waiting'])))
      .returning();
    if (!updated) throw conflict(`Job ${job.id} started meanwhile; cancel it again.`);
    if (dependents.length) {
      await db
        .update(jobs)
        .set({ status: 'canceled', finished: now, explanation: `Canceled because job ${job.id}, which it waited for, was canceled.`, ...modifiedStamp(c) })
        .where(and(inList(jobs.id, dependents), inArray(jobs.status, ['new', 'pending', 'waiting'])));
    }
    await audit(c, 'cancel', 'job', job.id, { dependents });
    // Browsers watching these jobs learn it from the TaskManager (after the response).
    if (job.relayId !== null) c.executionCtx.waitUntil(taskManagerFor(c.env, job.relayId).jobsChanged().catch((e: unknown) => console.error(JSON.stringify({ level: 'error', msg: 'status publish failed', job: job.id, error: String((e as Error)?.message ?? e) }))));
    return c.json(serializeJob(updated), 200);
  });

  app.openapi(routes.relaunch, async (c) => {
    const db = c.var.db;
    const job = await loadJob(db, c.req.valid('param').id);
    if ((ACTIVE_JOB_STATUSES as readonly string[]).includes(job.status)) throw conflict(`Job ${job.id} has not ended yet (${job.status}).`);
    const created = await relaunch(c, job);
    await audit(c, 'relaunch', 'job', job.id, { jobs: created.map((j) => j.id) });
    pokeRelays(c, created);
    return c.json({ jobs: created.map((j) => serializeJob(j)) }, 201);
  });

  registerStdout(app);
  registerEvents(app);
  return app;
}
