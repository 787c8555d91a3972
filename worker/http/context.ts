/** Types threaded through every Hono handler (`Hono<AppEnv>`). */
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import type * as schema from '../db/schema';
import type { TokenScope } from '../../shared/domain';
import type { ApiError } from './errors';

/** drizzle over D1; `$client` is the raw binding, for the few statements drizzle cannot batch. */
export type Db = DrizzleD1Database<typeof schema> & { $client: D1Database };
export type UserRow = typeof schema.users.$inferSelect;

/** Who is calling: a user through a session cookie or through an API token. */
export interface Principal {
  user: UserRow;
  via: 'session' | 'token';
  /** Sessions always write; a token writes only with scope `write`. */
  scope: TokenScope;
  sessionId?: number;
  tokenId?: number;
  tokenName?: string;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    db: Db;
    principal: Principal | null;
    /** Why the credential sent was refused; raised only by routes that need a caller. */
    authError: ApiError | null;
  };
}
