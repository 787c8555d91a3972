/** /ping (public health), /config (what a UI or script needs to know about this deployment). */
import { z } from '@hono/zod-openapi';
import { count } from 'drizzle-orm';
import { ENCRYPTION_MODES, JOB_STATUSES, JOB_TYPES, POLICY_TYPES, ROLES } from '../../../shared/domain';
import { users } from '../../db/schema';
import { errorResponses, jsonContent } from '../../http/objects';
import { MAX_PAGE_SIZE } from '../../http/pagination';
import { apiRoute, createRouter } from '../../http/router';
import { API_VERSION } from '../../version';
import { publicBaseUrl } from '../jobs/prepare';

const ping = apiRoute({
  method: 'get',
  path: '/ping',
  access: 'public',
  tags: ['meta'],
  summary: 'Health and version (no auth)',
  responses: { 200: jsonContent(z.object({ status: z.literal('ok'), version: z.string(), time: z.string(), setup_needed: z.boolean() }), 'Up') },
});

const config = apiRoute({
  method: 'get',
  path: '/config',
  access: 'viewer',
  tags: ['meta'],
  summary: 'Deployment facts and the enumerations the API accepts',
  responses: {
    200: jsonContent(
      z.object({
        version: z.string(),
        public_url: z.string(),
        max_page_size: z.number().int(),
        policy_types: z.array(z.string()),
        job_types: z.array(z.string()),
        job_statuses: z.array(z.string()),
        encryption_modes: z.array(z.string()),
        roles: z.array(z.string()),
      }),
      'Configuration',
    ),
    ...errorResponses,
  },
});

export function metaRoutes() {
  const app = createRouter();
  app.openapi(ping, async (c) => {
    const [row] = await c.var.db.select({ n: count() }).from(users);
    return c.json({ status: 'ok' as const, version: API_VERSION, time: new Date().toISOString(), setup_needed: (row?.n ?? 0) === 0 }, 200);
  });
  app.openapi(config, async (c) =>
    c.json(
      {
        version: API_VERSION,
        public_url: await publicBaseUrl(c.var.db, c.req.url),
        max_page_size: MAX_PAGE_SIZE,
        policy_types: [...POLICY_TYPES],
        job_types: [...JOB_TYPES],
        job_statuses: [...JOB_STATUSES],
        encryption_modes: [...ENCRYPTION_MODES],
        roles: [...ROLES],
      },
      200,
    ),
  );
  return app;
}
