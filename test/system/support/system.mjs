/**
 * Starts the whole local system (`node scripts/start.mjs`) on a port with throwaway
 * state, for system tests, and stops its process group afterwards.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * `localRelay`: also pair and run npm start's local relay (off by default: most tests pair
 * their own). `localCron`: also call the scheduler every minute (off by default: tests that
 * are not about scheduling must not see their policies launched). `stateDir`: reuse the state of an earlier start (a Worker restart); stop({keepState})
 * leaves it in place for that.
 */
export async function startSystem({ port, timeoutMs = 90_000, localRelay = false, localCron = false, stateDir = mkdtempSync(path.join(os.tmpdir(), 'borg-system-')) }) {
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), PERSIST_TO: stateDir, LOCAL_RELAY: localRelay ? '1' : '0', LOCAL_CRON: localCron ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  let wranglerPgid = null;
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
  for (const s of [child.stdout, child.stderr]) {
    s.setEncoding('utf8');
    s.on('data', (chunk) => {
      output += chunk;
      const m = /wrangler dev started \(pid \d+, process group (\d+)\)/.exec(output);
      if (m) wranglerPgid = Number(m[1]);
    });
  }
  const kill = (pgid, signal) => {
    try {
      if (pgid) process.kill(-pgid, signal);
    } catch {
      /* gone */
    }
  };
  const stop = async ({ keepState = false } = {}) => {
    if (child.exitCode === null && child.signalCode === null) {
      kill(child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      kill(child.pid, 'SIGKILL');
    }
    kill(wranglerPgid, 'SIGKILL');
    if (!keepState) rmSync(stateDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  let m;
  const running = `Borg Orchestrator is running: the UI is at http://localhost:${port}`;
  while (!(m = new RegExp(`http://localhost:${port}/setup#token=(\\S+)`).exec(output)) && !output.includes(running)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the system did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { origin: `http://localhost:${port}`, setupToken: m ? decodeURIComponent(m[1]) : null, stateDir, output: () => output, stop };
}

/** Creates the first admin and returns a session cookie (with the Origin writes need). */
export async function firstAdmin(origin, setupToken) {
  const res = await fetch(`${origin}/api/v1/setup`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token: setupToken, email: 'admin@example.com', password: 'system test password' }),
  });
  if (res.status !== 201) throw new Error(`setup: ${res.status} ${await res.text()}`);
  return sessionCaller(origin, /__Host-session=[^;]+/.exec(res.headers.get('set-cookie'))[0]);
}

/** `api(method, path, body)` → {status, body} with a session cookie and the Origin writes need. */
export function sessionCaller(origin, cookie) {
  return async (method, p, body) => {
    const r = await fetch(`${origin}/api/v1${p}`, {
      method,
      headers: { Cookie: cookie, Origin: origin, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: await r.json().catch(() => null) };
  };
}
