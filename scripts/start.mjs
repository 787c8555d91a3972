#!/usr/bin/env node
/**
 * `npm start`: run the whole thing locally, offline, from a fresh clone.
 *
 *   1. write .dev.vars with generated secrets if it is missing (never overwrite it)
 *   2. apply the local D1 migrations
 *   3. build the UI into dist/ui
 *   4. start `wrangler dev` (own process group) and wait for /api/v1/ping
 *   5. pair (first time) and start the local relay (scripts/local-relay.mjs)
 *   6. print the first-admin setup link, or where the UI is
 *   7. on SIGINT/SIGTERM stop the relay and wrangler's whole process group (wrangler + workerd)
 *
 * Environment:
 *   PORT        port for wrangler dev (default 8787), host is always localhost
 *   PERSIST_TO  state directory for D1/Durable Objects (default: wrangler's .wrangler/state);
 *               passed as --persist-to to both the migrations and wrangler dev
 *   LOCAL_RELAY 0 to start without the local relay (default 1)
 *   LOCAL_CRON  0 to start without the every-minute scheduler call (default 1; see local-cron.mjs)
 *
 * Nothing printed here or relayed from wrangler may contain APP_SECRET: wrangler's
 * output goes through a filter that redacts it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalCron } from './local-cron.mjs';
import { localRelayDir, mintLocalPairing, startLocalRelay } from './local-relay.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEV_VARS = path.join(ROOT, '.dev.vars');
const WRANGLER = path.join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
const VITE = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');

const PORT = parsePort(process.env.PORT ?? '8787');
const HOST = 'localhost';
const ORIGIN = `http://${HOST}:${PORT}`;
const PERSIST_TO = process.env.PERSIST_TO ? path.resolve(process.env.PERSIST_TO) : undefined;
const READY_TIMEOUT_MS = 120_000;

/** Every wrangler call runs fully offline: no Request.cf fetch, no telemetry. */
const CHILD_ENV = {
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
};

/** Values never to print (filled once .dev.vars is read). */
const redact = [];

function log(msg) {
  process.stdout.write(`[start] ${scrub(msg)}\n`);
}
function fail(msg) {
  process.stderr.write(`[start] error: ${scrub(msg)}\n`);
}
function scrub(text) {
  let out = String(text);
  for (const secret of redact) if (secret) out = out.split(secret).join('[redacted]');
  return out;
}

function parsePort(value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    process.stderr.write(`[start] error: PORT must be a port number, got ${JSON.stringify(value)}\n`);
    process.exit(2);
  }
  return n;
}

// ---------------------------------------------------------------------------
// 1. .dev.vars
// ---------------------------------------------------------------------------

/** Minimal dotenv reader: KEY=VALUE lines, optional quotes, # comments. */
function parseDevVars(text) {
  const vars = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    vars[m[1]] = value;
  }
  return vars;
}

function ensureDevVars() {
  if (existsSync(DEV_VARS)) {
    log('.dev.vars exists; keeping it.');
  } else {
    const appSecret = randomBytes(32).toString('base64url');
    const setupToken = randomBytes(24).toString('base64url');
    const text = [
      '# Written by `npm start` (scripts/start.mjs). Local development only; not committed.',
      '# In production set each with `wrangler secret put NAME`. See .dev.vars.example.',
      '',
      '# Random secret (32 bytes, base64url) keying token hashes and the encryption of secret settings.',
      `APP_SECRET=${appSecret}`,
      '# One-time token that guards the first-admin setup; useless once a user exists.',
      `SETUP_TOKEN=${setupToken}`,
      '',
    ].join('\n');
    writeFileSync(DEV_VARS, text, { mode: 0o600, flag: 'wx' });
    log('wrote .dev.vars with a new APP_SECRET and SETUP_TOKEN.');
  }
  const vars = parseDevVars(readFileSync(DEV_VARS, 'utf8'));
  if (vars.APP_SECRET) redact.push(vars.APP_SECRET);
  if (!vars.APP_SECRET) fail('.dev.vars has no APP_SECRET; the Worker cannot hash tokens or seal secrets without it.');
  if (!vars.SETUP_TOKEN) fail('.dev.vars has no SETUP_TOKEN; the first admin cannot be created without it.');
  if (/change-me/i.test(vars.APP_SECRET ?? '') || /change-me/i.test(vars.SETUP_TOKEN ?? '')) {
    log('warning: .dev.vars still holds the placeholder values of .dev.vars.example.');
    log('         Delete .dev.vars and run `npm start` again to get generated ones.');
  }
  return vars;
}

// ---------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------

/** Relays a child's output line by line, with secrets redacted. */
function relay(stream, out) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    pending += chunk;
    const cut = pending.lastIndexOf('\n');
    if (cut === -1) return;
    out.write(scrub(pending.slice(0, cut + 1)));
    pending = pending.slice(cut + 1);
  });
  stream.on('end', () => {
    if (pending) out.write(scrub(pending));
    pending = '';
  });
}

let step = null; // the migrations/build child currently running, if any

/** Runs a command to completion (stdin closed, so nothing can prompt); rejects on failure. */
function run(label, args, extraEnv = {}) {
  log(`${label}…`);
  return new Promise((resolve, reject) => {
    const child = (step = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...CHILD_ENV, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    }));
    relay(child.stdout, process.stdout);
    relay(child.stderr, process.stderr);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      step = null;
      if (code === 0) resolve();
      else reject(new Error(`${label} failed (${signal ? `signal ${signal}` : `exit code ${code}`})`));
    });
  });
}

const persistArgs = PERSIST_TO ? ['--persist-to', PERSIST_TO] : [];

function applyMigrations() {
  // With stdin not a TTY and CI=true, wrangler takes the default answer ("yes") to
  // "About to apply N migration(s)… continue?" instead of prompting.
  return run('applying local D1 migrations', [WRANGLER, 'd1', 'migrations', 'apply', 'DB', '--local', ...persistArgs], { CI: 'true' });
}

function buildUi() {
  return run('building the UI (vite build)', [VITE, 'build', '--config', 'ui/vite.config.ts']);
}

function portInUse(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// ---------------------------------------------------------------------------
// wrangler dev
// ---------------------------------------------------------------------------

let wrangler = null; // ChildProcess, leader of its own process group
let localRelay = null; // ChildProcess of `relay run`, leader of its own process group
let localCron = null;
let stopping = false;
let failed = false; // stopping because something went wrong: exit non-zero

/** Signals wrangler's whole process group (wrangler and workerd). */
function signalGroup(signal) {
  if (!wrangler?.pid) return;
  try {
    process.kill(-wrangler.pid, signal);
  } catch (err) {
    if (err.code !== 'ESRCH') fail(`could not send ${signal} to process group ${wrangler.pid}: ${err.message}`);
  }
}

/** Waits (bounded) until no process of wrangler's group is left. */
async function groupGone(timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(-wrangler.pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  fail(`process group ${wrangler.pid} still has processes ${timeoutMs / 1000} s after SIGKILL.`);
  return false;
}

function stopAll(reason) {
  if (stopping) return;
  stopping = true;
  localCron?.stop();
  if (localRelay?.pid) {
    try {
      process.kill(-localRelay.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  log(`${reason}: stopping wrangler dev (process group ${wrangler?.pid ?? '-'})…`);
  signalGroup('SIGTERM');
  // workerd normally goes with wrangler; make sure nothing is left holding the port.
  setTimeout(() => signalGroup('SIGKILL'), 5_000).unref();
}

function startWrangler() {
  const args = [
    WRANGLER,
    'dev',
    '--port', String(PORT),
    '--ip', HOST,
    // A fixed inspector port per PORT: wrangler's default (9229, else the next free one)
    // raced between Workers started at the same moment (parallel test files).
    '--inspector-port', String(PORT + 1000),
    '--test-scheduled',
    '--show-interactive-dev-session=false',
    ...persistArgs,
  ];
  // detached: wrangler becomes the leader of a new process group (setsid), so the
  // group id is its pid and `kill -pgid` reaches workerd too.
  wrangler = spawn(process.execPath, args, {
    cwd: ROOT,
    env: CHILD_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  relay(wrangler.stdout, process.stdout);
  relay(wrangler.stderr, process.stderr);
  log(`wrangler dev started (pid ${wrangler.pid}, process group ${wrangler.pid}) on ${ORIGIN}`);
  wrangler.on('error', (err) => {
    fail(`could not start wrangler dev: ${err.message}`);
    process.exit(1);
  });
  // Take down anything left in the group (a workerd that outlived wrangler)...
  wrangler.on('exit', () => signalGroup('SIGKILL'));
  // ...and exit once its output is drained and the group is gone, so the port is free.
  wrangler.on('close', async (code, signal) => {
    await groupGone(5_000);
    const status = failed ? 1 : stopping ? 0 : code ?? 1;
    if (!stopping) fail(`wrangler dev exited (${signal ? `signal ${signal}` : `exit code ${code}`}).`);
    else log('stopped.');
    process.exit(status);
  });
}

async function waitForPing() {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (stopping) return null;
    try {
      const res = await fetch(`${ORIGIN}/api/v1/ping`, { signal: AbortSignal.timeout(3_000) });
      if (res.ok) return await res.json();
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`no answer from ${ORIGIN}/api/v1/ping within ${READY_TIMEOUT_MS / 1000} s`);
}

function banner(lines) {
  const width = Math.max(...lines.map((l) => l.length)) + 4;
  const bar = '='.repeat(width);
  process.stdout.write(`\n${bar}\n${lines.map((l) => `  ${scrub(l)}`).join('\n')}\n${bar}\n\n`);
}

// ---------------------------------------------------------------------------

async function main() {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (!wrangler) {
        step?.kill('SIGTERM');
        process.exit(130);
      }
      stopAll(`got ${sig}`);
    });
  }
  // Last resort if this process exits some other way while wrangler still runs.
  process.on('exit', () => signalGroup('SIGKILL'));

  const vars = ensureDevVars();
  if (await portInUse(PORT)) {
    fail(`port ${PORT} on ${HOST} is already in use (another \`npm start\`?). Stop it or set PORT.`);
    process.exit(1);
  }
  if (PERSIST_TO) log(`local state under ${PERSIST_TO}`);
  await applyMigrations();
  const relayDir = localRelayDir(ROOT, PERSIST_TO);
  const withRelay = process.env.LOCAL_RELAY !== '0';
  const pairingToken = withRelay ? await mintLocalPairing({ dir: relayDir, origin: ORIGIN, appSecret: vars.APP_SECRET, run, wrangler: WRANGLER, persistArgs }) : null;
  await buildUi();
  startWrangler();

  const ping = await waitForPing();
  if (!ping || stopping) return;

  if (withRelay) localRelay = await startLocalRelay({ root: ROOT, dir: relayDir, origin: ORIGIN, token: pairingToken, log, pipe: relay });
  if (process.env.LOCAL_CRON !== '0') localCron = startLocalCron({ origin: ORIGIN, log });

  if (ping.setup_needed === true) {
    banner([
      'Borg Orchestrator is running. No user exists yet: create the first admin at',
      '',
      `  ${ORIGIN}/setup#token=${vars.SETUP_TOKEN ?? ''}`,
      '',
      'The token (SETUP_TOKEN in .dev.vars) works only until the first admin exists.',
      'Stop with Ctrl-C.',
    ]);
  } else {
    banner([`Borg Orchestrator is running: the UI is at ${ORIGIN}`, `API docs: ${ORIGIN}/api/docs`, 'Stop with Ctrl-C.']);
  }
}

main().catch((err) => {
  fail(err?.message ?? String(err));
  if (wrangler && !stopping) {
    stopping = true;
    failed = true;
    signalGroup('SIGTERM');
    setTimeout(() => {
      signalGroup('SIGKILL');
      process.exit(1);
    }, 3_000);
  } else {
    process.exit(1);
  }
});
