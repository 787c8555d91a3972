/**
 * Applies the real migrations to the test D1 database, and gives every test a fresh
 * database: @cloudflare/vitest-pool-workers 0.15 isolates storage per test file,
 * not per test. Ids keep growing across tests (only the relays' sequence restarts,
 * so the seeded relay is always id 1), so a stale id from an earlier test never
 * names a new object by accident.
 */
import { applyD1Migrations, type D1Migration } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeEach } from 'vitest';
import { expectNoSecretLeaked } from './helpers';

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// Children before parents, so foreign keys never object.
const TABLES = [
  'audit_log',
  'login_failures',
  'readiness_tokens',
  'job_dependencies',
  'jobs',
  'policy_clients',
  'policies',
  'schedules',
  'repositories',
  'clients',
  'sessions',
  'api_tokens',
  'users',
  'relays',
  'settings',
];

/**
 * The rows the migrations seed: all of 0001_seed, then the data statements of later
 * migrations (settings they add, change or drop, e.g. 0005's scheduler settings), in order, so
 * every test starts from what a fresh deployment has.
 */
function seedQueries(): string[] {
  const seedIndex = env.TEST_MIGRATIONS.findIndex((m) => m.name.includes('seed'));
  if (seedIndex < 0) throw new Error('seed migration not found');
  const later = env.TEST_MIGRATIONS.slice(seedIndex + 1).flatMap((m) => m.queries.filter((q) => /^\s*(?:--[^\n]*\n\s*)*(INSERT|UPDATE|DELETE)\s/i.test(q)));
  return [...env.TEST_MIGRATIONS[seedIndex]!.queries, ...later];
}

beforeEach(async () => {
  await env.DB.batch([
    ...TABLES.map((t) => env.DB.prepare(`DELETE FROM ${t}`)),
    env.DB.prepare(`DELETE FROM sqlite_sequence WHERE name = 'relays'`),
    ...seedQueries().map((q) => env.DB.prepare(q)),
  ]);
});

// Every file: no response body may contain a secret the tests sent or were given
// (passwords, passphrases, database passwords, API tokens after their creation).
afterAll(() => expectNoSecretLeaked());
