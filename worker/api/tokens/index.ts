/**
 * API tokens of the caller (an admin may list and revoke anyone's).
 * The token itself is in the create response only; afterwards just its prefix.
 */
import { z } from '@hono/zod-openapi';
import { and, eq, isNotNull, isNull } from 'drizzle-orm';
import { TOKEN_SCOPES } from '../../../shared/domain';
import { mintApiToken } from '../../auth/api-token';
import { audit } from '../../audit';
import { apiTokens } from '../../db/schema';
import type { Principal } from '../../http/context';
import { notFound } from '../../http/errors';
import { createdStamp, errorResponses, idParams, iso, jsonBody, jsonContent, modifiedStamp, trackedFields, trackedSchema } from '../../http/objects';
import { booleanFilter, idFilter, listPage, listQuerySchema, pageSchema } from '../../http/pagination';
import { apiRoute, createRouter } from '../../http/router';

type TokenRow = typeof apiTokens.$inferSelect;

const tokenSchema = z
  .object({
    ...trackedSchema,
    user: z.number().int(),
    name: z.string(),
    scope: z.enum(TOKEN_SCOPES),
    prefix: z.string().openapi({ description: 'First characters of the token, to tell tokens apart.' }),
    last_used: z.string().nullable(),
    expires: z.string().nullable(),
    revoked: z.string().nullable(),
  })
  .openapi('ApiToken');

const MAX_TOKEN_DAYS = 366;
const createToken = z
  .object({
    name: z.string().trim().min(1, 'Required.').max(100, 'At most 100 characters.'),
    scope: z.enum(TOKEN_SCOPES).default('read'),
    expires_in_days: z
      .number()
      .int('Must be a whole number.')
      .min(1, 'At least 1 day.')
      .max(MAX_TOKEN_DAYS, `At most ${MAX_TOKEN_DAYS} days.`)
      .default(90)
      .openapi({ description: `Days until the token expires (every token expires; at most ${MAX_TOKEN_DAYS}).` }),
  })
  .strict();

const serialize = (t: TokenRow) => ({
  ...trackedFields(t),
  user: t.userId,
  name: t.name,
  scope: t.scope,
  prefix: `bo_${t.prefix}`,
  last_used: iso(t.lastUsed),
  expires: iso(t.expires),
  revoked: iso(t.revoked),
});

const routes = {
  list: apiRoute({ method: 'get', path: '/tokens', access: 'self', tags: ['tokens'], summary: "List your API tokens (admins: anyone's with ?user=)", request: { query: listQuerySchema.extend({ user: idFilter, revoked: booleanFilter }) }, responses: { 200: jsonContent(pageSchema(tokenSchema), 'A page of tokens'), ...errorResponses } }),
  create: apiRoute({ method: 'post', path: '/tokens', access: 'self', tags: ['tokens'], summary: 'Create an API token for yourself; the token is shown once', request: jsonBody(createToken), responses: { 201: jsonContent(tokenSchema.extend({ token: z.string() }), 'Created; keep `token`, it is not shown again'), ...errorResponses } }),
  get: apiRoute({ method: 'get', path: '/tokens/{id}', access: 'self', tags: ['tokens'], summary: 'Get an API token (never the secret)', request: { params: idParams }, responses: { 200: jsonContent(tokenSchema, 'The token'), ...errorResponses } }),
  revoke: apiRoute({ method: 'delete', path: '/tokens/{id}', access: 'self', tags: ['tokens'], summary: 'Revoke an API token (kept, marked revoked)', request: { params: idParams }, responses: { 204: { description: 'Revoked' }, ...errorResponses } }),
};

/** Users see their own tokens; an admin sees everyone's. Others' tokens are 404, not 403. */
const visibleTo = (p: Principal) => (p.user.role === 'admin' ? undefined : eq(apiTokens.userId, p.user.id));

export function tokenRoutes() {
  const app = createRouter();

  app.openapi(routes.list, async (c) => {
    const q = c.req.valid('query');
    const p = c.get('principal')!;
    const where = [];
    const own = visibleTo(p);
    if (own) where.push(own);
    if (q.user) where.push(eq(apiTokens.userId, q.user));
    if (q.revoked !== undefined) where.push(q.revoked ? isNotNull(apiTokens.revoked) : isNull(apiTokens.revoked));
    const page = await listPage<typeof apiTokens, TokenRow>(
      c.var.db,
      { table: apiTokens, id: apiTokens.id, orderFields: { created: apiTokens.created, name: apiTokens.name }, defaultOrder: '-id' },
      q,
      where,
      c.req.url,
    );
    return c.json({ ...page, results: page.results.map(serialize) }, 200);
  });

  app.openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    const p = c.get('principal')!;
    const minted = await mintApiToken(c.env);
    const [row] = await c.var.db
      .insert(apiTokens)
      .values({
        ...createdStamp(c),
        userId: p.user.id,
        name: body.name,
        // A read-scoped token cannot mint itself a write-scoped sibling.
        scope: p.scope === 'read' ? 'read' : body.scope,
        tokenHash: minted.hash,
        prefix: minted.prefix,
        expires: new Date(Date.now() + body.expires_in_days * 86_400_000),
      })
      .returning();
    await audit(c, 'token_create', 'api_token', row!.id, { scope: row!.scope });
    return c.json({ ...serialize(row!), token: minted.token }, 201);
  });

  app.openapi(routes.get, async (c) => {
    const { id } = c.req.valid('param');
    const own = visibleTo(c.get('principal')!);
    const [row] = await c.var.db.select().from(apiTokens).where(own ? and(eq(apiTokens.id, id), own) : eq(apiTokens.id, id));
    if (!row) throw notFound('token');
    return c.json(serialize(row), 200);
  });

  app.openapi(routes.revoke, async (c) => {
    const { id } = c.req.valid('param');
    const own = visibleTo(c.get('principal')!);
    const [row] = await c.var.db.select().from(apiTokens).where(own ? and(eq(apiTokens.id, id), own) : eq(apiTokens.id, id));
    if (!row) throw notFound('token');
    if (!row.revoked) await c.var.db.update(apiTokens).set({ revoked: new Date(), ...modifiedStamp(c) }).where(eq(apiTokens.id, id));
    await audit(c, 'token_revoke', 'api_token', id);
    return c.body(null, 204);
  });

  return app;
}
