/** GET /audit: the audit log, newest first (admin). */
import { z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { AUDIT_ACTIONS } from '../../../shared/domain';
import { auditLog } from '../../db/schema';
import { errorResponses, iso, jsonContent } from '../../http/objects';
import { idFilter, listPage, listQuerySchema, pageSchema } from '../../http/pagination';
import { apiRoute, createRouter } from '../../http/router';

type AuditRow = typeof auditLog.$inferSelect;

const entrySchema = z
  .object({
    id: z.number().int(),
    at: z.string(),
    user: z.number().int().nullable(),
    actor: z.string(),
    action: z.enum(AUDIT_ACTIONS),
    object_type: z.string(),
    object_id: z.number().int().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
    address: z.string().nullable(),
  })
  .openapi('AuditEntry');

const route = apiRoute({
  method: 'get',
  path: '/audit',
  access: 'admin',
  tags: ['audit'],
  summary: 'The audit log: who did what to which object',
  request: {
    query: listQuerySchema.extend({
      user: idFilter,
      action: z.enum(AUDIT_ACTIONS).optional(),
      object_type: z.string().max(40).optional(),
      object_id: idFilter,
    }),
  },
  responses: { 200: jsonContent(pageSchema(entrySchema), 'A page of entries'), ...errorResponses },
});

const serialize = (a: AuditRow) => ({
  id: a.id,
  at: iso(a.at)!,
  user: a.userId,
  actor: a.actor,
  action: a.action,
  object_type: a.objectType,
  object_id: a.objectId,
  detail: a.detail,
  address: a.address,
});

export function auditRoutes() {
  const app = createRouter();
  app.openapi(route, async (c) => {
    const q = c.req.valid('query');
    const where = [];
    if (q.user) where.push(eq(auditLog.userId, q.user));
    if (q.action) where.push(eq(auditLog.action, q.action));
    if (q.object_type) where.push(eq(auditLog.objectType, q.object_type));
    if (q.object_id) where.push(eq(auditLog.objectId, q.object_id));
    const page = await listPage<typeof auditLog, AuditRow>(c.var.db, { table: auditLog, id: auditLog.id, orderFields: {}, defaultOrder: '-id' }, q, where, c.req.url);
    return c.json({ ...page, results: page.results.map(serialize) }, 200);
  });
  return app;
}
