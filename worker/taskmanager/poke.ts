/** Tells the TaskManagers of the relays concerned that jobs may be startable. */
import type { Context } from 'hono';
import type { AppEnv } from '../http/context';
import { taskManagerFor } from './TaskManager';

export function pokeRelays(c: Context<AppEnv>, jobs: { relayId: number | null }[]): void {
  const relayIds = [...new Set(jobs.map((j) => j.relayId).filter((id): id is number => id !== null))];
  for (const id of relayIds) {
    // After the response: the API answers at once, dispatch follows.
    c.executionCtx.waitUntil(
      taskManagerFor(c.env, id)
        .poke()
        .catch((e: unknown) => console.error(JSON.stringify({ level: 'error', msg: 'poke failed', relay: id, error: String((e as Error)?.message ?? e) }))),
    );
  }
}
