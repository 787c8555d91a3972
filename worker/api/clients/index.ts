/** Clients: the hosts that are backed up. */
import { z } from '@hono/zod-openapi';
import { and, eq, inArray, ne, not } from 'drizzle-orm';
import { isValidHost, isValidSshUser } from '../../../shared/hosts';
import { audit } from '../../audit';
import { clients, jobs, policies, policyClients } from '../../db/schema';
import { assertNoActiveJobs } from '../../jobs/active';
import type { Db } from '../../http/context';
import { conflict, notFound } from '../../http/errors';
import { changedFields, createdStamp, errorResponses, idParams, iso, jsonBody, jsonContent, modifiedStamp, trackedFields, trackedSchema, usable, usableSchema } from '../../http/objects';
import type { ClientBackupState } from '../../jobs/overdue';
import { booleanFilter, idFilter, listPage, listQuerySchema, pageSchema, searchAny } from '../../http/pagination';
import { apiRoute, createRouter } from '../../http/router';
import { refId } from '../shared-fields';
import { assertRelayExists, relaysById, type RelayRow } from '../relays/lookup';
import { prepareRoute, registerPrepare, revokeReadinessTokens } from '../jobs/prepare';
import { readSetting } from '../settings/store';
import { backupStates, NO_BACKUPS, overdueFilter, readOverdueHours } from './backups';

type ClientRow = typeof clients.$inferSelect;

export const clientSchema = z
  .object({
    ...trackedSchema,
    hostname: z.string(),
    port: z.number().int(),
    ssh_user: z.string(),
    relay: z.number().int(),
    ip: z.string().nullable(),
    borg_version: z.string().nullable(),
    ready: z.boolean(),
    mark_as_to_update: z.boolean(),
    bandwidth_limit: z.number().int().nullable().openapi({ description: 'KiB/s; null for no limit.' }),
    behind_firewall: z.boolean(),
    host_key_fingerprint: z.string().nullable(),
    enabled: z.boolean(),
    ...usableSchema,
    backups: z
      .array(
        z
          .object({
            policy: z.number().int(),
            policy_name: z.string(),
            last_success: z.string().nullable().openapi({ format: 'date-time', description: 'When the newest successful backup job of this client and policy finished; null: none yet.' }),
            expected_interval_hours: z.number().int().openapi({ description: "The interval in force: the policy's expected_interval_hours, else the overdue_hours setting." }),
            overdue: z.boolean().openapi({ description: 'More than expected_interval_hours since last_success (with none: since the later of the policy\'s and the client\'s creation); never for a disabled client.' }),
          })
          .openapi('ClientPolicyBackup'),
      )
      .openapi({ description: 'One entry per enabled policy (with an enabled schedule) the client belongs to, by policy id.' }),
    overdue: z.boolean().openapi({ description: 'True when any entry of backups is overdue.' }),
  })
  .openapi('Client');

const hostnameField = z
  .string()
  .trim()
  .toLowerCase()
  .refine(isValidHost, 'Must be a DNS name or an IP address.');
const fingerprintField = z
  .string()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'Must be an OpenSSH SHA256 fingerprint (SHA256:…).')
  .nullable();

const clientFields = {
  hostname: hostnameField,
  port: z.number().int('Must be a whole number.').min(1, 'Must be 1 to 65535.').max(65535, 'Must be 1 to 65535.'),
  ssh_user: z.string().refine(isValidSshUser, 'Must be a valid user name (lower case, digits, _ and -).'),
  relay: refId('relay'),
  mark_as_to_update: z.boolean(),
  bandwidth_limit: z.number().int('Must be a whole number.').min(1, 'At least 1 KiB/s.').max(10_000_000, 'At most 10,000,000 KiB/s.').nullable(),
  behind_firewall: z.boolean(),
  host_key_fingerprint: fingerprintField.openapi({ description: 'Pinned host key; set null to re-pin on the next connection.' }),
  enabled: z.boolean(),
};
const createClient = z
  .object({
    ...clientFields,
    port: clientFields.port.default(22),
    ssh_user: clientFields.ssh_user.optional(),
    relay: clientFields.relay.default(1),
    mark_as_to_update: clientFields.mark_as_to_update.default(false),
    bandwidth_limit: clientFields.bandwidth_limit.default(null),
    behind_firewall: clientFields.behind_firewall.default(false),
    host_key_fingerprint: clientFields.host_key_fingerprint.default(null),
    enabled: clientFields.enabled.default(true),
  })
  .strict();
const updateClient = z.object(clientFields).partial().strict();

export function clientUsability(cl: ClientRow, relay: RelayRow | undefined) {
  const reasons: string[] = [];
  if (!cl.enabled) reasons.push('client is disabled');
  if (!cl.ready) reasons.push('client is not prepared (ready is false)');
  if (!relay) reasons.push('relay is missing');
  else if (!relay.enabled) reasons.push(`relay ${relay.name} is disabled`);
  return reasons;
}

export function serializeClient(cl: ClientRow, relay: RelayRow | undefined, state: ClientBackupState) {
  return {
    ...trackedFields(cl),
    hostname: cl.hostname,
    port: cl.port,
    ssh_user: cl.sshUser,
    relay: cl.relayId,
    ip: cl.ip,
    borg_version: cl.borgVersion,
    ready: cl.ready,
    mark_as_to_update: cl.markAsToUpdate,
    bandwidth_limit: cl.bandwidthLimit,
    behind_firewall: cl.behindFirewall,
    host_key_fingerprint: cl.hostKeyFingerprint,
    enabled: cl.enabled,
    ...usable(clientUsability(cl, relay)),
    backups: state.backups.map((b) => ({
      policy: b.policy,
      policy_name: b.policyName,
      last_success: iso(b.lastSuccess),
      expected_interval_hours: b.expectedIntervalHours,
      overdue: b.overdue,
    })),
    overdue: state.overdue,
  };
}

/** One client as the API shows it: with its relay's state and its backups per policy. */
async function presentClient(db: Db, row: ClientRow) {
  const now = new Date();
  const [relays, states] = await Promise.all([relaysById(db, [row.relayId]), readOverdueHours(db).then((hours) => backupStates(db, [row], hours, now))]);
  return serializeClient(row, relays.get(row.relayId), states.get(row.id) ?? NO_BACKUPS);
}



async function assertUniqueHost(db: Db, relayId: number, hostname: string, port: number, exceptId?: number) {
  const cond = and(eq(clients.relayId, relayId), eq(clients.hostname, hostname), eq(clients.port, port), exceptId ? ne(clients.id, exceptId) : undefined);
  if ((await db.select({ id: clients.id }).from(clients).where(cond).limit(1)).length) {
    throw conflict('This relay already has a client with this hostname and port.', { hostname: ['Already used with this port and relay.'] });
  }
}

const routes = {
  list: apiRoute({ method: 'get', path: '/clients', access: 'viewer', tags: ['clients'], summary: 'List clients', request: { query: listQuerySchema.extend({ enabled: booleanFilter, ready: booleanFilter, relay: idFilter, policy: idFilter, overdue: booleanFilter.openapi({ description: 'Only clients that are (true) or are not (false) overdue; see docs/api.md.' }), search: z.string().max(200).optional() }) }, responses: { 200: jsonContent(pageSchema(clientSchema), 'A page of clients'), ...errorResponses } }),
  create: apiRoute({ method: 'post', path: '/clients', access: 'admin', tags: ['clients'], summary: 'Add a client host', request: jsonBody(createClient), responses: { 201: jsonContent(clientSchema, 'Created'), ...errorResponses } }),
  get: apiRoute({ method: 'get', path: '/clients/{id}', access: 'viewer', tags: ['clients'], summary: 'Get a client', request: { params: idParams }, responses: { 200: jsonContent(clientSchema, 'The client'), ...errorResponses } }),
  update: apiRoute({ method: 'patch', path: '/clients/{id}', access: 'admin', tags: ['clients'], summary: 'Update a client (changing where it is reached makes it not ready)', request: { params: idParams, ...jsonBody(updateClient) }, responses: { 200: jsonContent(clientSchema, 'Updated'), ...errorResponses } }),
  remove: apiRoute({ method: 'delete', path: '/clients/{id}', access: 'admin', tags: ['clients'], summary: 'Delete a client no policy uses', request: { params: idParams }, responses: { 204: { description: 'Deleted' }, ...errorResponses } }),
};

export function clientRoutes() {
  const app = createRouter();

  app.openapi(routes.list, async (c) => {
    const q = c.req.valid('query');
    const db = c.var.db;
    const where = [];
    if (q.enabled !== undefined) where.push(eq(clients.enabled, q.enabled));
    if (q.ready !== undefined) where.push(eq(clients.ready, q.ready));
    if (q.relay) where.push(eq(clients.relayId, q.relay));
    if (q.policy) where.push(inArray(clients.id, db.select({ id: policyClients.clientId }).from(policyClients).where(eq(policyClients.policyId, q.policy))));
    if (q.search) where.push(searchAny([clients.hostname, clients.ip], q.search));
    // One clock for the filter and the flags, so a listed client's `overdue` matches the filter.
    const now = new Date();
    const hours = await readOverdueHours(db);
    if (q.overdue !== undefined) where.push(q.overdue ? overdueFilter(now, hours) : not(overdueFilter(now, hours)));
    const page = await listPage<typeof clients, ClientRow>(db, { table: clients, id: clients.id, orderFields: { hostname: clients.hostname, created: clients.created }, defaultOrder: 'id' }, q, where, c.req.url);
    const [rs, states] = await Promise.all([relaysById(db, page.results.map((r) => r.relayId)), backupStates(db, page.results, hours, now)]);
    return c.json({ ...page, results: page.results.map((r) => serializeClient(r, rs.get(r.relayId), states.get(r.id) ?? NO_BACKUPS)) }, 200);
  });

  app.openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    await assertRelayExists(c.var.db, body.relay);
    await assertUniqueHost(c.var.db, body.relay, body.hostname, body.port);
    const [row] = await c.var.db
      .insert(clients)
      .values({
        ...createdStamp(c),
        hostname: body.hostname,
        port: body.port,
        sshUser: body.ssh_user ?? (await defaultBackupUser(c.var.db)),
        relayId: body.relay,
        markAsToUpdate: body.mark_as_to_update,
        bandwidthLimit: body.bandwidth_limit,
        behindFirewall: body.behind_firewall,
        hostKeyFingerprint: body.host_key_fingerprint,
        enabled: body.enabled,
      })
      .returning();
    await audit(c, 'create', 'client', row!.id);
    // A new client is on no policy yet.
    return c.json(serializeClient(row!, (await relaysById(c.var.db, [row!.relayId])).get(row!.relayId), NO_BACKUPS), 201);
  });

  app.openapi(routes.get, async (c) => {
    const [row] = await c.var.db.select().from(clients).where(eq(clients.id, c.req.valid('param').id));
    if (!row) throw notFound('client');
    return c.json(await presentClient(c.var.db, row), 200);
  });

  app.openapi(routes.update, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const db = c.var.db;
    const [row] = await db.select().from(clients).where(eq(clients.id, id));
    if (!row) throw notFound('client');
    if (body.relay !== undefined) await assertRelayExists(db, body.relay);
    const next = { relayId: body.relay ?? row.relayId, hostname: body.hostname ?? row.hostname, port: body.port ?? row.port, sshUser: body.ssh_user ?? row.sshUser };
    await assertUniqueHost(db, next.relayId, next.hostname, next.port, id);
    if (next.relayId !== row.relayId) {
      // A policy's clients and repository share one relay; moving one would split them.
      const users = await policiesUsing(db, id);
      if (users.length) throw conflict(`Remove the client from its policies before moving it to another relay: ${users.join(', ')}.`, { relay: ['The client is used by policies on its current relay.'] });
    }
    // A client reached at another address, port, user or relay must be prepared again.
    const moved = next.relayId !== row.relayId || next.hostname !== row.hostname || next.port !== row.port || next.sshUser !== row.sshUser;
    const [updated] = await db
      .update(clients)
      .set({
        ...next,
        ...(body.mark_as_to_update !== undefined ? { markAsToUpdate: body.mark_as_to_update } : {}),
        ...(body.bandwidth_limit !== undefined ? { bandwidthLimit: body.bandwidth_limit } : {}),
        ...(body.behind_firewall !== undefined ? { behindFirewall: body.behind_firewall } : {}),
        ...(body.host_key_fingerprint !== undefined ? { hostKeyFingerprint: body.host_key_fingerprint } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
        ...(moved ? { ready: false, hostKeyFingerprint: body.host_key_fingerprint ?? null } : {}),
        ...modifiedStamp(c),
      })
      .where(eq(clients.id, id))
      .returning();
    if (moved) await revokeReadinessTokens(db, 'client', id);
    await audit(c, 'update', 'client', id, { fields: changedFields(body) });
    return c.json(await presentClient(db, updated!), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const { id } = c.req.valid('param');
    const db = c.var.db;
    const [row] = await db.select().from(clients).where(eq(clients.id, id));
    if (!row) throw notFound('client');
    const users = await policiesUsing(db, id);
    if (users.length) throw conflict(`This client is used by policies: ${users.join(', ')}.`);
    await assertNoActiveJobs(db, jobs.clientId, id, 'client');
    await db.delete(clients).where(eq(clients.id, id));
    await audit(c, 'delete', 'client', id);
    return c.body(null, 204);
  });

  registerPrepare(app, prepareRoute('client'));
  return app;
}

async function policiesUsing(db: Db, clientId: number): Promise<string[]> {
  const rows = await db
    .select({ name: policies.name })
    .from(policyClients)
    .innerJoin(policies, eq(policies.id, policyClients.policyId))
    .where(eq(policyClients.clientId, clientId))
    .limit(20);
  return rows.map((r) => r.name);
}

async function defaultBackupUser(db: Db): Promise<string> {
  const user = await readSetting(db, 'backup_user');
  return typeof user === 'string' && isValidSshUser(user) ? user : 'root';
}
