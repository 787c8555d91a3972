/**
 * The local relay of `npm start`: pairs the embedded "default" relay (id 1, seeded by the
 * migrations) with a relay process on this machine and runs it, so a fresh clone backs up
 * hosts reachable from here without any other setup.
 *
 * Pairing needs a one-time token, which normally an admin gets from the API. Before any
 * admin exists, `npm start` mints it itself: it holds APP_SECRET (.dev.vars), so it writes
 * the token's keyed hash (HMAC-SHA256, as worker/auth/secret-hash.ts) into the local D1
 * with `wrangler d1 execute --local`, only while the default relay has no credential yet.
 * The relay then pairs through the public API like any other (`relay pair`).
 *
 * State lives in <state>/local-relay (config 0600, SSH key, spool): .wrangler/local-relay,
 * or $PERSIST_TO/local-relay. LOCAL_RELAY=0 turns all of this off.
 */
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export function localRelayDir(root, persistTo) {
  return persistTo ? path.join(persistTo, 'local-relay') : path.join(root, '.wrangler', 'local-relay');
}

function configuredFor(dir, origin) {
  const file = path.join(dir, 'config.json');
  if (!existsSync(file)) return false;
  try {
    return JSON.parse(readFileSync(file, 'utf8')).url === origin;
  } catch {
    return false;
  }
}

/**
 * Before wrangler dev starts: when this machine has no paired local relay yet, stores a fresh
 * pairing token's hash for the default relay (only if that relay has no credential). Returns
 * the token, or null when none is needed.
 */
export async function mintLocalPairing({ dir, origin, appSecret, run, wrangler, persistArgs }) {
  if (configuredFor(dir, origin)) return null;
  const token = `bp_1_${randomBytes(32).toString('base64url')}`;
  const hash = createHmac('sha256', appSecret).update(token).digest('hex');
  const expires = Date.now() + 60 * 60 * 1000;
  // Values are generated here (hex, digits), never user input: safe to inline in SQL.
  const sql = `UPDATE relays SET pairing_token_hash = '${hash}', pairing_expires = ${expires} WHERE id = 1 AND credential_hash IS NULL AND enabled = 1`;
  await run('preparing the local relay pairing', [wrangler, 'd1', 'execute', 'DB', '--local', ...persistArgs, '--command', sql]);
  return token;
}

/**
 * After the Worker answers: pairs (if a token was minted) and starts `relay run` in its own
 * process group. Returns the child, or null when the local relay cannot run (said why).
 */
export async function startLocalRelay({ root, dir, origin, token, log, pipe }) {
  const env = { ...process.env, RELAY_CONFIG_DIR: dir };
  const cli = [process.execPath, ['--import', 'tsx', 'relay/cli.ts']];
  if (token) {
    const paired = await new Promise((resolve) => {
      const child = spawn(cli[0], [...cli[1], 'pair', '--url', origin, '--token', token], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c) => (out += c));
      child.stderr.on('data', (c) => (out += c));
      child.on('close', (code) => resolve({ code, out }));
    });
    if (paired.code !== 0) {
      log(`local relay not started: the default relay is already paired with another machine (${paired.out.trim().split('\n').pop()}).`);
      return null;
    }
    const key = /^ssh-ed25519 \S+ \S+$/m.exec(paired.out)?.[0];
    log('local relay paired as "default". Its SSH public key, to install on the hosts it backs up:');
    if (key) log(`  ${key}`);
  }
  const child = spawn(cli[0], [...cli[1], 'run'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  pipe(child.stdout, process.stdout);
  pipe(child.stderr, process.stderr);
  log(`local relay started (pid ${child.pid}, config ${dir}).`);
  return child;
}
