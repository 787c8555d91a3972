/**
 * Relays: one per site/LAN. Pairing (the relay's credential and key upload) is the
 * relay issue's; here an admin names relays and may register a sealing public key.
 */
import { z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { importSealingPublicKey, SealError } from '../../../shared/sealed';
import { audit } from '../../audit';
import { clients, relays, repositories } from '../../db/schema';
import { mintPairingToken } from '../../relay/credentials';
import { assertKeyChangeAllowed } from './lookup';
import { pairingInfo, pairingSchema, registerPairing } from './pairing';
import { badRequest, conflict, notFound } from '../../http/errors';
import { changedFields, createdStamp, errorResponses, idParams, iso, jsonBody, jsonContent, modifiedStamp, trackedFields, trackedSchema } from '../../http/objects';
import { booleanFilter, listPage, listQuerySchema, pageSchema, searchAny } from '../../http/pagination';
import { apiRoute, createRouter } from '../../http/router';
import { nameField } from '../shared-fields';
import { assertUniqueName } from '../unique-name';

type RelayRow = typeof relays.$inferSelect;
const UNIQUE = { table: relays, id: relays.id, name: relays.name, what: 'relay' };

export const relaySchema = z
  .object({
    ...trackedSchema,
    name: z.string(),
    public_key: z.string().nullable().openapi({ description: 'ECDH P-256 key (base64url SPKI) secrets for this relay are sealed to.' }),
    paired: z.boolean(),
    last_seen: z.string().nullable(),
    version: z.string().nullable(),
    connected: z.boolean(),
    enabled: z.boolean(),
  })
  .openapi('Relay');

const publicKeyField = z.string().trim().max(400, 'At most 400 characters.').nullable();
const relayFields = { name: nameField, public_key: publicKeyField, enabled: z.boolean() };
const createRelay = z.object({ ...relayFields, public_key: publicKeyField.optional(), enabled: relayFields.enabled.default(true) }).strict();
// Not createRelay.partial(): that keeps the defaults and would re-enable a relay on any PATCH.
const updateRelay = z.object(relayFields).partial().strict();

export const serializeRelay = (r: RelayRow) => ({
  ...trackedFields(r),
  name: r.name,
  public_key: r.publicKey,
  paired: r.credentialHash !== null,
  last_seen: iso(r.lastSeen),
  version: r.version,
  connected: r.connected,
  enabled: r.enabled,
});

const routes = {
  list: apiRoute({ method: 'get', path: '/relays', access: 'viewer', tags: ['relays'], summary: 'List relays', request: { query: listQuerySchema.extend({ enabled: booleanFilter, connected: booleanFilter, search: z.string().max(200).optional() }) }, responses: { 200: jsonContent(pageSchema(relaySchema), 'A page of relays'), ...errorResponses } }),
  create: apiRoute({ method: 'post', path: '/relays', access: 'admin', tags: ['relays'], summary: 'Register a relay; the response holds its one-time pairing token', request: jsonBody(createRelay), responses: { 201: jsonContent(relaySchema.extend({ pairing: pairingSchema }), 'Created'), ...errorResponses } }),
  get: apiRoute({ method: 'get', path: '/relays/{id}', access: 'viewer', tags: ['relays'], summary: 'Get a relay', request: { params: idParams }, responses: { 200: jsonContent(relaySchema, 'The relay'), ...errorResponses } }),
  update: apiRoute({ method: 'patch', path: '/relays/{id}', access: 'admin', tags: ['relays'], summary: 'Update a relay', request: { params: idParams, ...jsonBody(updateRelay) }, responses: { 200: jsonContent(relaySchema, 'Updated'), ...errorResponses } }),
  remove: apiRoute({ method: 'delete', path: '/relays/{id}', access: 'admin', tags: ['relays'], summary: 'Delete a relay no object uses', request: { params: idParams }, responses: { 204: { description: 'Deleted' }, ...errorResponses } }),
};

async function validatePublicKey(key: string | null | undefined) {
  if (key === null || key === undefined) return;
  try {
    await importSealingPublicKey(key);
  } catch (e) {
    if (e instanceof SealError) throw badRequest({ public_key: [e.message] });
    throw e;
  }
}


export function relayRoutes() {
  const app = createRouter();

  app.openapi(routes.list, async (c) => {
    const q = c.req.valid('query');
    const where = [];
    if (q.enabled !== undefined) where.push(eq(relays.enabled, q.enabled));
    if (q.connected !== undefined) where.push(eq(relays.connected, q.connected));
    if (q.search) where.push(searchAny([relays.name], q.search));
    const page = await listPage<typeof relays, RelayRow>(c.var.db, { table: relays, id: relays.id, orderFields: { name: relays.name, created: relays.created }, defaultOrder: 'id' }, q, where, c.req.url);
    return c.json({ ...page, results: page.results.map(serializeRelay) }, 200);
  });

  app.openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    await validatePublicKey(body.public_key);
    await assertUniqueName(c.var.db, UNIQUE, body.name);
    const [row] = await c.var.db.insert(relays).values({ ...createdStamp(c), name: body.name, publicKey: body.public_key ?? null, enabled: body.enabled }).returning();
    const pairing = await pairingInfo(c, await mintPairingToken(c.var.db, c.env, row!.id));
    await audit(c, 'create', 'relay', row!.id);
    return c.json({ ...serializeRelay(row!), pairing }, 201);
  });

  app.openapi(routes.get, async (c) => {
    const [row] = await c.var.db.select().from(relays).where(eq(relays.id, c.req.valid('param').id));
    if (!row) throw notFound('relay');
    return c.json(serializeRelay(row), 200);
  });

  app.openapi(routes.update, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const [row] = await c.var.db.select().from(relays).where(eq(relays.id, id));
    if (!row) throw notFound('relay');
    await validatePublicKey(body.public_key);
    if (body.name) await assertUniqueName(c.var.db, UNIQUE, body.name, id);
    if (body.public_key !== undefined && body.public_key !== row.publicKey) await assertKeyChangeAllowed(c.var.db, id);
    const { public_key, ...rest } = body;
    const [updated] = await c.var.db
      .update(relays)
      .set({ ...rest, ...(public_key !== undefined ? { publicKey: public_key } : {}), ...modifiedStamp(c) })
      .where(eq(relays.id, id))
      .returning();
    await audit(c, 'update', 'relay', id, { fields: changedFields(body) });
    return c.json(serializeRelay(updated!), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const { id } = c.req.valid('param');
    const [row] = await c.var.db.select().from(relays).where(eq(relays.id, id));
    if (!row) throw notFound('relay');
    const [usedByClients, usedByRepos] = await c.var.db.batch([
      c.var.db.select({ name: clients.hostname }).from(clients).where(eq(clients.relayId, id)).limit(20),
      c.var.db.select({ name: repositories.name }).from(repositories).where(eq(repositories.relayId, id)).limit(20),
    ]);
    const users = [...usedByClients.map((u) => `client ${u.name}`), ...usedByRepos.map((u) => `repository ${u.name}`)];
    if (users.length) throw conflict(`This relay is used by ${users.join(', ')}.`);
    await c.var.db.delete(relays).where(eq(relays.id, id));
    await audit(c, 'delete', 'relay', id);
    return c.body(null, 204);
  });

  registerPairing(app);

  return app;
}

