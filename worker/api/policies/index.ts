/** Policies: what to back up (type + options), from which clients, where, when, and how long to keep it. */
import { inList } from '../../db/in-list';
import { z } from '@hono/zod-openapi';
import { eq, inArray, isNotNull } from 'drizzle-orm';
import { COMPRESSION_HINT, COMPRESSION_RE, KEEP_WITHIN_HINT, KEEP_WITHIN_RE } from '../../../shared/borg-values';
import { POLICY_TYPES, type PolicyType } from '../../../shared/domain';
import { audit } from '../../audit';
import { clients, jobs, policies, policyClients, relays, repositories, schedules } from '../../db/schema';
import { assertNoActiveJobs } from '../../jobs/active';
import { policyNextRun } from '../../scheduler/next-run';
import type { Db } from '../../http/context';
import { badRequest, notFound } from '../../http/errors';
import { changedFields, createdStamp, errorResponses, idParams, iso, jsonBody, jsonContent, modifiedStamp, trackedFields, trackedSchema, usable, usableSchema } from '../../http/objects';
import { booleanFilter, idFilter, listPage, listQuerySchema, pageSchema, searchAny } from '../../http/pagination';
import { apiRoute, createRouter } from '../../http/router';
import { clientUsability } from '../clients';
import { repositoryUsability } from '../repositories';
import { nameField, refId } from '../shared-fields';
import { assertUniqueName } from '../unique-name';
import { registerPolicyActions } from './actions';
import { checkPerClientKeys, parseOptions, presentOptions, splitSecrets } from './options';

export type PolicyRow = typeof policies.$inferSelect;
const UNIQUE = { table: policies, id: policies.id, name: policies.name, what: 'policy' };

export const policySchema = z
  .object({
    ...trackedSchema,
    name: z.string(),
    type: z.enum(POLICY_TYPES),
    schedule: z.number().int(),
    repository: z.number().int(),
    clients: z.array(z.number().int()),
    options: z.record(z.string(), z.unknown()).openapi({ description: 'Type-specific options; secrets appear as has_password.' }),
    keep_within: z.string().nullable(),
    keep_hourly: z.number().int().nullable(),
    keep_daily: z.number().int().nullable(),
    keep_weekly: z.number().int().nullable(),
    keep_monthly: z.number().int().nullable(),
    keep_yearly: z.number().int().nullable(),
    pre_hook: z.string().nullable(),
    post_hook: z.string().nullable(),
    compression: z.string(),
    catalog_enabled: z.boolean(),
    prune_enabled: z.boolean(),
    mode_pull: z.boolean(),
    max_duration_seconds: z.number().int().nullable(),
    jitter_seconds: z.number().int(),
    expected_interval_hours: z.number().int().nullable(),
    next_run: z.string().nullable(),
    enabled: z.boolean(),
    ...usableSchema,
  })
  .openapi('Policy');

const keep = z.number().int('Must be a whole number.').min(0, 'Must be 0 or more.').max(100_000, 'At most 100000.').nullable();
// eslint-disable-next-line no-control-regex
const hook = z.string().max(4096, 'At most 4096 characters.').refine((s) => !s.includes('\u0000'), 'Must not contain NUL.').nullable();

const fields = {
  name: nameField,
  type: z.enum(POLICY_TYPES),
  schedule: refId('schedule'),
  repository: refId('repository'),
  clients: z.array(refId('client')).max(1000, 'At most 1000 clients.'),
  options: z.record(z.string(), z.unknown()).openapi({ description: 'Type-specific; see docs/policies.md.' }),
  keep_within: z.string().regex(KEEP_WITHIN_RE, KEEP_WITHIN_HINT).nullable(),
  keep_hourly: keep,
  keep_daily: keep,
  keep_weekly: keep,
  keep_monthly: keep,
  keep_yearly: keep,
  pre_hook: hook,
  post_hook: hook,
  compression: z.string().regex(COMPRESSION_RE, COMPRESSION_HINT),
  catalog_enabled: z.boolean(),
  prune_enabled: z.boolean(),
  mode_pull: z.boolean(),
  max_duration_seconds: z.number().int('Must be a whole number.').min(60, 'At least 60 seconds.').max(7 * 86_400, 'At most 7 days.').nullable(),
  jitter_seconds: z
    .number()
    .int('Must be a whole number.')
    .min(0, 'At least 0.')
    .max(3600, 'At most 3600 seconds.')
    .openapi({ description: 'Scheduled runs start a random 0 to this many seconds after the crontab time, to spread load. Keep it below the schedule interval.' }),
  expected_interval_hours: z
    .number()
    .int('Must be a whole number.')
    .min(1, 'At least 1 hour.')
    .max(24 * 366, 'At most 366 days.')
    .nullable()
    .openapi({ description: 'A client is overdue when its last successful backup of this policy is older than this; null: the overdue_hours setting.' }),
  enabled: z.boolean(),
};
const createPolicy = z
  .object({
    ...fields,
    clients: fields.clients.default([]),
    options: fields.options.default({}),
    keep_within: fields.keep_within.default(null),
    keep_hourly: keep.default(null),
    keep_daily: keep.default(null),
    keep_weekly: keep.default(null),
    keep_monthly: keep.default(null),
    keep_yearly: keep.default(null),
    pre_hook: hook.default(null),
    post_hook: hook.default(null),
    compression: fields.compression.default('lz4'),
    catalog_enabled: fields.catalog_enabled.default(true),
    prune_enabled: fields.prune_enabled.default(true),
    mode_pull: fields.mode_pull.default(false),
    max_duration_seconds: fields.max_duration_seconds.default(null),
    jitter_seconds: fields.jitter_seconds.default(0),
    expected_interval_hours: fields.expected_interval_hours.default(null),
    enabled: fields.enabled.default(true),
  })
  .strict();
const updatePolicy = z.object(fields).partial().strict();

export const hasRetention = (p: PolicyRow) =>
  !!p.keepWithin || [p.keepHourly, p.keepDaily, p.keepWeekly, p.keepMonthly, p.keepYearly].some((k) => (k ?? 0) > 0);

interface Related {
  schedules: Map<number, typeof schedules.$inferSelect>;
  repositories: Map<number, typeof repositories.$inferSelect>;
  relays: Map<number, typeof relays.$inferSelect>;
  clientsOf: Map<number, (typeof clients.$inferSelect)[]>;
}

/** Loads what a page of policies depends on, in a handful of queries whatever the page size. */
export async function loadRelated(db: Db, rows: PolicyRow[]): Promise<Related> {
  const ids = rows.map((p) => p.id);
  const scheduleIds = [...new Set(rows.map((p) => p.scheduleId))];
  const repoIds = [...new Set(rows.map((p) => p.repositoryId))];
  if (!ids.length) return { schedules: new Map(), repositories: new Map(), relays: new Map(), clientsOf: new Map() };
  const [ss, rs, links] = await db.batch([
    db.select().from(schedules).where(inList(schedules.id, scheduleIds)),
    db.select().from(repositories).where(inList(repositories.id, repoIds)),
    db.select({ policyId: policyClients.policyId, client: clients }).from(policyClients).innerJoin(clients, eq(clients.id, policyClients.clientId)).where(inList(policyClients.policyId, ids)),
  ]);
  const relayIds = [...new Set([...rs.map((r) => r.relayId), ...links.map((l) => l.client.relayId)])];
  const relayRows = relayIds.length ? await db.select().from(relays).where(inList(relays.id, relayIds)) : [];
  const clientsOf = new Map<number, (typeof clients.$inferSelect)[]>();
  for (const l of links) clientsOf.set(l.policyId, [...(clientsOf.get(l.policyId) ?? []), l.client]);
  return {
    schedules: new Map(ss.map((s) => [s.id, s])),
    repositories: new Map(rs.map((r) => [r.id, r])),
    relays: new Map(relayRows.map((r) => [r.id, r])),
    clientsOf,
  };
}

export function policyUsability(p: PolicyRow, rel: Related): string[] {
  const reasons: string[] = [];
  if (!p.enabled) reasons.push('policy is disabled');
  const schedule = rel.schedules.get(p.scheduleId);
  if (!schedule) reasons.push('schedule is missing');
  else if (!schedule.enabled) reasons.push(`schedule ${schedule.name} is disabled`);
  const repo = rel.repositories.get(p.repositoryId);
  if (!repo) reasons.push('repository is missing');
  else for (const r of repositoryUsability(repo, rel.relays.get(repo.relayId))) reasons.push(`${r} (${repo.name})`);
  const cs = rel.clientsOf.get(p.id) ?? [];
  if (!cs.length) reasons.push('policy has no client');
  else if (!cs.some((cl) => clientUsability(cl, rel.relays.get(cl.relayId)).length === 0)) reasons.push('no client of the policy is usable');
  return reasons;
}

export function serializePolicy(p: PolicyRow, rel: Related) {
  return {
    ...trackedFields(p),
    name: p.name,
    type: p.type,
    schedule: p.scheduleId,
    repository: p.repositoryId,
    clients: (rel.clientsOf.get(p.id) ?? []).map((cl) => cl.id).sort((a, b) => a - b),
    options: presentOptions(p.type, p.options, p.secrets),
    keep_within: p.keepWithin,
    keep_hourly: p.keepHourly,
    keep_daily: p.keepDaily,
    keep_weekly: p.keepWeekly,
    keep_monthly: p.keepMonthly,
    keep_yearly: p.keepYearly,
    pre_hook: p.preHook,
    post_hook: p.postHook,
    compression: p.compression,
    catalog_enabled: p.catalogEnabled,
    prune_enabled: p.pruneEnabled,
    mode_pull: p.modePull,
    max_duration_seconds: p.maxDurationSeconds,
    jitter_seconds: p.jitterSeconds,
    expected_interval_hours: p.expectedIntervalHours,
    next_run: iso(p.nextRun),
    enabled: p.enabled,
    ...usable(policyUsability(p, rel)),
  };
}


/** Checks the references of a policy and returns what validation of the rest needs. */
async function resolveReferences(db: Db, scheduleId: number, repositoryId: number, clientIds: number[]) {
  const [ss, rs, cs] = await db.batch([
    db.select().from(schedules).where(eq(schedules.id, scheduleId)),
    db.select().from(repositories).where(eq(repositories.id, repositoryId)),
    db.select().from(clients).where(inList(clients.id, clientIds)),
  ]);
  const fieldErrors: Record<string, string[]> = {};
  if (!ss[0]) fieldErrors.schedule = ['No such schedule.'];
  if (!rs[0]) fieldErrors.repository = ['No such repository.'];
  const found = new Set(cs.map((cl) => cl.id));
  const missing = clientIds.filter((id) => !found.has(id));
  if (missing.length) fieldErrors.clients = [`No such client: ${missing.join(', ')}.`];
  const repo = rs[0];
  if (repo) {
    const elsewhere = cs.filter((cl) => cl.relayId !== repo.relayId).map((cl) => cl.hostname);
    if (elsewhere.length) (fieldErrors.clients ??= []).push(`On another relay than the repository: ${elsewhere.join(', ')}.`);
  }
  if (Object.keys(fieldErrors).length) throw badRequest(fieldErrors);
  return { schedule: ss[0]!, repository: repo! };
}

const routes = {
  list: apiRoute({ method: 'get', path: '/policies', access: 'viewer', tags: ['policies'], summary: 'List policies; order_by=next_run gives the soonest runs first (policies without a next run are left out)', request: { query: listQuerySchema.extend({ enabled: booleanFilter, type: z.enum(POLICY_TYPES).optional(), schedule: idFilter, repository: idFilter, client: idFilter, search: z.string().max(200).optional() }) }, responses: { 200: jsonContent(pageSchema(policySchema), 'A page of policies'), ...errorResponses } }),
  create: apiRoute({ method: 'post', path: '/policies', access: 'admin', tags: ['policies'], summary: 'Create a policy', request: jsonBody(createPolicy), responses: { 201: jsonContent(policySchema, 'Created'), ...errorResponses } }),
  get: apiRoute({ method: 'get', path: '/policies/{id}', access: 'viewer', tags: ['policies'], summary: 'Get a policy', request: { params: idParams }, responses: { 200: jsonContent(policySchema, 'The policy'), ...errorResponses } }),
  update: apiRoute({ method: 'patch', path: '/policies/{id}', access: 'admin', tags: ['policies'], summary: 'Update a policy (options replace the old ones; omitted secrets are kept)', request: { params: idParams, ...jsonBody(updatePolicy) }, responses: { 200: jsonContent(policySchema, 'Updated'), ...errorResponses } }),
  remove: apiRoute({ method: 'delete', path: '/policies/{id}', access: 'admin', tags: ['policies'], summary: 'Delete a policy (its jobs are kept)', request: { params: idParams }, responses: { 204: { description: 'Deleted' }, ...errorResponses } }),
};

export async function loadPolicy(db: Db, id: number): Promise<PolicyRow> {
  const [row] = await db.select().from(policies).where(eq(policies.id, id));
  if (!row) throw notFound('policy');
  return row;
}

export function policyRoutes() {
  const app = createRouter();

  app.openapi(routes.list, async (c) => {
    const q = c.req.valid('query');
    const db = c.var.db;
    const where = [];
    if (q.enabled !== undefined) where.push(eq(policies.enabled, q.enabled));
    if (q.type) where.push(eq(policies.type, q.type));
    if (q.schedule) where.push(eq(policies.scheduleId, q.schedule));
    if (q.repository) where.push(eq(policies.repositoryId, q.repository));
    if (q.client) where.push(inArray(policies.id, db.select({ id: policyClients.policyId }).from(policyClients).where(eq(policyClients.clientId, q.client))));
    if (q.search) where.push(searchAny([policies.name], q.search));
    // Keyset paging needs a total order, so ordering by next_run (the dashboard's upcoming
    // runs) leaves out the policies that have none: their crontab never runs again.
    if (q.order_by === 'next_run' || q.order_by === '-next_run') where.push(isNotNull(policies.nextRun));
    const orderFields = { name: policies.name, created: policies.created, next_run: policies.nextRun };
    const page = await listPage<typeof policies, PolicyRow>(db, { table: policies, id: policies.id, orderFields, defaultOrder: 'id' }, q, where, c.req.url);
    const rel = await loadRelated(db, page.results);
    return c.json({ ...page, results: page.results.map((p) => serializePolicy(p, rel)) }, 200);
  });

  app.openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    const db = c.var.db;
    const clientIds = [...new Set(body.clients)];
    const options = parseOptions(body.type, body.options);
    const { schedule, repository } = await resolveReferences(db, body.schedule, body.repository, clientIds);
    checkPerClientKeys(body.type, options, clientIds);
    await assertUniqueName(db, UNIQUE, body.name);
    const split = await splitSecrets(db, repository.relayId, body.type, options, {});
    const { clients: _c, options: _o, schedule: _s, repository: _r, ...rest } = body;
    const [row] = await db
      .insert(policies)
      .values({
        ...createdStamp(c),
        ...camel(rest),
        type: body.type,
        scheduleId: schedule.id,
        repositoryId: repository.id,
        options: split.options,
        secrets: split.secrets,
        nextRun: policyNextRun(schedule.crontab, schedule.timezone, new Date(), body.jitter_seconds ?? 0),
      } as typeof policies.$inferInsert)
      .returning();
    if (clientIds.length) await insertClientLinks(db, row!.id, clientIds);
    await audit(c, 'create', 'policy', row!.id);
    return c.json(serializePolicy(row!, await loadRelated(db, [row!])), 201);
  });

  app.openapi(routes.get, async (c) => {
    const row = await loadPolicy(c.var.db, c.req.valid('param').id);
    return c.json(serializePolicy(row, await loadRelated(c.var.db, [row])), 200);
  });

  app.openapi(routes.update, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const db = c.var.db;
    const row = await loadPolicy(db, id);
    const type: PolicyType = body.type ?? row.type;
    if (body.type && body.type !== row.type && body.options === undefined) {
      throw badRequest({ options: [`Give the options of type ${body.type} when changing the type.`] });
    }
    const current = await db.select({ id: policyClients.clientId }).from(policyClients).where(eq(policyClients.policyId, id));
    const clientIds = body.clients ? [...new Set(body.clients)] : current.map((r) => r.id);
    const { schedule, repository } = await resolveReferences(db, body.schedule ?? row.scheduleId, body.repository ?? row.repositoryId, clientIds);
    const options = parseOptions(type, body.options ?? row.options);
    checkPerClientKeys(type, options, clientIds);
    if (body.name !== undefined) await assertUniqueName(db, UNIQUE, body.name, id);
    const sameRelay = repository.relayId === (await relayOfRepository(db, row.repositoryId));
    if (!sameRelay && Object.keys(row.secrets).length && body.options === undefined) {
      throw badRequest({ options: ['The database passwords are sealed to the old relay; give them again with the new repository.'] });
    }
    // Stored secrets are sealed to one relay's key: keep them only for the same type on the same relay.
    const split = await splitSecrets(db, repository.relayId, type, options, type === row.type && sameRelay ? row.secrets : {});
    const { clients: _c, options: _o, schedule: _s, repository: _r, type: _t, ...rest } = body;
    const [updated] = await db
      .update(policies)
      .set({
        ...camel(rest),
        type,
        scheduleId: schedule.id,
        repositoryId: repository.id,
        options: split.options,
        secrets: split.secrets,
        // Only when what decides it changed (or the policy comes back on): an edit of anything
        // else in the minute a run is due must not push that run to the next time.
        nextRun:
          schedule.id !== row.scheduleId || (body.jitter_seconds ?? row.jitterSeconds) !== row.jitterSeconds || (body.enabled === true && !row.enabled) || row.nextRun === null
            ? policyNextRun(schedule.crontab, schedule.timezone, new Date(), body.jitter_seconds ?? row.jitterSeconds)
            : row.nextRun,
        ...modifiedStamp(c),
      })
      .where(eq(policies.id, id))
      .returning();
    if (body.clients) {
      await db.delete(policyClients).where(eq(policyClients.policyId, id));
      if (clientIds.length) await insertClientLinks(db, id, clientIds);
    }
    await audit(c, 'update', 'policy', id, { fields: changedFields(body) });
    return c.json(serializePolicy(updated!, await loadRelated(db, [updated!])), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const { id } = c.req.valid('param');
    await loadPolicy(c.var.db, id);
    await assertNoActiveJobs(c.var.db, jobs.policyId, id, 'policy');
    await c.var.db.batch([c.var.db.delete(policyClients).where(eq(policyClients.policyId, id)), c.var.db.delete(policies).where(eq(policies.id, id))]);
    await audit(c, 'delete', 'policy', id);
    return c.body(null, 204);
  });

  registerPolicyActions(app);
  return app;
}

async function relayOfRepository(db: Db, repositoryId: number): Promise<number | undefined> {
  return (await db.select({ relayId: repositories.relayId }).from(repositories).where(eq(repositories.id, repositoryId)))[0]?.relayId;
}

/** D1 allows 100 bound parameters a statement: 2 per link, so 40 links a statement. */
async function insertClientLinks(db: Db, policyId: number, clientIds: number[]) {
  const statements = [];
  for (let i = 0; i < clientIds.length; i += 40) {
    statements.push(db.insert(policyClients).values(clientIds.slice(i, i + 40).map((clientId) => ({ policyId, clientId }))));
  }
  const [first, ...rest] = statements;
  await db.batch([first!, ...rest]);
}

/** Maps the snake_case scalar fields of a request onto the table's columns. */
function camel(body: Record<string, unknown>): Partial<typeof policies.$inferInsert> {
  const map: Record<string, keyof typeof policies.$inferInsert> = {
    name: 'name',
    keep_within: 'keepWithin',
    keep_hourly: 'keepHourly',
    keep_daily: 'keepDaily',
    keep_weekly: 'keepWeekly',
    keep_monthly: 'keepMonthly',
    keep_yearly: 'keepYearly',
    pre_hook: 'preHook',
    post_hook: 'postHook',
    compression: 'compression',
    catalog_enabled: 'catalogEnabled',
    prune_enabled: 'pruneEnabled',
    mode_pull: 'modePull',
    max_duration_seconds: 'maxDurationSeconds',
    jitter_seconds: 'jitterSeconds',
    expected_interval_hours: 'expectedIntervalHours',
    enabled: 'enabled',
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (map[k] && v !== undefined) out[map[k]] = v;
  return out as Partial<typeof policies.$inferInsert>;
}
