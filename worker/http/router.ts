/**
 * Router factory and route definitions that carry their access rule.
 *
 * Every route says who may call it (`access`). The rule is enforced by a middleware
 * attached to the route and published in the OpenAPI document as `x-access`, which
 * is what the auth-matrix test walks: a route cannot be added without a rule.
 */
import { OpenAPIHono, createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { ROLE_RANK, type Role } from '../../shared/domain';
import type { AppEnv } from './context';
import { badRequest, forbidden, unauthorized } from './errors';
import { fieldErrorsFromZod } from './validation';

/** `public`: no auth. `self`: any signed-in user acting on their own account. Else a minimum role. */
export type Access = 'public' | 'self' | Role;

export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw badRequest(fieldErrorsFromZod(result.error));
    },
  });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function requireAccess(access: Access): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (access === 'public') return next();
    const principal = c.get('principal');
    if (!principal) throw c.get('authError') ?? unauthorized();
    const writing = !SAFE_METHODS.has(c.req.method);
    if (writing && principal.scope === 'read') {
      throw forbidden('This API token has scope "read" and cannot change anything.');
    }
    if (access !== 'self' && ROLE_RANK[principal.user.role] < ROLE_RANK[access]) {
      throw forbidden(`This needs the ${access} role; you are ${principal.user.role}.`);
    }
    return next();
  };
}

type ApiRouteConfig = Omit<RouteConfig, 'middleware'> & { access: Access; middleware?: MiddlewareHandler<AppEnv>[] };

/** createRoute with the access rule enforced and documented. */
export function apiRoute<const R extends ApiRouteConfig>(config: R) {
  const { access, middleware = [], ...route } = config;
  return createRoute({
    ...route,
    middleware: [requireAccess(access), ...middleware] as MiddlewareHandler[],
    'x-access': access,
    ...(access === 'public' ? { security: [] } : {}),
  } as Omit<R, 'access'> & { middleware: MiddlewareHandler[] });
}
