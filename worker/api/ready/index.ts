/**
 * POST /ready/{token}: the curl a prepare job prints when the relay cannot report
 * for it. Public (the host has no session) but bound to one prepare job and one
 * object, single use, expiring; any other token is a plain 404 so the endpoint
 * tells a prober nothing.
 */
import { z } from '@hono/zod-openapi';
import { and, eq, gt, isNull } from 'drizzle-orm';
import { isIPv4, isIPv6 } from '../../../shared/hosts';
import { hashSecret } from '../../auth/secret-hash';
import { audit } from '../../audit';
import { clients, jobs, readinessTokens, repositories } from '../../db/schema';
import { notFound } from '../../http/errors';
import { errorResponses, jsonContent } from '../../http/objects';
import { apiRoute, createRouter } from '../../http/router';

const route = apiRoute({
  method: 'post',
  path: '/ready/{token}',
  access: 'public',
  tags: ['prepare'],
  summary: 'Mark the client or repository of a prepare job ready (one-time token from the job output)',
  request: {
    params: z.object({ token: z.string().max(200).openapi({ param: { name: 'token', in: 'path' } }) }),
    body: {
      required: false,
      content: {
        'application/json': {
          schema: z
            .object({
              ip: z.string().max(45).refine((v) => isIPv4(v) || isIPv6(v), 'Must be an IP address.').optional(),
              borg_version: z.string().regex(/^\d+\.\d+(\.\d+)?([a-z0-9.+-]*)$/i, 'Like 1.2.4.').optional(),
            })
            .strict(),
        },
      },
    },
  },
  responses: { 200: jsonContent(z.object({ object: z.enum(['client', 'repository']), id: z.number().int(), ready: z.literal(true) }), 'Marked ready'), ...errorResponses },
});

export function readyRoutes() {
  const app = createRouter();
  app.openapi(route, async (c) => {
    const { token } = c.req.valid('param');
    const body = (c.req.valid('json') ?? {}) as { ip?: string; borg_version?: string };
    const db = c.var.db;
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) throw notFound('token');
    const now = new Date();
    // Claim the token atomically: only one request can flip `used` from null.
    const [claimed] = await db
      .update(readinessTokens)
      .set({ used: now })
      .where(and(eq(readinessTokens.tokenHash, await hashSecret(c.env, token)), isNull(readinessTokens.used), gt(readinessTokens.expires, now)))
      .returning();
    if (!claimed) throw notFound('token');
    const [job] = await db.select({ status: jobs.status }).from(jobs).where(eq(jobs.id, claimed.jobId));
    if (!job || job.status === 'canceled') throw notFound('token');
    if (claimed.objectType === 'client') {
      await db
        .update(clients)
        .set({ ready: true, markAsToUpdate: false, ...(body.ip ? { ip: body.ip } : {}), ...(body.borg_version ? { borgVersion: body.borg_version } : {}), modified: now })
        .where(eq(clients.id, claimed.objectId));
    } else {
      await db.update(repositories).set({ ready: true, modified: now }).where(eq(repositories.id, claimed.objectId));
    }
    await audit(c, 'ready', claimed.objectType, claimed.objectId, { job: claimed.jobId, via: 'readiness token' });
    return c.json({ object: claimed.objectType, id: claimed.objectId, ready: true as const }, 200);
  });
  return app;
}
