/**
 * Sign-in: first-run setup, login, logout.
 *
 * Setup creates the first admin while no user exists, and only with the one-time
 * SETUP_TOKEN printed by `npm start` (or set with `wrangler secret put`): the
 * endpoint is never open to whoever reaches the site first.
 */
import { z } from '@hono/zod-openapi';
import { count, eq } from 'drizzle-orm';
import { timingSafeEqual } from '../../../shared/encoding';
import { assertSameOrigin } from '../../auth/authenticate';
import { dummyPasswordHash, hashPassword, needsRehash, verifyPassword } from '../../auth/password';
import { createSession, endSession, purgeExpiredSessions } from '../../auth/session';
import { clearAccountFailures, clientAddress, recordAttempt } from '../../auth/throttle';
import { audit } from '../../audit';
import { users } from '../../db/schema';
import { ApiError, unauthorized } from '../../http/errors';
import { errorResponses, jsonBody, jsonContent } from '../../http/objects';
import { apiRoute, createRouter } from '../../http/router';
import { defaultNotifications, emailField, nameField, passwordField, serializeUser, userSchema } from '../users/serialize';

const setupStatus = apiRoute({
  method: 'get',
  path: '/setup',
  access: 'public',
  tags: ['auth'],
  summary: 'Whether the first admin still has to be created',
  responses: { 200: jsonContent(z.object({ needed: z.boolean() }), 'Setup state') },
});

const setup = apiRoute({
  method: 'post',
  path: '/setup',
  access: 'public',
  tags: ['auth'],
  summary: 'Create the first admin (one time, with the setup token)',
  request: jsonBody(
    z.object({ token: z.string().min(1).max(512), email: emailField, name: nameField.default(''), password: passwordField }).strict(),
  ),
  responses: { 201: jsonContent(userSchema, 'The first admin, signed in'), ...errorResponses },
});

const login = apiRoute({
  method: 'post',
  path: '/auth/login',
  access: 'public',
  tags: ['auth'],
  summary: 'Sign in with email and password; sets the session cookie',
  request: jsonBody(z.object({ email: z.string().max(254), password: z.string().max(1024) }).strict()),
  responses: {
    200: jsonContent(userSchema, 'Signed in'),
    429: jsonContent(errorResponses[400].content['application/json'].schema, 'Too many failed logins'),
    ...errorResponses,
  },
});

const logout = apiRoute({
  method: 'post',
  path: '/auth/logout',
  access: 'self',
  tags: ['auth'],
  summary: 'End the current session',
  responses: { 204: { description: 'Signed out' }, ...errorResponses },
});

/** Login and setup come before a session exists, so the general CSRF check cannot apply. */
function assertOriginIfPresent(request: Request) {
  if (request.headers.get('Origin') !== null) assertSameOrigin(request);
}

export function authRoutes() {
  const app = createRouter();

  app.openapi(setupStatus, async (c) => {
    const [row] = await c.var.db.select({ n: count() }).from(users);
    return c.json({ needed: (row?.n ?? 0) === 0 }, 200);
  });

  app.openapi(setup, async (c) => {
    assertOriginIfPresent(c.req.raw);
    const body = c.req.valid('json');
    const expected = c.env.SETUP_TOKEN;
    if (!expected || expected.length < 16 || expected.startsWith('change-me')) {
      throw new ApiError(503, 'misconfigured', 'SETUP_TOKEN is not set, is the example placeholder, or is shorter than 16 characters; npm start writes one to .dev.vars.');
    }
    const enc = new TextEncoder();
    if (!timingSafeEqual(enc.encode(body.token), enc.encode(expected))) {
      throw new ApiError(403, 'forbidden', 'Wrong setup token.');
    }
    const [row] = await c.var.db.select({ n: count() }).from(users);
    if ((row?.n ?? 0) > 0) throw new ApiError(409, 'conflict', 'Setup is done: a user already exists.');
    const now = new Date();
    const [user] = await c.var.db
      .insert(users)
      .values({
        email: body.email,
        name: body.name,
        role: 'admin',
        passwordHash: await hashPassword(body.password),
        notifications: defaultNotifications(),
        created: now,
        modified: now,
      })
      .returning();
    if (!user) throw new Error('insert returned nothing');
    c.set('principal', { user, via: 'session', scope: 'write' });
    await createSession(c, user.id);
    await audit(c, 'setup', 'user', user.id);
    return c.json(serializeUser(user), 201);
  });

  app.openapi(login, async (c) => {
    assertOriginIfPresent(c.req.raw);
    const body = c.req.valid('json');
    const email = body.email.trim().toLowerCase();
    const address = clientAddress(c.req.raw.headers);
    const attempt = await recordAttempt(c.var.db, email, address);
    const [user] = await c.var.db.select().from(users).where(eq(users.email, email)).limit(1);
    // Verify against a dummy hash for unknown accounts: same cost, no enumeration by timing.
    const ok = await verifyPassword(body.password, user?.passwordHash ?? (await dummyPasswordHash()));
    if (!user || !ok || !user.active) {
      await audit(c, 'login_failed', 'user', user?.id ?? null);
      throw unauthorized('Wrong email or password.');
    }
    await clearAccountFailures(c.var.db, email, attempt);
    if (needsRehash(user.passwordHash)) {
      await c.var.db.update(users).set({ passwordHash: await hashPassword(body.password) }).where(eq(users.id, user.id));
    }
    c.set('principal', { user, via: 'session', scope: 'write' });
    await purgeExpiredSessions(c.var.db);
    await createSession(c, user.id);
    await audit(c, 'login', 'user', user.id);
    return c.json(serializeUser(user), 200);
  });

  app.openapi(logout, async (c) => {
    const p = c.get('principal');
    if (p?.sessionId) await endSession(c, p.sessionId);
    await audit(c, 'logout', 'user', p?.user.id ?? null);
    return c.body(null, 204);
  });

  return app;
}
