/** Users (admin) and the caller's own account (/me). */
import { z } from '@hono/zod-openapi';
import { and, count, eq, ne } from 'drizzle-orm';
import { ROLES } from '../../../shared/domain';
import { audit } from '../../audit';
import { hashPassword, verifyPassword } from '../../auth/password';
import { endUserSessions } from '../../auth/session';
import { apiTokens, users } from '../../db/schema';
import type { Db } from '../../http/context';
import { badRequest, conflict, notFound } from '../../http/errors';
import { changedFields, createdStamp, errorResponses, idParams, jsonBody, jsonContent, modifiedStamp } from '../../http/objects';
import { booleanFilter, listPage, listQuerySchema, pageSchema, searchAny } from '../../http/pagination';
import { apiRoute, createRouter } from '../../http/router';
import { defaultNotifications, emailField, nameField, notificationsSchema, passwordField, serializeUser, userSchema } from './serialize';

const userFields = {
  email: emailField,
  name: nameField,
  password: passwordField,
  role: z.enum(ROLES),
  active: z.boolean(),
  notifications: notificationsSchema.partial(),
};
const createUser = z
  .object({
    ...userFields,
    name: userFields.name.default(''),
    role: userFields.role.default('viewer'),
    active: userFields.active.default(true),
    notifications: userFields.notifications.optional(),
  })
  .strict();
// Built from the fields without defaults: zod's .partial() keeps .default(), which
// would silently reset role/active/name on every PATCH.
const updateUser = z.object(userFields).partial().strict();
const updateMe = z
  .object({
    name: nameField,
    notifications: notificationsSchema.partial(),
    password: passwordField,
    current_password: z.string().max(1024),
  })
  .partial()
  .strict();

const routes = {
  me: apiRoute({ method: 'get', path: '/me', access: 'self', tags: ['users'], summary: 'The signed-in user', responses: { 200: jsonContent(userSchema.extend({ auth: z.enum(['session', 'token']), scope: z.enum(['read', 'write']) }), 'You'), ...errorResponses } }),
  updateMe: apiRoute({ method: 'patch', path: '/me', access: 'self', tags: ['users'], summary: 'Change your name, notifications or password (needs current_password)', request: jsonBody(updateMe), responses: { 200: jsonContent(userSchema, 'Updated'), ...errorResponses } }),
  list: apiRoute({ method: 'get', path: '/users', access: 'admin', tags: ['users'], summary: 'List users', request: { query: listQuerySchema.extend({ role: z.enum(ROLES).optional(), active: booleanFilter, search: z.string().max(200).optional() }) }, responses: { 200: jsonContent(pageSchema(userSchema), 'A page of users'), ...errorResponses } }),
  create: apiRoute({ method: 'post', path: '/users', access: 'admin', tags: ['users'], summary: 'Create a user', request: jsonBody(createUser), responses: { 201: jsonContent(userSchema, 'Created'), ...errorResponses } }),
  get: apiRoute({ method: 'get', path: '/users/{id}', access: 'admin', tags: ['users'], summary: 'Get a user', request: { params: idParams }, responses: { 200: jsonContent(userSchema, 'The user'), ...errorResponses } }),
  update: apiRoute({ method: 'patch', path: '/users/{id}', access: 'admin', tags: ['users'], summary: 'Update a user (a new password or deactivation ends their sessions)', request: { params: idParams, ...jsonBody(updateUser) }, responses: { 200: jsonContent(userSchema, 'Updated'), ...errorResponses } }),
  remove: apiRoute({ method: 'delete', path: '/users/{id}', access: 'admin', tags: ['users'], summary: 'Delete a user', request: { params: idParams }, responses: { 204: { description: 'Deleted' }, ...errorResponses } }),
};

async function emailTaken(db: Db, email: string, exceptId?: number) {
  const [row] = await db
    .select({ id: users.id })
    .from(users)
    .where(exceptId ? and(eq(users.email, email), ne(users.id, exceptId)) : eq(users.email, email))
    .limit(1);
  return !!row;
}

/** The system must keep one active admin, or nobody can manage it again. */
async function assertOtherActiveAdmin(db: Db, userId: number) {
  const [row] = await db
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.role, 'admin'), eq(users.active, true), ne(users.id, userId)));
  if ((row?.n ?? 0) === 0) throw conflict('This is the last active admin; make another admin first.');
}

export function userRoutes() {
  const app = createRouter();

  app.openapi(routes.me, async (c) => {
    const p = c.get('principal')!;
    return c.json({ ...serializeUser(p.user), auth: p.via, scope: p.scope }, 200);
  });

  app.openapi(routes.updateMe, async (c) => {
    const p = c.get('principal')!;
    const body = c.req.valid('json');
    const patch: Partial<typeof users.$inferInsert> = { ...modifiedStamp(c) };
    if (body.name !== undefined) patch.name = body.name;
    if (body.notifications) patch.notifications = { ...defaultNotifications(), ...p.user.notifications, ...body.notifications };
    if (body.password !== undefined) {
      if (!body.current_password || !(await verifyPassword(body.current_password, p.user.passwordHash))) {
        throw badRequest({ current_password: ['Wrong current password.'] });
      }
      patch.passwordHash = await hashPassword(body.password);
    }
    const [user] = await c.var.db.update(users).set(patch).where(eq(users.id, p.user.id)).returning();
    if (body.password !== undefined) await endUserSessions(c.var.db, p.user.id, p.sessionId);
    await audit(c, 'update', 'user', p.user.id, { fields: changedFields(body).filter((f) => f !== 'current_password') });
    return c.json(serializeUser(user!), 200);
  });

  app.openapi(routes.list, async (c) => {
    const q = c.req.valid('query');
    const where = [];
    if (q.role) where.push(eq(users.role, q.role));
    if (q.active !== undefined) where.push(eq(users.active, q.active));
    if (q.search) where.push(searchAny([users.email, users.name], q.search));
    const page = await listPage<typeof users, typeof users.$inferSelect>(
      c.var.db,
      { table: users, id: users.id, orderFields: { email: users.email, created: users.created }, defaultOrder: 'id' },
      q,
      where,
      c.req.url,
    );
    return c.json({ ...page, results: page.results.map(serializeUser) }, 200);
  });

  app.openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    if (await emailTaken(c.var.db, body.email)) throw conflict('A user with this email exists.', { email: ['Already used.'] });
    const [user] = await c.var.db
      .insert(users)
      .values({
        ...createdStamp(c),
        email: body.email,
        name: body.name,
        role: body.role,
        active: body.active,
        passwordHash: await hashPassword(body.password),
        notifications: { ...defaultNotifications(), ...body.notifications },
      })
      .returning();
    await audit(c, 'create', 'user', user!.id);
    return c.json(serializeUser(user!), 201);
  });

  app.openapi(routes.get, async (c) => {
    const { id } = c.req.valid('param');
    const [user] = await c.var.db.select().from(users).where(eq(users.id, id));
    if (!user) throw notFound('user');
    return c.json(serializeUser(user), 200);
  });

  app.openapi(routes.update, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const [user] = await c.var.db.select().from(users).where(eq(users.id, id));
    if (!user) throw notFound('user');
    if (body.email && (await emailTaken(c.var.db, body.email, id))) throw conflict('A user with this email exists.', { email: ['Already used.'] });
    const losesAdmin = user.role === 'admin' && user.active && ((body.role && body.role !== 'admin') || body.active === false);
    if (losesAdmin) await assertOtherActiveAdmin(c.var.db, id);
    const { password, notifications, ...rest } = body;
    const patch: Partial<typeof users.$inferInsert> = { ...rest, ...modifiedStamp(c) };
    if (notifications) patch.notifications = { ...defaultNotifications(), ...user.notifications, ...notifications };
    if (password !== undefined) patch.passwordHash = await hashPassword(password);
    const [updated] = await c.var.db.update(users).set(patch).where(eq(users.id, id)).returning();
    if (password !== undefined || body.active === false) {
      const keep = c.get('principal')?.user.id === id ? c.get('principal')?.sessionId : undefined;
      await endUserSessions(c.var.db, id, keep);
    }
    await audit(c, 'update', 'user', id, { fields: changedFields(body) });
    return c.json(serializeUser(updated!), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const { id } = c.req.valid('param');
    const [user] = await c.var.db.select().from(users).where(eq(users.id, id));
    if (!user) throw notFound('user');
    if (c.get('principal')?.user.id === id) throw conflict('You cannot delete yourself.');
    if (user.role === 'admin' && user.active) await assertOtherActiveAdmin(c.var.db, id);
    await c.var.db.batch([c.var.db.delete(apiTokens).where(eq(apiTokens.userId, id)), c.var.db.delete(users).where(eq(users.id, id))]);
    await audit(c, 'delete', 'user', id);
    return c.body(null, 204);
  });

  return app;
}
