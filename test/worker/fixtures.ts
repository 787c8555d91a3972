/** A small world of objects built through the API, for tests that need one. */
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { generateSealingKeyPair, type SealingKeyPair } from '../../shared/sealed';
import { patch, post, secret, setupAdmin, type As } from './helpers';

export interface World {
  admin: { cookie: string; id: number };
  relayKeys: SealingKeyPair;
  passphrase: string;
  clientId: number;
  client2Id: number;
  repositoryId: number;
  scheduleId: number;
  policyId: number;
}

export async function pairDefaultRelay(admin: As): Promise<SealingKeyPair> {
  const keys = await generateSealingKeyPair();
  secret(keys.privateKey);
  const res = await patch('/relays/1', { public_key: keys.publicKey }, admin);
  expect(res.status, res.text).toBe(200);
  return keys;
}

export async function create(path: string, body: unknown, as: As): Promise<any> {
  const res = await post(path, body, as);
  expect(res.status, `${path}: ${res.text}`).toBe(201);
  return res.body;
}

/** Marks objects ready directly in D1, as a successful prepare job would. */
export async function markReady(table: 'clients' | 'repositories', id: number) {
  await env.DB.prepare(`UPDATE ${table} SET ready = 1 WHERE id = ?`).bind(id).run();
}

export async function buildWorld(opts: { ready?: boolean } = {}): Promise<World> {
  const admin = await setupAdmin();
  const relayKeys = await pairDefaultRelay(admin);
  const passphrase = secret(`repo-passphrase-${crypto.randomUUID()}`);
  const c1 = await create('/clients', { hostname: 'web1.example.com' }, admin);
  const c2 = await create('/clients', { hostname: '10.0.0.2', port: 2222 }, admin);
  const repo = await create('/repositories', { name: 'main', path: 'borg@backup.example.com:/srv/borg/main', passphrase }, admin);
  const sched = await create('/schedules', { name: 'nightly', crontab: '0 2 * * *', timezone: 'Europe/Paris' }, admin);
  const pol = await create(
    '/policies',
    { name: 'web', type: 'rootfs', schedule: sched.id, repository: repo.id, clients: [c1.id, c2.id], keep_daily: 7, options: { excludes: ['/var/cache'] } },
    admin,
  );
  if (opts.ready) {
    await markReady('clients', c1.id);
    await markReady('clients', c2.id);
    await markReady('repositories', repo.id);
  }
  return { admin, relayKeys, passphrase, clientId: c1.id, client2Id: c2.id, repositoryId: repo.id, scheduleId: sched.id, policyId: pol.id };
}
