/** Repositories: borg repositories, reached by the relay over SSH or on its own disk. */
import { z } from '@hono/zod-openapi';
import { locationProblem } from '../../../shared/borg-values';
import { eq } from 'drizzle-orm';
import { ENCRYPTION_MODES } from '../../../shared/domain';
import { parseRepositoryPath } from '../../../shared/hosts';
import { audit } from '../../audit';
import { jobs, policies, repositories } from '../../db/schema';
import { assertNoActiveJobs } from '../../jobs/active';
import { badRequest, conflict, notFound } from '../../http/errors';
import { changedFields, createdStamp, errorResponses, idParams, jsonBody, jsonContent, modifiedStamp, trackedFields, trackedSchema, usable, usableSchema } from '../../http/objects';
import { booleanFilter, idFilter, listPage, listQuerySchema, pageSchema, searchAny } from '../../http/pagination';
import { apiRoute, createRouter } from '../../http/router';
import { isAcceptableSecret, sealSecret } from '../../secrets';
import { nameField, refId } from '../shared-fields';
import { assertRelayExists, relaysById, type RelayRow } from '../relays/lookup';
import { assertUniqueName } from '../unique-name';
import { prepareRoute, registerPrepare, revokeReadinessTokens } from '../jobs/prepare';
import { registerCheck } from './check';

type RepositoryRow = typeof repositories.$inferSelect;
const UNIQUE = { table: repositories, id: repositories.id, name: repositories.name, what: 'repository' };

export const repositorySchema = z
  .object({
    ...trackedSchema,
    name: z.string(),
    path: z.string(),
    relay: z.number().int(),
    encryption: z.enum(ENCRYPTION_MODES),
    has_passphrase: z.boolean(),
    ready: z.boolean(),
    original_size: z.number().int().nullable(),
    compressed_size: z.number().int().nullable(),
    deduplicated_size: z.number().int().nullable(),
    append_only: z.boolean(),
    quota_bytes: z.number().int().nullable(),
    enabled: z.boolean(),
    ...usableSchema,
  })
  .openapi('Repository');

const pathField = z.string().superRefine((v, ctx) => {
  const parsed = parseRepositoryPath(v);
  if (typeof parsed === 'string') return ctx.addIssue({ code: 'custom', message: parsed });
  // What borg itself could not use (e.g. "::"), with the relay's words.
  const problem = locationProblem(v);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});
const secretField = z.string().refine(isAcceptableSecret, '1 to 1024 characters, no NUL.').nullable();

const fields = {
  name: nameField,
  path: pathField,
  relay: refId('relay'),
  encryption: z.enum(ENCRYPTION_MODES).openapi({ description: '`none` only when chosen explicitly; default repokey-blake2.' }),
  passphrase: secretField.openapi({ description: 'Write-only. Sealed at once to the relay\'s public key.' }),
  passphrase_sealed: z.string().max(4096).nullable().openapi({ description: 'Write-only. A value already sealed to the relay\'s key (sealed:v1:…).' }),
  append_only: z.boolean(),
  quota_bytes: z.number().int('Must be a whole number.').min(1024 * 1024, 'At least 1 MiB.').nullable(),
  enabled: z.boolean(),
};
const createRepository = z
  .object({
    ...fields,
    relay: fields.relay.default(1),
    encryption: fields.encryption.default('repokey-blake2'),
    passphrase: fields.passphrase.optional(),
    passphrase_sealed: fields.passphrase_sealed.optional(),
    append_only: fields.append_only.default(false),
    quota_bytes: fields.quota_bytes.default(null),
    enabled: fields.enabled.default(true),
  })
  .strict();
const updateRepository = z.object(fields).partial().strict();

export function repositoryUsability(r: RepositoryRow, relay: RelayRow | undefined): string[] {
  const reasons: string[] = [];
  if (!r.enabled) reasons.push('repository is disabled');
  if (!r.ready) reasons.push('repository is not prepared (ready is false)');
  if (r.encryption !== 'none' && !r.passphraseSealed) reasons.push('repository has no passphrase');
  if (!relay) reasons.push('relay is missing');
  else if (!relay.enabled) reasons.push(`relay ${relay.name} is disabled`);
  return reasons;
}

export function serializeRepository(r: RepositoryRow, relay: RelayRow | undefined) {
  return {
    ...trackedFields(r),
    name: r.name,
    path: r.path,
    relay: r.relayId,
    encryption: r.encryption,
    has_passphrase: r.passphraseSealed !== null,
    ready: r.ready,
    original_size: r.originalSize,
    compressed_size: r.compressedSize,
    deduplicated_size: r.deduplicatedSize,
    append_only: r.appendOnly,
    quota_bytes: r.quotaBytes,
    enabled: r.enabled,
    ...usable(repositoryUsability(r, relay)),
  };
}




const routes = {
  list: apiRoute({ method: 'get', path: '/repositories', access: 'viewer', tags: ['repositories'], summary: 'List repositories', request: { query: listQuerySchema.extend({ enabled: booleanFilter, ready: booleanFilter, relay: idFilter, search: z.string().max(200).optional() }) }, responses: { 200: jsonContent(pageSchema(repositorySchema), 'A page of repositories'), ...errorResponses } }),
  create: apiRoute({ method: 'post', path: '/repositories', access: 'admin', tags: ['repositories'], summary: 'Add a repository', request: jsonBody(createRepository), responses: { 201: jsonContent(repositorySchema, 'Created'), ...errorResponses } }),
  get: apiRoute({ method: 'get', path: '/repositories/{id}', access: 'viewer', tags: ['repositories'], summary: 'Get a repository', request: { params: idParams }, responses: { 200: jsonContent(repositorySchema, 'The repository'), ...errorResponses } }),
  update: apiRoute({ method: 'patch', path: '/repositories/{id}', access: 'admin', tags: ['repositories'], summary: 'Update a repository', request: { params: idParams, ...jsonBody(updateRepository) }, responses: { 200: jsonContent(repositorySchema, 'Updated'), ...errorResponses } }),
  remove: apiRoute({ method: 'delete', path: '/repositories/{id}', access: 'admin', tags: ['repositories'], summary: 'Delete a repository no policy uses (the borg repository itself is left alone)', request: { params: idParams }, responses: { 204: { description: 'Deleted' }, ...errorResponses } }),
};

export function repositoryRoutes() {
  const app = createRouter();

  app.openapi(routes.list, async (c) => {
    const q = c.req.valid('query');
    const where = [];
    if (q.enabled !== undefined) where.push(eq(repositories.enabled, q.enabled));
    if (q.ready !== undefined) where.push(eq(repositories.ready, q.ready));
    if (q.relay) where.push(eq(repositories.relayId, q.relay));
    if (q.search) where.push(searchAny([repositories.name, repositories.path], q.search));
    const page = await listPage<typeof repositories, RepositoryRow>(c.var.db, { table: repositories, id: repositories.id, orderFields: { name: repositories.name, created: repositories.created }, defaultOrder: 'id' }, q, where, c.req.url);
    const rs = await relaysById(c.var.db, page.results.map((r) => r.relayId));
    return c.json({ ...page, results: page.results.map((r) => serializeRepository(r, rs.get(r.relayId))) }, 200);
  });

  app.openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    const db = c.var.db;
    if (body.encryption === 'none' && (body.passphrase || body.passphrase_sealed)) {
      throw badRequest({ passphrase: ['An unencrypted repository (encryption "none") takes no passphrase.'] });
    }
    await assertRelayExists(db, body.relay);
    await assertUniqueName(db, UNIQUE, body.name);
    const sealed = await sealSecret(db, body.relay, { clear: body.passphrase, sealed: body.passphrase_sealed }, 'passphrase');
    const [row] = await db
      .insert(repositories)
      .values({ ...createdStamp(c), name: body.name, path: body.path, relayId: body.relay, encryption: body.encryption, passphraseSealed: sealed ?? null, appendOnly: body.append_only, quotaBytes: body.quota_bytes, enabled: body.enabled })
      .returning();
    await audit(c, 'create', 'repository', row!.id);
    return c.json(serializeRepository(row!, (await relaysById(db, [row!.relayId])).get(row!.relayId)), 201);
  });

  app.openapi(routes.get, async (c) => {
    const [row] = await c.var.db.select().from(repositories).where(eq(repositories.id, c.req.valid('param').id));
    if (!row) throw notFound('repository');
    return c.json(serializeRepository(row, (await relaysById(c.var.db, [row.relayId])).get(row.relayId)), 200);
  });

  app.openapi(routes.update, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const db = c.var.db;
    const [row] = await db.select().from(repositories).where(eq(repositories.id, id));
    if (!row) throw notFound('repository');
    if (body.name !== undefined) await assertUniqueName(db, UNIQUE, body.name, id);
    if (body.relay !== undefined) await assertRelayExists(db, body.relay);
    const encryption = body.encryption ?? row.encryption;
    if (body.encryption !== undefined && body.encryption !== row.encryption && row.ready) {
      throw conflict('The repository is initialised; its encryption cannot change. Create a new repository instead.', { encryption: ['Fixed once the repository is initialised.'] });
    }
    const relayId = body.relay ?? row.relayId;
    if (relayId !== row.relayId) {
      const users = await db.select({ name: policies.name }).from(policies).where(eq(policies.repositoryId, id)).limit(20);
      if (users.length) throw conflict(`Policies use this repository with clients of its current relay: ${users.map((u) => u.name).join(', ')}.`, { relay: ['The repository is used by policies.'] });
    }
    const newSecret = body.passphrase !== undefined || body.passphrase_sealed !== undefined;
    if (relayId !== row.relayId && row.passphraseSealed && !newSecret) {
      throw badRequest({ passphrase: ['The passphrase is sealed to the old relay; give it again when moving the repository to another relay.'] });
    }
    if (encryption === 'none' && (body.passphrase || body.passphrase_sealed)) {
      throw badRequest({ passphrase: ['An unencrypted repository (encryption "none") takes no passphrase.'] });
    }
    const sealed = await sealSecret(db, relayId, { clear: body.passphrase, sealed: body.passphrase_sealed }, 'passphrase');
    const moved = (body.path !== undefined && body.path !== row.path) || relayId !== row.relayId;
    const { passphrase: _p, passphrase_sealed: _s, relay: _r, append_only, quota_bytes, ...rest } = body;
    const [updated] = await db
      .update(repositories)
      .set({
        ...rest,
        relayId,
        ...(append_only !== undefined ? { appendOnly: append_only } : {}),
        ...(quota_bytes !== undefined ? { quotaBytes: quota_bytes } : {}),
        ...(sealed !== undefined ? { passphraseSealed: sealed } : {}),
        ...(encryption === 'none' ? { passphraseSealed: null } : {}),
        ...(moved ? { ready: false } : {}),
        ...modifiedStamp(c),
      })
      .where(eq(repositories.id, id))
      .returning();
    if (moved) await revokeReadinessTokens(db, 'repository', id);
    await audit(c, 'update', 'repository', id, { fields: changedFields(body) });
    return c.json(serializeRepository(updated!, (await relaysById(db, [updated!.relayId])).get(updated!.relayId)), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const { id } = c.req.valid('param');
    const [row] = await c.var.db.select().from(repositories).where(eq(repositories.id, id));
    if (!row) throw notFound('repository');
    const users = await c.var.db.select({ name: policies.name }).from(policies).where(eq(policies.repositoryId, id)).limit(20);
    if (users.length) throw conflict(`This repository is used by policies: ${users.map((u) => u.name).join(', ')}.`);
    await assertNoActiveJobs(c.var.db, jobs.repositoryId, id, 'repository');
    await c.var.db.delete(repositories).where(eq(repositories.id, id));
    await audit(c, 'delete', 'repository', id);
    return c.body(null, 204);
  });

  registerPrepare(app, prepareRoute('repository'));
  registerCheck(app);
  return app;
}
