/**
 * Pairing a relay: an admin issues a one-time pairing token (also returned when the
 * relay is created); `relay pair` sends it once with the relay's sealing public key
 * and receives the relay's long-lived credential. Public route, like the readiness
 * curl: the token is the authentication, and any invalid token is a plain 404.
 */
import { z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { eq } from 'drizzle-orm';
import { commandLine } from '../../../shared/shell-quote';
import { importSealingPublicKey, SealError } from '../../../shared/sealed';
import { audit } from '../../audit';
import { relays } from '../../db/schema';
import type { AppEnv } from '../../http/context';
import { badRequest, notFound } from '../../http/errors';
import { errorResponses, idParams, jsonBody, jsonContent } from '../../http/objects';
import { apiRoute } from '../../http/router';
import { mintPairingToken, mintRelayCredential, relayForPairingToken } from '../../relay/credentials';
import { publicBaseUrl } from '../jobs/prepare';
import { assertKeyChangeAllowed } from './lookup';

export const pairingSchema = z
  .object({ token: z.string(), expires: z.string(), command: z.string() })
  .openapi('RelayPairing', { description: 'One-time pairing token (24 h) and the command that uses it on the relay host.' });

export async function pairingInfo(c: Context<AppEnv>, minted: { token: string; expires: Date }) {
  const url = await publicBaseUrl(c.var.db, c.req.url);
  return { token: minted.token, expires: minted.expires.toISOString(), command: commandLine(['npx', 'tsx', 'relay/cli.ts', 'pair', '--url', url, '--token', minted.token]) };
}

const issue = apiRoute({
  method: 'post',
  path: '/relays/{id}/pairing',
  access: 'admin',
  tags: ['relays'],
  summary: 'Issue a new one-time pairing token for a relay (replaces any earlier one)',
  request: { params: idParams },
  responses: { 201: jsonContent(pairingSchema, 'The pairing token'), ...errorResponses },
});

const pair = apiRoute({
  method: 'post',
  path: '/relays/pair',
  access: 'public',
  tags: ['relays'],
  summary: "Exchange a pairing token and the relay's sealing public key for the relay's credential (used by `relay pair`)",
  request: jsonBody(
    z
      .object({
        token: z.string().max(200),
        public_key: z.string().max(400),
        version: z.string().max(40).regex(/^[0-9A-Za-z.+-]+$/, 'A version like 0.1.0.'),
      })
      .strict(),
  ),
  responses: {
    200: jsonContent(z.object({ relay: z.object({ id: z.number().int(), name: z.string() }), credential: z.string() }), 'Paired; keep the credential, it is not shown again'),
    ...errorResponses,
  },
});

export function registerPairing(app: OpenAPIHono<AppEnv>) {
  app.openapi(issue, async (c) => {
    const { id } = c.req.valid('param');
    const [row] = await c.var.db.select({ id: relays.id }).from(relays).where(eq(relays.id, id));
    if (!row) throw notFound('relay');
    const info = await pairingInfo(c, await mintPairingToken(c.var.db, c.env, id));
    await audit(c, 'token_create', 'relay', id, { kind: 'pairing' });
    return c.json(info, 201);
  });

  app.openapi(pair, async (c) => {
    const body = c.req.valid('json');
    const db = c.var.db;
    const relay = await relayForPairingToken(db, c.env, body.token);
    if (!relay) throw notFound('pairing token');
    try {
      await importSealingPublicKey(body.public_key);
    } catch (e) {
      if (e instanceof SealError) throw badRequest({ public_key: [e.message] });
      throw e;
    }
    if (relay.publicKey !== null && relay.publicKey !== body.public_key) await assertKeyChangeAllowed(db, relay.id);
    const { credential, hash } = await mintRelayCredential(c.env, relay.id);
    // Only the request that still finds the token's hash wins: a token works once.
    const [updated] = await db
      .update(relays)
      .set({ publicKey: body.public_key, credentialHash: hash, version: body.version, pairingTokenHash: null, pairingExpires: null, modified: new Date() })
      .where(eq(relays.pairingTokenHash, relay.pairingTokenHash!))
      .returning();
    if (!updated) throw notFound('pairing token');
    await audit(c, 'update', 'relay', relay.id, { fields: ['paired'] });
    return c.json({ relay: { id: updated.id, name: updated.name }, credential }, 200);
  });
}
