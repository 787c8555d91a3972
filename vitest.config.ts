/**
 * Worker tests run inside workerd (the real Workers runtime) with real D1 and
 * Durable Objects, through @cloudflare/vitest-pool-workers. Each test file gets
 * its own storage; test/worker/setup.ts applies the real migrations to it.
 */
import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'));
  return {
    plugins: [
      cloudflareTest({
        main: './worker/index.ts',
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            APP_SECRET: 'test-app-secret-0123456789abcdef',
            SETUP_TOKEN: 'test-setup-token',
          },
        },
      }),
    ],
    test: {
      include: ['test/worker/**/*.test.ts', 'worker/**/*.test.ts', 'shared/**/*.test.ts'],
      setupFiles: ['./test/worker/setup.ts'],
      reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }] as [string, { outputFile: string }]],
      testTimeout: 30_000,
    },
  };
});
