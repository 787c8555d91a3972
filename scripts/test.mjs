#!/usr/bin/env node
/**
 * `npm test`: every check of the project, in order, with each step's output streamed.
 *
 *   1. typecheck   tsc for the Worker, the UI and the relay (1 check each)
 *   2. build-ui    vite build into dist/ui, which the Worker tests need (1 check)
 *   3. vitest      Worker tests in workerd; counts from test-results/vitest.json
 *   4. relay       node --test (through tsx) over the relay/ and ui/src/ unit tests (*.test.ts); counts from TAP
 *   5. system      node --test over test/system/*.test.mjs; counts from its TAP summary
 *   6. dry-run     wrangler deploy --dry-run (1 check)
 *
 * Every step runs even when an earlier one failed. The last line is exactly
 * `N passed, N failed` (the totals, for CI); the exit code is 1 if anything failed.
 * A step that fails without a report of its own counts as at least one failure.
 *
 * TEST_STEPS=typecheck,system (names from the list above) runs only those steps.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (...p) => path.join(ROOT, 'node_modules', ...p);
const TSC = bin('typescript', 'bin', 'tsc');
const VITE = bin('vite', 'bin', 'vite.js');
const VITEST = bin('vitest', 'vitest.mjs');
const WRANGLER = bin('wrangler', 'bin', 'wrangler.js');

const VITEST_JSON = path.join(ROOT, 'test-results', 'vitest.json');
const SYSTEM_TAP = path.join(ROOT, 'test-results', 'system.tap');
const RELAY_TAP = path.join(ROOT, 'test-results', 'relay.tap');

/** Offline wrangler in every child (and in the children of children). */
const CHILD_ENV = {
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
};

function heading(text) {
  process.stdout.write(`\n\x1b[1m=== ${text}\x1b[0m\n`);
}

/** Runs `node <args>` with output streamed; resolves with the exit code (never rejects). */
function runNode(args) {
  process.stdout.write(`$ node ${args.map((a) => path.relative(ROOT, a) || a).join(' ')}\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: CHILD_ENV, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (err) => {
      process.stderr.write(`could not start: ${err.message}\n`);
      resolve(127);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** A command that is one check: passed if it exits 0. */
async function check(label, args) {
  const code = await runNode(args);
  return { label, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, note: code === 0 ? '' : `exit code ${code}` };
}

const steps = {
  async typecheck() {
    return [
      await check('tsc (worker)', [TSC, '--noEmit', '-p', 'tsconfig.json']),
      await check('tsc (ui)', [TSC, '--noEmit', '-p', 'ui/tsconfig.json']),
      await check('tsc (relay)', [TSC, '--noEmit', '-p', 'relay/tsconfig.json']),
    ];
  },

  async 'build-ui'() {
    return [await check('vite build', [VITE, 'build', '--config', 'ui/vite.config.ts'])];
  },

  async vitest() {
    rmSync(VITEST_JSON, { force: true }); // never read a stale report
    const code = await runNode([VITEST, 'run', '--config', 'vitest.config.ts']);
    const result = { label: 'vitest', passed: 0, failed: 0, note: '' };
    let report = null;
    try {
      report = JSON.parse(readFileSync(VITEST_JSON, 'utf8'));
    } catch (err) {
      result.note = `no report (${err.code ?? err.message})`;
    }
    if (report) {
      result.passed = Number(report.numPassedTests) || 0;
      result.failed = Number(report.numFailedTests) || 0;
      const files = Number(report.numFailedTestSuites) || 0;
      const skipped = (Number(report.numPendingTests) || 0) + (Number(report.numTodoTests) || 0);
      result.note = [`${report.numTotalTests} tests`, skipped ? `${skipped} skipped/todo` : '', files ? `${files} failed suites` : '']
        .filter(Boolean)
        .join(', ');
    }
    // A failing file without failing tests (import error, unhandled error) is still a failure.
    if (code !== 0 && result.failed === 0) {
      result.failed = 1;
      result.note += `${result.note ? '; ' : ''}exit code ${code} without a failed test in the report`;
    }
    return [result];
  },

  async relay() {
    // Relay unit tests (TypeScript, through tsx) beside their modules, and the UI's
    // browser-free units (ui/src/**/*.test.ts: parsing, formatting).
    return [await nodeTests('node --test (relay, ui units)', [...findFiles('relay', '.test.ts'), ...findFiles(path.join('ui', 'src'), '.test.ts')], ['--import', 'tsx'], RELAY_TAP)];
  },

  async system() {
    // Through tsx: system tests use the relay's TypeScript helpers (the test sshd).
    return [await nodeTests('node --test (system)', findFiles(path.join('test', 'system'), '.test.mjs'), ['--import', 'tsx'], SYSTEM_TAP)];
  },

  async 'dry-run'() {
    return [await check('wrangler deploy --dry-run', [WRANGLER, 'deploy', '--dry-run', '--outdir', '.wrangler/dry-run'])];
  },
};

/** Files under `dir` (relative to the root, recursively) whose names end with `suffix`. */
function findFiles(dir, suffix) {
  const abs = path.join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(suffix) && !f.split(path.sep).includes('node_modules'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** node --test over `files`: spec to the terminal, TAP to a file whose summary gives the counts. */
async function nodeTests(label, files, extraArgs, tapFile) {
  if (files.length === 0) return { label, passed: 0, failed: 0, note: 'no test files' };
  mkdirSync(path.dirname(tapFile), { recursive: true });
  rmSync(tapFile, { force: true });
  const code = await runNode([
    ...extraArgs,
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...files,
  ]);
  const result = { label, passed: 0, failed: 0, note: '' };
  const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
  const count = (name) => {
    const m = new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap);
    return m ? Number(m[1]) : null;
  };
  const pass = count('pass');
  const fail = count('fail');
  if (pass === null || fail === null) {
    result.note = 'no TAP summary';
  } else {
    const cancelled = count('cancelled') ?? 0;
    const skipped = (count('skipped') ?? 0) + (count('todo') ?? 0);
    result.passed = pass;
    // A skipped test proves nothing: it is not counted as passed, and it fails the run.
    result.failed = fail + cancelled + skipped;
    result.note = `${count('tests')} tests${cancelled ? `, ${cancelled} cancelled` : ''}${skipped ? `, ${skipped} skipped/todo` : ''}`;
  }
  if (code !== 0 && result.failed === 0) {
    result.failed = 1;
    result.note += `${result.note ? '; ' : ''}exit code ${code} without a failed test in the summary`;
  }
  return result;
}

async function main() {
  const only = (process.env.TEST_STEPS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of only) {
    if (!(name in steps)) {
      process.stderr.write(`TEST_STEPS: unknown step ${JSON.stringify(name)} (known: ${Object.keys(steps).join(', ')})\n`);
      process.exit(2);
    }
  }

  const results = [];
  for (const [name, step] of Object.entries(steps)) {
    if (only.length && !only.includes(name)) continue;
    heading(name);
    const started = Date.now();
    let rows;
    try {
      rows = await step();
    } catch (err) {
      rows = [{ label: name, passed: 0, failed: 1, note: `step crashed: ${err?.message ?? err}` }];
    }
    for (const row of rows) results.push({ ...row, step: name });
    process.stdout.write(`(${name}: ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  }

  heading('summary');
  for (const r of results) {
    const mark = r.failed ? 'FAIL' : 'ok  ';
    process.stdout.write(`${mark} ${r.step.padEnd(9)} ${r.label.padEnd(26)} ${String(r.passed).padStart(4)} passed ${String(r.failed).padStart(3)} failed${r.note ? `  (${r.note})` : ''}\n`);
  }
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`scripts/test.mjs crashed: ${err?.stack ?? err}\n`);
  process.stdout.write('0 passed, 1 failed\n');
  process.exitCode = 1;
});
