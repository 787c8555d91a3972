/**
 * Measures, at every build, what a browser downloads before the first page is usable:
 * the entry chunk with its static imports and CSS (the shell), and the shell plus the
 * dashboard's chunk (what `/` needs). Gzipped sizes, as served. Prints a table and writes
 * test-results/ui-size.json; the build fails when the first page passes the budget
 * (issue 5: initial JavaScript ≤ 80 KB gzipped). Chunks loaded later (other pages, the
 * chart library) are listed but not counted.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

export const INITIAL_JS_BUDGET = 80 * 1024;

interface ChunkInfo {
  file: string;
  name: string;
  code: string;
  imports: string[];
  isEntry: boolean;
  facadeModuleId: string | null;
}

const gz = (s: string | Uint8Array) => gzipSync(s).length;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

export function bundleSize({ report, firstPage }: { report: string; firstPage: RegExp }): Plugin {
  return {
    name: 'bundle-size',
    apply: 'build',
    generateBundle(_options, bundle) {
      const chunks = new Map<string, ChunkInfo>();
      let cssGz = 0;
      for (const out of Object.values(bundle)) {
        if (out.type === 'chunk') chunks.set(out.fileName, { file: out.fileName, name: out.name, code: out.code, imports: out.imports, isEntry: out.isEntry, facadeModuleId: out.facadeModuleId });
        else if (out.fileName.endsWith('.css')) cssGz += gz(out.source);
      }
      // A chunk and everything it imports statically (what the browser fetches for it).
      const closure = (start: string[]) => {
        const seen = new Set<string>();
        const stack = [...start];
        while (stack.length) {
          const f = stack.pop()!;
          if (seen.has(f)) continue;
          seen.add(f);
          stack.push(...(chunks.get(f)?.imports ?? []));
        }
        return seen;
      };
      const sum = (files: Set<string>) => [...files].reduce((n, f) => n + gz(chunks.get(f)!.code), 0);
      const entry = [...chunks.values()].filter((c) => c.isEntry).map((c) => c.file);
      const page = [...chunks.values()].find((c) => c.facadeModuleId && firstPage.test(c.facadeModuleId));
      const shell = closure(entry);
      const first = closure([...entry, ...(page ? [page.file] : [])]);
      const result = {
        shell_js_gzip: sum(shell),
        first_page_js_gzip: sum(first),
        css_gzip: cssGz,
        budget_js_gzip: INITIAL_JS_BUDGET,
        chunks: [...chunks.values()].map((c) => ({ file: c.file, gzip: gz(c.code), initial: first.has(c.file) })).sort((a, b) => b.gzip - a.gzip),
      };
      mkdirSync(path.dirname(report), { recursive: true });
      writeFileSync(report, `${JSON.stringify(result, null, 2)}\n`);
      const rows = [
        ['shell JS (entry + static imports)', kb(result.shell_js_gzip)],
        ['first page JS (shell + dashboard)', kb(result.first_page_js_gzip)],
        ['CSS (all)', kb(result.css_gzip)],
        ['budget (first page JS)', kb(INITIAL_JS_BUDGET)],
      ];
      this.info(`initial download, gzipped:\n${rows.map(([k, v]) => `  ${k!.padEnd(36)} ${v!.padStart(9)}`).join('\n')}`);
      if (result.first_page_js_gzip > INITIAL_JS_BUDGET) {
        this.error(`The first page needs ${kb(result.first_page_js_gzip)} of JavaScript gzipped, over the ${kb(INITIAL_JS_BUDGET)} budget (docs/benchmarks.md).`);
      }
    },
  };
}
