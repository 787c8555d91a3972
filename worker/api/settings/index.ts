/** Settings: typed, grouped, one PATCH per key. Secret values are write-only. */
import { z } from '@hono/zod-openapi';
import { asc, eq } from 'drizzle-orm';
import { SETTING_TYPES } from '../../../shared/domain';
import { audit } from '../../audit';
import { settings } from '../../db/schema';
import { badRequest, notFound } from '../../http/errors';
import { errorResponses, iso, jsonBody, jsonContent } from '../../http/objects';
import { apiRoute, createRouter } from '../../http/router';
import { encryptSecretSetting } from './store';

type SettingRow = typeof settings.$inferSelect;

const settingSchema = z
  .object({
    key: z.string(),
    type: z.enum(SETTING_TYPES),
    group: z.string(),
    label: z.string(),
    description: z.string(),
    value: z.union([z.string(), z.number(), z.boolean(), z.null()]).openapi({ description: 'Always null for a secret; see has_value.' }),
    has_value: z.boolean(),
    modified: z.string().nullable(),
    modified_by: z.number().int().nullable(),
  })
  .openapi('Setting');

const serialize = (s: SettingRow) => ({
  key: s.key,
  type: s.type,
  group: s.group,
  label: s.label,
  description: s.description,
  value: s.type === 'secret' || s.value === null ? null : (JSON.parse(s.value) as string | number | boolean),
  has_value: s.value !== null,
  modified: iso(s.modified),
  modified_by: s.modifiedBy,
});

/** The public URL ends up in a curl hosts run: a plain http(s) URL, nothing a shell could read twice. */
function isPublicUrl(value: string): boolean {
  if (!/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~\/-]*)?$/.test(value)) return false;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

const keyParams = z.object({ key: z.string().max(64).openapi({ param: { name: 'key', in: 'path' }, example: 'auto_prune' }) });
const valueBody = z.object({ value: z.union([z.string().max(4096), z.number(), z.boolean(), z.null()]) }).strict();

/** Per-key constraints beyond the type. */
const INTEGER_RANGES: Record<string, [number, number]> = {
  job_retention_days: [1, 3650],
  max_concurrent_jobs: [1, 100],
  max_concurrent_jobs_global: [1, 1000],
  overdue_hours: [1, 24 * 366],
  housekeeping_hour: [0, 23],
  mail_port: [1, 65535],
};

function validateValue(s: SettingRow, value: unknown): string | number | boolean | null {
  switch (s.type) {
    case 'boolean':
      if (typeof value !== 'boolean') throw badRequest({ value: ['Must be true or false.'] });
      return value;
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) throw badRequest({ value: ['Must be a whole number.'] });
      const [min, max] = INTEGER_RANGES[s.key] ?? [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
      if (value < min || value > max) throw badRequest({ value: [`Must be ${min} to ${max}.`] });
      return value;
    }
    case 'string':
    case 'secret': {
      if (value === null && s.type === 'secret') return null;
      if (typeof value !== 'string') throw badRequest({ value: ['Must be a string.'] });
      if (s.key === 'public_url' && value !== '' && !isPublicUrl(value)) throw badRequest({ value: ['Must be an http(s) URL of letters, digits and . - _ ~ / : only (it is printed in shell commands).'] });
      if (s.key === 'mail_from' && value !== '' && !/^[^\s@]+@[^\s@]+$/.test(value)) throw badRequest({ value: ['Must be an email address.'] });
      return value;
    }
  }
}

const routes = {
  list: apiRoute({ method: 'get', path: '/settings', access: 'viewer', tags: ['settings'], summary: 'All settings, grouped and ordered', responses: { 200: jsonContent(z.object({ count: z.number().int(), count_exact: z.boolean(), next: z.null(), previous: z.null(), results: z.array(settingSchema) }), 'Every setting'), ...errorResponses } }),
  get: apiRoute({ method: 'get', path: '/settings/{key}', access: 'viewer', tags: ['settings'], summary: 'Get a setting', request: { params: keyParams }, responses: { 200: jsonContent(settingSchema, 'The setting'), ...errorResponses } }),
  update: apiRoute({ method: 'patch', path: '/settings/{key}', access: 'admin', tags: ['settings'], summary: 'Change a setting', request: { params: keyParams, ...jsonBody(valueBody) }, responses: { 200: jsonContent(settingSchema, 'Updated'), ...errorResponses } }),
};

export function settingRoutes() {
  const app = createRouter();

  app.openapi(routes.list, async (c) => {
    const rows = await c.var.db.select().from(settings).orderBy(asc(settings.group), asc(settings.order));
    return c.json({ count: rows.length, count_exact: true, next: null, previous: null, results: rows.map(serialize) }, 200);
  });

  app.openapi(routes.get, async (c) => {
    const [row] = await c.var.db.select().from(settings).where(eq(settings.key, c.req.valid('param').key));
    if (!row) throw notFound('setting');
    return c.json(serialize(row), 200);
  });

  app.openapi(routes.update, async (c) => {
    const { key } = c.req.valid('param');
    const [row] = await c.var.db.select().from(settings).where(eq(settings.key, key));
    if (!row) throw notFound('setting');
    const value = validateValue(row, c.req.valid('json').value);
    const stored = value === null ? null : row.type === 'secret' ? await encryptSecretSetting(c.env, value as string) : JSON.stringify(value);
    const [updated] = await c.var.db
      .update(settings)
      .set({ value: stored, modified: new Date(), modifiedBy: c.get('principal')!.user.id })
      .where(eq(settings.key, key))
      .returning();
    await audit(c, 'update', 'setting', null, { key });
    return c.json(serialize(updated!), 200);
  });

  return app;
}
