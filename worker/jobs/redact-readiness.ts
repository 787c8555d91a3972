/**
 * Readiness tokens in job output, hidden from whoever may not prepare objects.
 *
 * When its relay cannot mark a client or repository ready, a prepare job prints the
 * one-time curl `… <public_url>/api/v1/ready/<token>` into its output (relay/daemon/runner.ts).
 * `POST /ready/{token}` is public, so anyone who reads the line can mark the object ready
 * with an address and borg version of their choosing. Output is readable by viewers; the
 * token is shown only to a principal who could have prepared the object (operator or
 * admin, not through a read-only API token), to everyone else as `HIDDEN_READINESS_TOKEN`.
 * Applied when output leaves the Worker (`/jobs/{id}/stdout`) or the TaskManager
 * (`/jobs/{id}/events`); the stored lines are never changed.
 */
import { ROLE_RANK, type Role, type TokenScope } from '../../shared/domain';

/** What every readiness URL contains, whatever the public URL's origin or path prefix. */
export const READINESS_PATH = '/api/v1/ready/';
/** Shown instead of the token. */
export const HIDDEN_READINESS_TOKEN = '<hidden: operators only>';
/**
 * A token: `randomToken(32)` (worker/api/jobs/prepare.ts), the base64url text of 32 random
 * bytes without padding, so exactly 43 of these characters; `POST /ready/{token}` accepts
 * nothing else (worker/api/ready). A fixed-length class, no nested quantifier: linear in the
 * text, however hostile.
 */
const TOKEN_IN_URL = /\/api\/v1\/ready\/[A-Za-z0-9_-]{43}/g;
const REPLACEMENT = `${READINESS_PATH}${HIDDEN_READINESS_TOKEN}`;

/** Who is reading, as far as readiness tokens go. */
export interface Reader {
  role: Role;
  scope: TokenScope;
}

/** Whether a reader sees readiness tokens: one who may prepare (operator and up, not with a read-only token). Nobody known: no. */
export function seesReadinessTokens(reader: Reader | null | undefined): boolean {
  return !!reader && ROLE_RANK[reader.role] >= ROLE_RANK.operator && reader.scope === 'write';
}

/** Quick test before any regex: may this text hold a readiness token? */
export const mayHoldReadinessToken = (text: string): boolean => text.includes(READINESS_PATH);

/** The text with every readiness token replaced; the same string when there is none. */
export function redactReadiness(text: string): string {
  return mayHoldReadinessToken(text) ? text.replace(TOKEN_IN_URL, REPLACEMENT) : text;
}

/** The same line, its token hidden; the very same object when it has none. */
export function redactReadinessLine<T extends { text: string }>(line: T): T {
  const text = redactReadiness(line.text);
  return text === line.text ? line : { ...line, text };
}

/**
 * The serialized JSON of lines (a `lines` message of the events socket), with the tokens of
 * their texts hidden, without parsing it again. Exact: neither the path nor the token's
 * characters are ever escaped by JSON.stringify, and a match cannot span two strings (a
 * `"` would end it), so this hides exactly what redactReadiness would in each text.
 */
export const redactReadinessJson = redactReadiness;
