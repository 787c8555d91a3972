/**
 * API tokens: `bo_<prefix>_<secret>`. The prefix is shown in lists so a user can
 * tell tokens apart; only the keyed hash of the whole token is stored.
 */
import { and, eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { apiTokens, users } from '../db/schema';
import type { AppEnv, Principal } from '../http/context';
import { unauthorized } from '../http/errors';
import { randomToken } from '../../shared/encoding';
import { hashSecret } from './secret-hash';

const TOKEN_RE = /^bo_([A-Za-z0-9_-]{8})_([A-Za-z0-9_-]{43})$/;
/** Writing last_used on every request would be a D1 write per call; once a minute is enough. */
const LAST_USED_GRANULARITY_MS = 60_000;

export async function mintApiToken(env: Env): Promise<{ token: string; prefix: string; hash: string }> {
  const prefix = randomToken(6);
  const token = `bo_${prefix}_${randomToken(32)}`;
  return { token, prefix, hash: await hashSecret(env, token) };
}

export async function tokenPrincipal(c: Context<AppEnv>, token: string): Promise<Principal> {
  if (!TOKEN_RE.test(token)) throw unauthorized('Invalid API token.');
  const rows = await c.var.db
    .select({ token: apiTokens, user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, await hashSecret(c.env, token)))
    .limit(1);
  const row = rows[0];
  const now = Date.now();
  if (!row) throw unauthorized('Invalid API token.');
  if (row.token.revoked) throw unauthorized('This API token has been revoked.');
  if (row.token.expires && row.token.expires.getTime() <= now) throw unauthorized('This API token has expired.');
  if (!row.user.active) throw unauthorized('The owner of this API token is deactivated.');
  if (!row.token.lastUsed || now - row.token.lastUsed.getTime() > LAST_USED_GRANULARITY_MS) {
    await c.var.db.update(apiTokens).set({ lastUsed: new Date(now) }).where(and(eq(apiTokens.id, row.token.id)));
  }
  return { user: row.user, via: 'token', scope: row.token.scope, tokenId: row.token.id, tokenName: row.token.name };
}
