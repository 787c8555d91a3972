/**
 * `npm start` end to end: scripts/start.mjs on a throwaway state dir, the setup
 * link it prints, the first-admin flow through real `wrangler dev`, and a clean
 * stop that frees the port.
 *
 * .dev.vars: start.mjs creates one if it is missing and never overwrites it, so a
 * developer's file is kept; the test reads the values from whatever file is there.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PORT = 8799;
const ORIGIN = `http://localhost:${PORT}`;
const BANNER_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

let child; // node scripts/start.mjs, leader of its own process group
let exited; // resolves with [code, signal] when it exits
let output = '';
let stateDir;
let setupToken;
let wranglerPgid; // printed by start.mjs; only for cleanup if the orderly stop fails
let relayPid; // the local relay started by start.mjs
let adminCookie;

function readDevVars() {
  const vars = {};
  for (const line of readFileSync(path.join(ROOT, '.dev.vars'), 'utf8').split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trim().startsWith('#')) continue;
    vars[m[1]] = m[2].replace(/^(["'])(.*)\1$/, '$2');
  }
  return vars;
}

function waitFor(pattern, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${pattern}; output so far:\n${output}`));
    }, timeoutMs);
    const onData = () => {
      const m = pattern.exec(output);
      if (m) {
        cleanup();
        resolve(m);
      }
    };
    const onExit = () => {
      cleanup();
      reject(new Error(`start.mjs exited before printing ${pattern}; output:\n${output}`));
    };
    function cleanup() {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
    }
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    onData();
  });
}

/** True when nothing accepts a connection on the port any more. */
function connectionRefused(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: 'localhost', port });
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err) => resolve(err.code === 'ECONNREFUSED'));
  });
}

function killGroup(pgid, signal) {
  if (!pgid) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

before(async () => {
  assert.ok(await connectionRefused(PORT), `port ${PORT} is already in use; stop whatever listens there`);
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'borg-start-test-'));
  child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(PORT), PERSIST_TO: stateDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    output += chunk;
    const m = /wrangler dev started \(pid \d+, process group (\d+)\)/.exec(output);
    if (m) wranglerPgid = Number(m[1]);
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const m = await waitFor(/http:\/\/localhost:8799\/setup#token=(\S+)/, BANNER_TIMEOUT_MS);
  setupToken = decodeURIComponent(m[1]);
});

after(async () => {
  // Normally the last test has stopped everything; this only cleans up after a failure.
  if (child && child.exitCode === null && child.signalCode === null) {
    killGroup(child.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    killGroup(child.pid, 'SIGKILL');
  }
  killGroup(wranglerPgid, 'SIGKILL');
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

test('the setup link carries the SETUP_TOKEN of .dev.vars', () => {
  const vars = readDevVars();
  assert.ok(vars.SETUP_TOKEN, '.dev.vars has a SETUP_TOKEN');
  assert.equal(setupToken, vars.SETUP_TOKEN);
});

test('ping says setup is needed', async () => {
  const res = await fetch(`${ORIGIN}/api/v1/ping`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.status, 'ok');
  assert.equal(body.setup_needed, true);
});

test('GET / serves the UI', async () => {
  const res = await fetch(`${ORIGIN}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await res.text(), /<div id="app">/);
});

test('a client-side route falls back to the UI (SPA)', async () => {
  // What a browser sends when following a link or reloading a deep URL.
  const res = await fetch(`${ORIGIN}/some/client/route`, { headers: { Accept: 'text/html', 'Sec-Fetch-Mode': 'navigate' } });
  assert.equal(res.status, 200);
  assert.match(await res.text(), /<div id="app">/);
});

test('GET /api/docs is HTML listing /api/v1/ping', async () => {
  const res = await fetch(`${ORIGIN}/api/docs`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await res.text(), /\/api\/v1\/ping/);
});

test('first-admin setup: wrong token 403, right token 201 with session cookie, /me admin, then 409', async () => {
  const post = (token) =>
    fetch(`${ORIGIN}/api/v1/setup`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token, email: 'admin@example.test', name: 'Admin', password: 'correct horse battery staple' }),
    });

  const wrong = await post(`${setupToken}-wrong`);
  assert.equal(wrong.status, 403, await wrong.text());

  const ok = await post(setupToken);
  const okText = await ok.text();
  assert.equal(ok.status, 201, okText);
  const cookies = ok.headers.getSetCookie();
  const session = cookies.find((c) => c.startsWith('__Host-session='));
  assert.ok(session, `a __Host-session cookie among ${JSON.stringify(cookies)}`);
  const attrs = session.split(';').map((s) => s.trim().toLowerCase());
  assert.ok(attrs.includes('httponly'), session);
  assert.ok(attrs.includes('secure'), session);
  assert.ok(attrs.includes('samesite=lax'), session);
  assert.ok(attrs.includes('path=/'), session);

  const me = await fetch(`${ORIGIN}/api/v1/me`, { headers: { Cookie: session.split(';')[0] } });
  const meText = await me.text();
  assert.equal(me.status, 200, meText);
  assert.equal(JSON.parse(meText).role, 'admin');

  const again = await post(setupToken);
  assert.equal(again.status, 409, await again.text());
  adminCookie = session.split(';')[0];

  const ping = await (await fetch(`${ORIGIN}/api/v1/ping`)).json();
  assert.equal(ping.setup_needed, false);
});

test('npm start pairs the embedded default relay with a local relay process, which connects', async () => {
  const m = /local relay started \(pid (\d+), config (\S+)\)/.exec(output);
  assert.ok(m, `start.mjs started the local relay:\n${output.slice(-3000)}`);
  relayPid = Number(m[1]);
  assert.match(output, /local relay paired as "default"/);
  assert.match(output, /^\[start\]\s+ssh-ed25519 \S+ borg-orchestrator-relay$/m);
  let relay;
  const deadline = Date.now() + 30_000;
  do {
    relay = await (await fetch(`${ORIGIN}/api/v1/relays/1`, { headers: { Cookie: adminCookie } })).json();
    if (relay.connected) break;
    await new Promise((r) => setTimeout(r, 250));
  } while (Date.now() < deadline);
  assert.equal(relay.name, 'default');
  assert.equal(relay.paired, true);
  assert.equal(relay.connected, true, JSON.stringify(relay));
  assert.ok(relay.public_key, 'the relay registered its sealing key');
  // The pairing token minted by start.mjs was used up.
  assert.ok(!JSON.stringify(relay).includes('bp_'));
});

test('the output never shows APP_SECRET', () => {
  const { APP_SECRET } = readDevVars();
  assert.ok(APP_SECRET, '.dev.vars has an APP_SECRET');
  assert.ok(!output.includes(APP_SECRET), 'APP_SECRET appears in the output of npm start');
});

test('SIGTERM stops start.mjs, wrangler and workerd, and frees the port', async () => {
  killGroup(child.pid, 'SIGTERM');
  const [code, signal] = await Promise.race([
    exited,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`start.mjs still running ${STOP_TIMEOUT_MS / 1000} s after SIGTERM`)), STOP_TIMEOUT_MS)),
  ]);
  assert.equal(signal, null);
  assert.equal(code, 0, output.slice(-2000));

  const deadline = Date.now() + STOP_TIMEOUT_MS;
  let refused = false;
  while (!(refused = await connectionRefused(PORT)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  assert.ok(refused, `port ${PORT} still accepts connections ${STOP_TIMEOUT_MS / 1000} s after the stop`);

  // The whole wrangler process group is gone (no workerd left behind).
  assert.ok(wranglerPgid, 'start.mjs printed the process group of wrangler dev');
  const groupAlive = () => {
    try {
      process.kill(-wranglerPgid, 0);
      return true;
    } catch (err) {
      assert.equal(err.code, 'ESRCH');
      return false;
    }
  };
  const groupDeadline = Date.now() + 5_000;
  while (groupAlive() && Date.now() < groupDeadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(!groupAlive(), `process group ${wranglerPgid} of wrangler dev still has processes`);

  // The local relay stopped with it.
  assert.ok(relayPid, 'the local relay was started');
  const relayAlive = () => {
    try {
      process.kill(relayPid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const relayDeadline = Date.now() + 5_000;
  while (relayAlive() && Date.now() < relayDeadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(!relayAlive(), `the local relay (pid ${relayPid}) still runs after the stop`);

  // The output is checked once more now that everything has been printed.
  assert.ok(!output.includes(readDevVars().APP_SECRET));
});
