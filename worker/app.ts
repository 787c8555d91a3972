/**
 * The Hono application: middleware order, error mapping, the /api/v1 routes and
 * the OpenAPI document generated from the same zod schemas that validate requests.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import type { MiddlewareHandler } from 'hono';
import { authenticate } from './auth/authenticate';
import { openDb } from './db/client';
import type { AppEnv } from './http/context';
import { ApiError, type ErrorBody } from './http/errors';
import { apiRoutes } from './api';
import { renderApiDocs } from './api/docs/render';
import { API_VERSION } from './version';
import { relayConnect } from './relay/connect';

export const MAX_BODY_BYTES = 1024 * 1024;

/** Messages of an error and its causes (drizzle wraps D1's error in DrizzleQueryError). */
function causes(err: unknown): string[] {
  const out: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    out.push(String((e as Error).message ?? e));
  }
  return out;
}

function innermost(err: unknown): string {
  const all = causes(err);
  return all[all.length - 1] ?? 'unknown';
}

/** A constraint that a request raced past (or that only the database enforces), as a 409. */
function constraintError(err: unknown): ApiError | null {
  const text = causes(err).join(' | ');
  if (/UNIQUE constraint failed: jobs\.client_id, jobs\.repository_id/.test(text)) {
    return new ApiError(409, 'conflict', 'A client of this launch already has an active backup on this repository.');
  }
  if (/UNIQUE constraint failed/.test(text)) return new ApiError(409, 'conflict', 'An object with the same unique fields already exists.');
  if (/FOREIGN KEY constraint failed/.test(text)) return new ApiError(409, 'conflict', 'This object is still referenced by another object.');
  return null;
}

/** Paths that carry a bearer secret are logged without it. */
export function redactPath(path: string): string {
  return path.replace(/\/ready\/[^/]+/, '/ready/<token>');
}

const requireJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (['POST', 'PUT', 'PATCH'].includes(c.req.method)) {
    const type = c.req.header('Content-Type') ?? '';
    const length = c.req.header('Content-Length');
    const hasBody = length !== undefined ? length !== '0' : c.req.raw.body !== null;
    if (hasBody && !/^application\/json\s*(;|$)/i.test(type)) {
      throw new ApiError(415, 'unsupported_media_type', 'Send the body as application/json.');
    }
  }
  return next();
};

export function buildApp() {
  const app = new OpenAPIHono<AppEnv>();

  app.onError((err, c) => {
    let apiError: ApiError;
    if (err instanceof ApiError) apiError = err;
    else if (err instanceof HTTPException) {
      // Hono's own validators throw 400 for malformed JSON bodies.
      apiError =
        err.status === 400
          ? new ApiError(400, 'invalid_json', 'The body is not valid JSON.', { body: ['Not valid JSON.'] })
          : new ApiError(err.status as ApiError['status'], 'http_error', err.message || 'Request refused.');
    } else {
      apiError = constraintError(err) ?? new ApiError(500, 'internal', 'Internal error.');
      if (apiError.status === 500) {
        // A bug. Log the innermost cause only: drizzle's wrapper message lists the query's
        // parameters (hashes, sealed secrets), and never the body, query string or a token path.
        console.error(JSON.stringify({ level: 'error', msg: 'unhandled', path: redactPath(new URL(c.req.url).pathname), error: innermost(err) }));
      }
    }
    for (const [k, v] of Object.entries(apiError.headers ?? {})) c.header(k, v);
    return c.json(apiError.toBody() satisfies ErrorBody, apiError.status);
  });

  app.notFound((c) => c.json(new ApiError(404, 'not_found', 'No such endpoint.').toBody(), 404));

  // Not on /relay/*: a 101 WebSocket response's headers cannot be changed afterwards.
  app.use('/api/*', secureHeaders({ crossOriginResourcePolicy: 'same-origin' }));
  app.use('/api/*', async (c, next) => {
    c.set('db', openDb(c.env.DB));
    c.header('Cache-Control', 'no-store');
    return next();
  });
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(413, 'too_large', `The body is larger than ${MAX_BODY_BYTES} bytes.`);
      },
    }),
  );
  app.use('/api/*', requireJsonBody);
  app.use('/api/*', authenticate);

  app.route('/api/v1', apiRoutes());
  app.get('/relay/connect', relayConnect);

  app.doc31('/api/v1/openapi.json', (c) => ({
    openapi: '3.1.0',
    info: {
      title: 'Borg Orchestrator API',
      version: API_VERSION,
      description:
        'REST API of the backup orchestrator. Authenticate with the session cookie (browser) or `Authorization: Bearer <token>`. ' +
        'Every route carries `x-access`: who may call it (public, self, viewer, operator, admin).',
    },
    servers: [{ url: new URL(c.req.url).origin }],
    security: [{ bearer: [] }, { session: [] }] as Record<string, string[]>[],
  }));
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'session', { type: 'apiKey', in: 'cookie', name: '__Host-session' });

  app.get('/api/docs', (c) => {
    const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'Borg Orchestrator API', version: API_VERSION } });
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    return c.html(renderApiDocs(doc as unknown as Record<string, unknown>));
  });

  return app;
}
