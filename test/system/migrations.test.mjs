/**
 * The migrations in migrations/ apply from an empty local D1 with wrangler itself
 * (what `npm start` and a deployment run), and leave the seed data in place.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const WRANGLER = path.join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

let stateDir;

/** Runs wrangler offline with stdin closed (so it never prompts). */
function wrangler(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: 'true', CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function query(sql) {
  const r = await wrangler(['d1', 'execute', 'DB', '--local', '--persist-to', stateDir, '--json', '--command', sql]);
  assert.equal(r.code, 0, `${sql}\n${r.stdout}\n${r.stderr}`);
  const parsed = JSON.parse(r.stdout);
  assert.ok(Array.isArray(parsed) && parsed[0]?.success, r.stdout);
  return parsed[0].results;
}

before(() => {
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'borg-migrations-test-'));
});

after(() => {
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

test('all migrations apply to an empty local D1', async () => {
  const r = await wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', stateDir]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stdout + r.stderr, /❌|ERROR/);
});

test('every migration file is recorded as applied', async () => {
  const files = readdirSync(path.join(ROOT, 'migrations')).filter((f) => f.endsWith('.sql')).sort();
  const rows = await query('SELECT name FROM d1_migrations ORDER BY id');
  assert.deepEqual(
    rows.map((r) => r.name),
    files,
  );
});

test('the seeded relay "default" exists', async () => {
  const rows = await query('SELECT name FROM relays');
  assert.ok(
    rows.some((r) => r.name === 'default'),
    JSON.stringify(rows),
  );
});

test('settings are seeded', async () => {
  const [row] = await query('SELECT COUNT(*) AS n FROM settings');
  assert.ok(row.n > 0, JSON.stringify(row));
});

test('applying again is a no-op', async () => {
  const r = await wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', stateDir]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /No migrations to apply/);
});
