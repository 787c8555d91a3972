/**
 * GET /relay/connect: the relay's outbound WebSocket. The Worker authenticates the
 * relay's credential before the Durable Object sees the request, then hands the
 * upgrade to that relay's TaskManager, which accepts it with the hibernation API
 * (Hono's upgradeWebSocket would accept() in the Worker, which cannot hibernate).
 */
import type { Context } from 'hono';
import { openDb } from '../db/client';
import type { AppEnv } from '../http/context';
import { ApiError } from '../http/errors';
import { taskManagerFor } from '../taskmanager/TaskManager';
import { relayForCredential } from './credentials';

export async function relayConnect(c: Context<AppEnv>): Promise<Response> {
  if (c.req.header('Upgrade')?.toLowerCase() !== 'websocket') {
    return c.json(new ApiError(426, 'upgrade_required', 'Connect with a WebSocket.').toBody(), 426);
  }
  const m = /^Bearer\s+(\S+)$/i.exec(c.req.header('Authorization') ?? '');
  const relay = m?.[1] ? await relayForCredential(openDb(c.env.DB), c.env, m[1]) : null;
  if (!relay) return c.json(new ApiError(401, 'unauthorized', 'Unknown, revoked or disabled relay credential.').toBody(), 401);
  const forwarded = new Request('https://task-manager/connect', { headers: { Upgrade: 'websocket', 'X-Relay-Id': String(relay.id), 'X-Public-Origin': new URL(c.req.url).origin } });
  return taskManagerFor(c.env, relay.id).fetch(forwarded);
}
