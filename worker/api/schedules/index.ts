/** Schedules: a crontab in a timezone. Changing one moves the next run of its policies. */
import { z } from '@hono/zod-openapi';
import { eq, sql } from 'drizzle-orm';
import { crontabError, nextRun, runsBetween, timezoneError } from '../../../shared/cron';
import { audit } from '../../audit';
import { policies, schedules } from '../../db/schema';
import type { Db } from '../../http/context';
import { conflict, notFound } from '../../http/errors';
import { changedFields, createdStamp, errorResponses, idParams, jsonBody, jsonContent, modifiedStamp, trackedFields, trackedSchema } from '../../http/objects';
import { booleanFilter, listPage, listQuerySchema, pageSchema, searchAny } from '../../http/pagination';
import { apiRoute, createRouter } from '../../http/router';
import { nameField } from '../shared-fields';
import { assertUniqueName } from '../unique-name';
import { registerSchedulePreview } from './preview';

type ScheduleRow = typeof schedules.$inferSelect;
const UNIQUE = { table: schedules, id: schedules.id, name: schedules.name, what: 'schedule' };

const scheduleSchema = z
  .object({
    ...trackedSchema,
    name: z.string(),
    crontab: z.string(),
    timezone: z.string(),
    enabled: z.boolean(),
    next_runs: z.array(z.string()).openapi({ description: 'The next five run times (UTC ISO), whatever the enabled state.' }),
  })
  .openapi('Schedule');

const fields = {
  name: nameField,
  crontab: z.string().superRefine((v, ctx) => {
    const reason = crontabError(v);
    if (reason) ctx.addIssue({ code: 'custom', message: reason });
  }),
  timezone: z.string().max(64).superRefine((v, ctx) => {
    const reason = timezoneError(v);
    if (reason) ctx.addIssue({ code: 'custom', message: reason });
  }),
  enabled: z.boolean(),
};
const createSchedule = z.object({ ...fields, timezone: fields.timezone.default('UTC'), enabled: fields.enabled.default(true) }).strict();
const updateSchedule = z.object(fields).partial().strict();

export function serializeSchedule(s: ScheduleRow) {
  const now = new Date();
  return {
    ...trackedFields(s),
    name: s.name,
    crontab: s.crontab,
    timezone: s.timezone,
    enabled: s.enabled,
    next_runs: runsBetween(s.crontab, s.timezone, now, new Date(now.getTime() + 5 * 366 * 86_400_000), 5).map((d) => d.toISOString()),
  };
}

/** Recomputes next_run of every policy on a schedule (after the schedule changed). */
export async function refreshPoliciesOf(db: Db, s: ScheduleRow): Promise<void> {
  // Each policy keeps its own jitter (a fresh draw in SQL: one statement for all of them).
  const base = nextRun(s.crontab, s.timezone, new Date());
  await db
    .update(policies)
    .set({ nextRun: base === null ? null : sql`${sql.raw(String(base.getTime()))} + (abs(random()) % (${policies.jitterSeconds} + 1)) * 1000` })
    .where(eq(policies.scheduleId, s.id));
}


const routes = {
  list: apiRoute({ method: 'get', path: '/schedules', access: 'viewer', tags: ['schedules'], summary: 'List schedules', request: { query: listQuerySchema.extend({ enabled: booleanFilter, search: z.string().max(200).optional() }) }, responses: { 200: jsonContent(pageSchema(scheduleSchema), 'A page of schedules'), ...errorResponses } }),
  create: apiRoute({ method: 'post', path: '/schedules', access: 'admin', tags: ['schedules'], summary: 'Create a schedule', request: jsonBody(createSchedule), responses: { 201: jsonContent(scheduleSchema, 'Created'), ...errorResponses } }),
  get: apiRoute({ method: 'get', path: '/schedules/{id}', access: 'viewer', tags: ['schedules'], summary: 'Get a schedule', request: { params: idParams }, responses: { 200: jsonContent(scheduleSchema, 'The schedule'), ...errorResponses } }),
  update: apiRoute({ method: 'patch', path: '/schedules/{id}', access: 'admin', tags: ['schedules'], summary: 'Update a schedule', request: { params: idParams, ...jsonBody(updateSchedule) }, responses: { 200: jsonContent(scheduleSchema, 'Updated'), ...errorResponses } }),
  remove: apiRoute({ method: 'delete', path: '/schedules/{id}', access: 'admin', tags: ['schedules'], summary: 'Delete a schedule no policy uses', request: { params: idParams }, responses: { 204: { description: 'Deleted' }, ...errorResponses } }),
};

export function scheduleRoutes() {
  const app = createRouter();
  // First: /schedules/preview would otherwise match /schedules/{id} (and fail as a bad id).
  registerSchedulePreview(app);

  app.openapi(routes.list, async (c) => {
    const q = c.req.valid('query');
    const where = [];
    if (q.enabled !== undefined) where.push(eq(schedules.enabled, q.enabled));
    if (q.search) where.push(searchAny([schedules.name, schedules.crontab], q.search));
    const page = await listPage<typeof schedules, ScheduleRow>(c.var.db, { table: schedules, id: schedules.id, orderFields: { name: schedules.name, created: schedules.created }, defaultOrder: 'id' }, q, where, c.req.url);
    return c.json({ ...page, results: page.results.map(serializeSchedule) }, 200);
  });

  app.openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    await assertUniqueName(c.var.db, UNIQUE, body.name);
    const [row] = await c.var.db.insert(schedules).values({ ...createdStamp(c), ...body, crontab: body.crontab.trim() }).returning();
    await audit(c, 'create', 'schedule', row!.id);
    return c.json(serializeSchedule(row!), 201);
  });

  app.openapi(routes.get, async (c) => {
    const [row] = await c.var.db.select().from(schedules).where(eq(schedules.id, c.req.valid('param').id));
    if (!row) throw notFound('schedule');
    return c.json(serializeSchedule(row), 200);
  });

  app.openapi(routes.update, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const [row] = await c.var.db.select().from(schedules).where(eq(schedules.id, id));
    if (!row) throw notFound('schedule');
    if (body.name !== undefined) await assertUniqueName(c.var.db, UNIQUE, body.name, id);
    const [updated] = await c.var.db
      .update(schedules)
      .set({ ...body, ...(body.crontab ? { crontab: body.crontab.trim() } : {}), ...modifiedStamp(c) })
      .where(eq(schedules.id, id))
      .returning();
    // Unlike CyBorgBackup, policies are recomputed after the schedule is saved, from the new crontab.
    if (body.crontab !== undefined || body.timezone !== undefined) await refreshPoliciesOf(c.var.db, updated!);
    await audit(c, 'update', 'schedule', id, { fields: changedFields(body) });
    return c.json(serializeSchedule(updated!), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const { id } = c.req.valid('param');
    const [row] = await c.var.db.select().from(schedules).where(eq(schedules.id, id));
    if (!row) throw notFound('schedule');
    const users = await c.var.db.select({ name: policies.name }).from(policies).where(eq(policies.scheduleId, id)).limit(20);
    if (users.length) throw conflict(`This schedule is used by policies: ${users.map((u) => u.name).join(', ')}.`);
    await c.var.db.delete(schedules).where(eq(schedules.id, id));
    await audit(c, 'delete', 'schedule', id);
    return c.body(null, 204);
  });

  return app;
}
