/**
 * Server-side sessions behind the `__Host-session` cookie.
 *
 * The cookie holds a random id; D1 holds only its keyed hash, so sessions are
 * revocable (logout, password change and deactivation delete the rows). Expiry
 * slides: a session used after half its lifetime is extended, which costs at most
 * one D1 write per half-lifetime instead of one per request.
 */
import { and, eq, gt, lt } from 'drizzle-orm';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { sessions, users } from '../db/schema';
import type { AppEnv, Db, UserRow } from '../http/context';
import { randomToken } from '../../shared/encoding';
import { hashSecret } from './secret-hash';

export const SESSION_COOKIE = '__Host-session';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export async function createSession(c: Context<AppEnv>, userId: number): Promise<void> {
  const token = randomToken();
  const now = Date.now();
  await c.var.db.insert(sessions).values({
    userId,
    tokenHash: await hashSecret(c.env, token),
    created: new Date(now),
    lastSeen: new Date(now),
    expires: new Date(now + SESSION_TTL_MS),
  });
  // __Host- requires Secure, Path=/ and no Domain; browsers accept Secure cookies on
  // http://localhost, so the same cookie works in local dev.
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: 'Lax',
    path: '/',
    maxAge: SESSION_TTL_MS / 1000,
  });
}

export async function sessionUser(c: Context<AppEnv>): Promise<{ user: UserRow; sessionId: number } | null> {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token || token.length > 200) return null;
  const now = Date.now();
  const rows = await c.var.db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, await hashSecret(c.env, token)), gt(sessions.expires, new Date(now))))
    .limit(1);
  const row = rows[0];
  if (!row || !row.user.active) return null;
  if (row.session.expires.getTime() - now < SESSION_TTL_MS / 2) {
    await c.var.db
      .update(sessions)
      .set({ lastSeen: new Date(now), expires: new Date(now + SESSION_TTL_MS) })
      .where(eq(sessions.id, row.session.id));
    setCookie(c, SESSION_COOKIE, token, { httpOnly: true, secure: true, sameSite: 'Lax', path: '/', maxAge: SESSION_TTL_MS / 1000 });
  }
  return { user: row.user, sessionId: row.session.id };
}

export async function endSession(c: Context<AppEnv>, sessionId: number): Promise<void> {
  await c.var.db.delete(sessions).where(eq(sessions.id, sessionId));
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: true });
}

/** Ends every session of a user, optionally keeping one (the caller's, after a password change). */
export async function endUserSessions(db: Db, userId: number, keepSessionId?: number): Promise<void> {
  const all = await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId));
  for (const s of all) if (s.id !== keepSessionId) await db.delete(sessions).where(eq(sessions.id, s.id));
}

export async function purgeExpiredSessions(db: Db): Promise<void> {
  await db.delete(sessions).where(lt(sessions.expires, new Date()));
}
