/**
 * Progress parsing against what borg really writes: a real `borg create --progress
 * --log-json` run (Debian's borg) on a temporary repository, its stderr lines fed to the
 * parser as the relay keeps them (the JSON line itself).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { advanceProgress, parseProgress, progressAfter, progressFraction, type Progress } from './job-progress';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ui-progress-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** borg create reading stdin fed slowly (~1.2 s), so it reports progress with sizes while it works (it throttles its events to a few a second). */
async function borgCreateLines(): Promise<string[]> {
  const env = { ...process.env, BORG_BASE_DIR: path.join(dir, 'base'), BORG_PASSPHRASE: '', BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' };
  const repo = path.join(dir, 'repo');
  execFileSync('borg', ['init', '--encryption=none', repo], { env });
  const borg = spawn('borg', ['create', '--progress', '--log-json', `${repo}::a`, '-'], { env, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  borg.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  for (let i = 0; i < 24; i++) {
    borg.stdin.write(randomBytes(256 * 1024));
    await new Promise((r) => setTimeout(r, 50));
  }
  borg.stdin.end();
  const code = await new Promise((r) => borg.once('close', r));
  assert.equal(code, 0, stderr);
  return stderr.split('\n').filter(Boolean);
}

test('archive progress lines of a real borg create are recognised; other lines are not', async () => {
  const lines = await borgCreateLines();
  const parsed = lines.map(parseProgress);
  const archive = parsed.filter((p): p is Extract<Progress, { kind: 'archive' }> => p?.kind === 'archive');
  assert.ok(archive.length >= 2, `borg wrote archive_progress lines: ${lines.slice(0, 3).join(' | ')}`);
  const sized = archive.filter((p) => !p.finished);
  assert.ok(sized.some((p) => p.originalSize > 0), 'sizes are read');
  assert.ok(archive.at(-1)!.finished, 'the last one says finished');
  assert.equal(parseProgress('A /etc/passwd'), null);
  assert.equal(parseProgress('{"type": "log_message", "message": "progress"}'), null);
  assert.equal(parseProgress('{not json _progress"'), null);

  // Over the whole stream, the finishing event (no sizes) keeps the counts seen before it.
  const end = progressAfter(null, lines.map((text) => ({ text })));
  let stepwise: Progress | null = null;
  for (const p of parsed) if (p) stepwise = stepwise ? advanceProgress(stepwise, p) : p;
  assert.ok(stepwise && stepwise.kind === 'archive' && stepwise.finished && stepwise.originalSize > 0, JSON.stringify(stepwise));
  assert.ok(end && end.finished);
  assert.equal(progressFraction(stepwise), 1);
});

test('percent progress and fractions', () => {
  const p = parseProgress(JSON.stringify({ type: 'progress_percent', current: 25, total: 100, message: 'Checking segments 25%', finished: false }));
  assert.deepEqual(p, { kind: 'percent', current: 25, total: 100, message: 'Checking segments 25%', finished: false });
  assert.equal(progressFraction(p), 0.25);
  // No total: not a usable percentage.
  assert.equal(parseProgress(JSON.stringify({ type: 'progress_percent', current: 1, finished: false })), null);
  const a = parseProgress(JSON.stringify({ type: 'archive_progress', original_size: 500, deduplicated_size: 100, nfiles: 2, finished: false }));
  assert.equal(progressFraction(a), null, 'a backup has no total by itself');
  assert.equal(progressFraction(a, 1000), 0.5, 'an estimate from the last backup');
  assert.equal(progressFraction(a, 100), 0.99, 'never 100 % before the end');
});
