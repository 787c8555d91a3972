import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';
import { bundleSize } from './build/bundle-size';

// Builds the SPA into dist/ui, which wrangler serves as static assets.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [
    preact(),
    bundleSize({ report: fileURLToPath(new URL('../test-results/ui-size.json', import.meta.url)), firstPage: /pages\/dashboard\/index\.tsx$/ }),
  ],
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
  },
});
