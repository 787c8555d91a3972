/**
 * Login throttling, per account and per client address, over a sliding window.
 * Failures are rows in D1 (login_failures) so the limit holds across isolates.
 */
import { and, count, eq, gt, lt, or } from 'drizzle-orm';
import { loginFailures } from '../db/schema';
import type { Db } from '../http/context';
import { ApiError } from '../http/errors';

export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
export const MAX_FAILURES_PER_ADDRESS = 20;

/**
 * Records a login attempt as a failure *before* the password is checked, then counts.
 * Counting first and recording after the (slow) PBKDF2 would let parallel requests
 * all pass the count; this way at most the limit get through. A successful login
 * removes its own row (and forgives the account) afterwards.
 */
export async function recordAttempt(db: Db, email: string, address: string): Promise<number> {
  const since = new Date(Date.now() - THROTTLE_WINDOW_MS);
  const [inserted, byAccount, byAddress] = await db.batch([
    db.insert(loginFailures).values({ email, address, at: new Date() }).returning({ id: loginFailures.id }),
    db.select({ n: count() }).from(loginFailures).where(and(eq(loginFailures.email, email), gt(loginFailures.at, since))),
    db.select({ n: count() }).from(loginFailures).where(and(eq(loginFailures.address, address), gt(loginFailures.at, since))),
  ]);
  if ((byAccount[0]?.n ?? 0) > MAX_FAILURES_PER_ACCOUNT || (byAddress[0]?.n ?? 0) > MAX_FAILURES_PER_ADDRESS) {
    throw new ApiError(429, 'throttled', 'Too many failed logins; try again in 15 minutes.', undefined, {
      'Retry-After': String(THROTTLE_WINDOW_MS / 1000),
    });
  }
  return inserted[0]!.id;
}

/** A successful login forgives the account's failures (not the address's) and removes its own attempt. */
export async function clearAccountFailures(db: Db, email: string, attemptId: number): Promise<void> {
  await db.delete(loginFailures).where(or(eq(loginFailures.id, attemptId), eq(loginFailures.email, email), lt(loginFailures.at, new Date(Date.now() - THROTTLE_WINDOW_MS))));
}

/** The caller's address as Cloudflare reports it; `local` under wrangler dev without the header. */
export function clientAddress(headers: Headers): string {
  return headers.get('CF-Connecting-IP') ?? 'local';
}
