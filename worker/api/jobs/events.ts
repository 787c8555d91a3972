/**
 * GET /jobs/{id}/events: a job's output and status live, over a WebSocket, for the
 * browser. The Worker authenticates the caller (session or token, viewer), checks the
 * Origin and the job, then hands the upgrade (with the caller's role and scope) to the
 * TaskManager of the job's relay, which holds the lines and accepts the socket with the
 * hibernation API (worker/taskmanager/subscribers.ts; protocol in shared/job-events.ts).
 */
import { z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { assertSameOrigin } from '../../auth/authenticate';
import type { AppEnv } from '../../http/context';
import { ApiError, conflict } from '../../http/errors';
import { errorResponses, errorSchema, idParams, jsonContent } from '../../http/objects';
import { apiRoute } from '../../http/router';
import { taskManagerFor } from '../../taskmanager/TaskManager';
import { loadJob } from '.';

/**
 * A browser always sends Origin on a WebSocket handshake and the socket is not subject
 * to CORS, so any site could open it with the user's cookie (cross-site WebSocket
 * hijacking): when Origin is present it must be this site's. Scripts send none.
 */
const sameOriginIfPresent: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.header('Origin') !== undefined) assertSameOrigin(c.req.raw);
  return next();
};

const route = apiRoute({
  method: 'get',
  path: '/jobs/{id}/events',
  access: 'viewer',
  tags: ['jobs'],
  summary: 'Watch a job live (WebSocket): the lines after `after`, then new lines and status changes; see docs/api.md',
  middleware: [sameOriginIfPresent],
  request: {
    params: idParams,
    query: z.object({
      after: z.coerce
        .number()
        .int('Must be a whole number.')
        .min(0, 'Must be 0 or more.')
        .max(Number.MAX_SAFE_INTEGER, 'Too large.')
        .default(0)
        .openapi({ description: 'Last line already received; the replay starts after it.' }),
    }),
  },
  responses: {
    101: { description: 'Switching Protocols: JSON text messages hello, lines, status, error (shared/job-events.ts).' },
    ...errorResponses,
    403: jsonContent(errorSchema, 'Not allowed for this role, or an Origin other than this site (`csrf`).'),
    409: jsonContent(errorSchema, 'The job has no relay, so no output to watch.'),
    426: jsonContent(errorSchema, 'Not a WebSocket upgrade.'),
  },
});

export function registerEvents(app: OpenAPIHono<AppEnv>) {
  app.openapi(route, async (c) => {
    const job = await loadJob(c.var.db, c.req.valid('param').id);
    if (c.req.header('Upgrade')?.toLowerCase() !== 'websocket') throw new ApiError(426, 'upgrade_required', 'Connect with a WebSocket.', undefined, { Upgrade: 'websocket' });
    // Output lives in the TaskManager of the relay that ran the job; without one there is none.
    if (job.relayId === null) throw conflict('This job has no relay, so there is no output to watch.');
    // Who watches, for the socket's attachment: readiness tokens in the lines are hidden from
    // those who may not prepare (worker/jobs/redact-readiness.ts), at each send.
    const principal = c.get('principal')!;
    const q = new URLSearchParams({ job: String(job.id), after: String(c.req.valid('query').after), status: job.status, role: principal.user.role, scope: principal.scope });
    const res = await taskManagerFor(c.env, job.relayId).fetch(new Request(`https://task-manager/events?${q}`, { headers: { Upgrade: 'websocket' } }));
    // A response from a stub has immutable headers; the /api middleware adds its own
    // (secure headers, Cache-Control) afterwards, so hand on a fresh one.
    return new Response(res.body, { status: res.status, headers: res.headers, webSocket: res.webSocket }) as never;
  });
}
