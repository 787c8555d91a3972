/**
 * The audit log: who did what to which object, when. Records field *names* only:
 * a value may be a secret, and the object itself holds the current values.
 */
import type { Context } from 'hono';
import type { AuditAction } from '../../shared/domain';
import { clientAddress } from '../auth/throttle';
import { auditLog } from '../db/schema';
import type { AppEnv } from '../http/context';

export function actorName(c: Context<AppEnv>): { userId: number | null; actor: string } {
  const p = c.get('principal');
  if (!p) return { userId: null, actor: 'anonymous' };
  return { userId: p.user.id, actor: p.via === 'token' ? `${p.user.email} (token ${p.tokenName ?? p.tokenId})` : p.user.email };
}

/** Builds the insert so a caller can put it in the same `db.batch()` as its write. */
export function auditEntry(
  c: Context<AppEnv>,
  action: AuditAction,
  objectType: string,
  objectId: number | null,
  detail?: Record<string, unknown>,
) {
  return c.var.db.insert(auditLog).values({
    ...actorName(c),
    action,
    objectType,
    objectId,
    detail: detail ?? null,
    address: clientAddress(c.req.raw.headers),
  });
}

export async function audit(...args: Parameters<typeof auditEntry>): Promise<void> {
  await auditEntry(...args);
}
