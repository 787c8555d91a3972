/**
 * The relay CLI against the real Worker (wrangler dev, local D1 and Durable Objects):
 * pair with a one-time token, seal a secret that the API accepts, connect the socket.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { relayCli as runRelayCli } from './support/backup-world.mjs';
import { firstAdmin, startSystem } from './support/system.mjs';

const PORT = 8798;
let system;
let api;
let configDir;

const relayCli = (args, input) => runRelayCli(configDir, args, input);

before(async () => {
  configDir = mkdtempSync(path.join(os.tmpdir(), 'relay-config-'));
  system = await startSystem({ port: PORT });
  api = await firstAdmin(system.origin, system.setupToken);
});

after(async () => {
  await system?.stop();
  rmSync(configDir, { recursive: true, force: true });
});

let pairing;

test('relay pair exchanges the token once and writes a private config', async () => {
  const created = await api('POST', '/relays', { name: 'lan-1' });
  assert.equal(created.status, 201);
  pairing = created.body.pairing;
  const run = relayCli(['pair', '--url', system.origin, '--token', pairing.token]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /Paired as relay "lan-1"/);
  assert.match(run.stdout, /^ssh-ed25519 \S+ borg-orchestrator-relay$/m);
  const configFile = path.join(configDir, 'config.json');
  assert.equal(statSync(configFile).mode & 0o777, 0o600);
  assert.equal(statSync(path.join(configDir, 'id_ed25519')).mode & 0o777, 0o600);
  const config = JSON.parse(readFileSync(configFile, 'utf8'));
  assert.equal(config.relayId, created.body.id);
  assert.match(config.credential, /^br_\d+_/);
  const relay = await api('GET', `/relays/${created.body.id}`);
  assert.equal(relay.body.paired, true);
  assert.equal(relay.body.public_key, config.sealing.publicKey);
  // The credential and private key never show in the CLI output.
  assert.ok(!run.stdout.includes(config.credential) && !run.stdout.includes(config.sealing.privateKey));

  const again = relayCli(['pair', '--url', system.origin, '--token', pairing.token]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /Pairing refused \(404\).*ask an admin for a new one/);
});

test('relay seal output is accepted by the API as a sealed passphrase', async () => {
  const sealed = relayCli(['seal'], 'my repository passphrase\n');
  assert.equal(sealed.status, 0, sealed.stderr);
  const value = sealed.stdout.trim();
  assert.match(value, /^sealed:v1:/);
  assert.ok(!value.includes('passphrase'));
  const config = JSON.parse(readFileSync(path.join(configDir, 'config.json'), 'utf8'));
  const repo = await api('POST', '/repositories', { name: 'r1', path: '/srv/borg/r1', relay: config.relayId, passphrase_sealed: value });
  assert.equal(repo.status, 201, JSON.stringify(repo.body));
  assert.equal(repo.body.has_passphrase, true);
});

test('relay status reports the pairing and the orchestrator', async () => {
  const run = relayCli(['status']);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /relay: lan-1/);
  assert.match(run.stdout, /orchestrator answers: 200/);
});

test('the credential opens the relay socket and the protocol answers', async () => {
  const config = JSON.parse(readFileSync(path.join(configDir, 'config.json'), 'utf8'));
  const ws = new WebSocket(`ws://localhost:${PORT}/relay/connect`, { headers: { Authorization: `Bearer ${config.credential}` } });
  const welcome = await new Promise((resolve, reject) => {
    ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', v: 1, version: '0.1.0', jobs: [] })));
    ws.once('message', (data) => resolve(JSON.parse(String(data))));
    ws.once('error', reject);
    setTimeout(() => reject(new Error('no welcome')), 10_000);
  });
  assert.equal(welcome.type, 'welcome');
  const relay = await api('GET', `/relays/${config.relayId}`);
  assert.equal(relay.body.connected, true);
  ws.close();
  const refused = new WebSocket(`ws://localhost:${PORT}/relay/connect`, { headers: { Authorization: 'Bearer br_1_' + 'A'.repeat(43) } });
  const status = await new Promise((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode)));
  assert.equal(status, 401);
});
