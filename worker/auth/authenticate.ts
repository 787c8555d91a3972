/**
 * Resolves the caller (bearer token or session cookie) for every /api request and
 * enforces CSRF protection for cookie-authenticated writes.
 *
 * CSRF: a browser always sends Origin on a cross-site POST/PUT/PATCH/DELETE, so a
 * cookie-authenticated unsafe request must carry an Origin equal to this site's.
 * Bearer-token requests are not exposed to CSRF (a browser never adds the header).
 *
 * A credential that fails (revoked token, cross-site cookie write) is not refused
 * here but remembered as `authError`: only a route that needs a caller refuses it
 * (router.ts), so a public route such as the readiness curl or /ping still works
 * for a client that happens to send a stale token.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/context';
import { ApiError, unauthorized } from '../http/errors';
import { tokenPrincipal } from './api-token';
import { sessionUser } from './session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set('principal', null);
  c.set('authError', null);
  try {
    const authorization = c.req.header('Authorization');
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!match?.[1]) throw unauthorized('Authorization must be "Bearer <token>".');
      c.set('principal', await tokenPrincipal(c, match[1]));
      return next();
    }
    const session = await sessionUser(c);
    if (session) {
      if (!SAFE_METHODS.has(c.req.method)) assertSameOrigin(c.req.raw);
      c.set('principal', { user: session.user, via: 'session', scope: 'write', sessionId: session.sessionId });
    }
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    c.set('authError', e);
  }
  return next();
};

export function assertSameOrigin(request: Request): void {
  const origin = request.headers.get('Origin');
  if (!origin || origin !== new URL(request.url).origin) {
    throw new ApiError(403, 'csrf', 'Cross-site request refused: the Origin header must match this site.');
  }
}
