/** Tells the TaskManagers of the relays concerned that jobs may be startable. */
import type { Context } from 'hono';
import type { AppEnv } from '../http/context';
import { taskManagerFor } from './TaskManager';

/** Pokes one relay's TaskManager; never rejects (a failed poke is logged, the next event dispatches). */
export function pokeRelay(env: Env, relayId: number): Promise<void> {
  return taskManagerFor(env, relayId)
    .poke()
    .catch((e: unknown) => console.error(JSON.stringify({ level: 'error', msg: 'poke failed', relay: relayId, error: String((e as Error)?.message ?? e) })));
}

export function pokeRelays(c: Context<AppEnv>, jobs: { relayId: number | null }[]): void {
  const relayIds = [...new Set(jobs.map((j) => j.relayId).filter((id): id is number => id !== null))];
  // After the response: the API answers at once, dispatch follows.
  for (const id of relayIds) c.executionCtx.waitUntil(pokeRelay(c.env, id));
}
