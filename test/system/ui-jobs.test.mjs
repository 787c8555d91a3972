/**
 * The jobs pages in a real browser, with real jobs: the Worker, the relay process, a real
 * sshd and borg (startBackupWorld). The jobs list changes status live; a job's page shows
 * its output arriving, its progress and its final status; cancel, relaunch, the log
 * download; a restore through the form puts the file back; and a job of 120,000 lines
 * stays windowed (measured and printed, never asserted on time).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { hookPolicy, launch, startBackupWorld, waitFor } from './support/backup-world.mjs';
import { createUser, launchBrowser, openPage, screenshot, signIn } from './support/browser.mjs';

const PORT = 8776;
const PASSPHRASE = 'ui jobs passphrase';
const BIG = 120_000;
let w;
let browser;
let client;
let repo;
let schedule;
let src;
/** The successful backup of the first test, restored from in a later one. */
let backupJob;

before(async () => {
  w = await startBackupWorld({ port: PORT });
  client = await w.client();
  repo = await w.repository('ui-jobs', PASSPHRASE);
  schedule = (await w.api('POST', '/schedules', { name: 'never', crontab: '0 3 1 1 *', timezone: 'UTC' })).body;
  src = path.join(w.root, 'src');
  mkdirSync(path.join(src, 'docs'), { recursive: true });
  writeFileSync(path.join(src, 'docs', 'hello.txt'), 'hello from the ui test, ü\n');
  writeFileSync(path.join(src, 'blob.bin'), Buffer.alloc(2_000_000, 3));
  // Prepare the client and repository once, so each test runs just its backup.
  for (const j of await launch(w.api, (await policy('prepare', 'true')).id)) assert.equal((await w.waitJob(j.id)).status, 'successful', await w.stdoutText(j.id));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await w?.stop();
});

// A test that failed half-way must not leave a job running: the next launch would be refused (client busy).
afterEach(async () => {
  const active = (await w.api('GET', '/jobs?status=new,pending,waiting,starting,running&page_size=100')).body.results;
  for (const j of active) await w.api('POST', `/jobs/${j.id}/cancel`);
  for (const j of active) await w.waitJob(j.id).catch(() => undefined);
});

/** A folders policy whose pre_hook runs `hook` (its output is the job's log). */
const policy = (name, hook) => hookPolicy(w.api, { schedule: schedule.id, repository: repo.id, client: client.id, folder: src }, name, hook);

/** A hook printing `<tag> i` for i = 1..count, sleeping `pause` s every `every` lines. */
const counting = (tag, count, every, pause) => `i=0; while [ $i -lt ${count} ]; do i=$((i+1)); echo "${tag} $i"; if [ $((i % ${every})) -eq 0 ]; then sleep ${pause}; fi; done`;

/**
 * Runs `fn` with a signed-in page and asserts it saw no page errors. On a failure the page
 * is kept as a screenshot (failed-<name>) and its errors are added to the message.
 */
async function withPage(name, fn, creds) {
  const opened = await openPage(browser, w.system.origin);
  try {
    await signIn(opened.page, creds);
    await fn(opened);
    assert.deepEqual(opened.errors, []);
  } catch (e) {
    await screenshot(opened.page, `failed-${name}`).catch(() => undefined);
    const shown = await opened.page.evaluate(() => document.body.innerText.slice(0, 500)).catch(() => '?');
    e.message += `\nat ${opened.page.url()}, showing: ${JSON.stringify(shown)}${opened.errors.length ? `\npage errors:\n${opened.errors.join('\n')}` : ''}`;
    throw e;
  } finally {
    await opened.context.close();
  }
}

/** The status a list row shows now, or null (read at once, no waiting). */
const rowStatus = (page, id) => page.evaluate((jobId) => document.querySelector(`tr[data-id="${jobId}"] [data-status]`)?.getAttribute('data-status') ?? null, id);
const summaryStatus = (page) => page.locator('.job-summary [data-status]');
/** The highest `tick <n>` the log shows now. */
const lastTick = (page) => page.evaluate(() => Math.max(0, ...[...document.querySelectorAll('.log-row .log-text')].map((e) => /^tick (\d+)$/.exec(e.textContent)?.[1] ?? 0).map(Number)));
const logRow = (page, text) => page.locator('.log-row', { hasText: new RegExp(`^\\d+(err|sys)?${text}$`) });

test('a launched job: the list changes status live, its page shows lines arriving, the progress and the final status', async () => {
  await withPage('jobs-list', async (list) => {
    await list.page.goto('/jobs');
    await list.page.getByRole('heading', { name: 'Jobs' }).waitFor();
    // Set in this document: still there at the end means the page was never reloaded.
    await list.page.evaluate(() => (window.__sameDocument = true));

    const TICKS = 60;
    const p = await policy('live', counting('tick', TICKS, 1, 0.25));
    const [job] = await launch(w.api, p.id);
    assert.equal(job.type, 'backup');
    backupJob = job;
    const seen = new Set();
    await waitFor(async () => {
      seen.add(await rowStatus(list.page, job.id));
      return [...seen].some((s) => ['new', 'pending', 'waiting', 'starting', 'running'].includes(s));
    }, 30_000, 'the new job in the list, active');

    await withPage('job-live', async ({ page }) => {
      // The job page while the job runs: lines arrive without a reload.
      await page.goto(`/jobs/${job.id}`);
      await page.getByRole('heading', { name: new RegExp(`Job #${job.id}`) }).waitFor();
      await logRow(page, 'tick \\d+').first().waitFor({ timeout: 60_000 });
      const shown = await lastTick(page);
      assert.equal((await w.job(job.id)).status, 'running', `tick ${shown} was shown while the job ran`);
      assert.ok(shown < TICKS, `ticks still to come (${shown} shown)`);
      await page.waitForFunction((k) => [...document.querySelectorAll('.log-row .log-text')].some((e) => e.textContent === `tick ${k}`), Math.min(TICKS, shown + 4));
      assert.equal(await page.getByLabel('Follow the tail').isChecked(), true, 'following the tail by default');
      assert.equal(await summaryStatus(page).getAttribute('data-status'), 'running');
      await screenshot(page, 'job-running');

      // The end arrives over the socket: final status, the last lines, the finished progress.
      await page.locator('.job-summary [data-status="successful"]').waitFor({ timeout: 120_000 });
      // Borg's result follows the hook's lines; the view follows it to the very last line.
      const total = (await w.stdout(job.id)).length;
      await page.locator(`.log-row[data-line="${total}"]`).waitFor({ timeout: 30_000 });
      assert.match(await page.locator(`.log-row[data-line="${total}"]`).textContent(), /Archive folders-/);
      const bar = page.getByRole('progressbar');
      await page.locator('.job-progress-text', { hasText: /^Done/ }).waitFor({ timeout: 10_000 });
      assert.equal(await bar.getAttribute('value'), '1');
      assert.match(await page.locator('.job-progress label').textContent(), /files?/);
      // Read again on the status change: the final sizes are in the details.
      await page.locator('dl.job-meta dd', { hasText: /original/ }).waitFor();
      assert.equal(await page.locator('[data-connection]').getAttribute('data-connection'), 'ended');
      await screenshot(page, 'job-successful');
    });

    // The list reached the end on its own.
    await list.page.locator(`tr[data-id="${job.id}"] [data-status="successful"]`).waitFor({ timeout: 15_000 });
    seen.add('successful');
    assert.equal(await list.page.evaluate(() => window.__sameDocument), true, 'no reload');
    assert.ok(seen.size >= 2, `statuses seen in the list: ${[...seen]}`);
    assert.equal(await list.page.locator(`tr[data-id="${job.id}"] td[data-label="Client"]`).textContent(), '127.0.0.1', 'the client by name');
    // Filters narrow through the query.
    await list.page.getByLabel('Status').selectOption({ label: 'Failed (failed, error, lost)' });
    await waitFor(async () => (await list.page.locator(`tr[data-id="${job.id}"]`).count()) === 0, 10_000, 'the successful job filtered out');
    assert.match(await list.page.evaluate(() => location.search), /status=failed%2Cerror%2Clost|status=failed,error,lost/);
    await list.page.goto(`/jobs?client=${client.id}&type=backup`);
    await list.page.locator(`tr[data-id="${job.id}"]`).waitFor();
    await list.page.locator('.chips li', { hasText: 'Client: 127.0.0.1' }).waitFor();
    await screenshot(list.page, 'jobs-list-filtered');
  });
});

test('cancel stops a running job, relaunch creates a new one, the download link returns the log', async () => {
  await withPage('cancel-relaunch', async ({ page }) => {
    const p = await policy('slow', counting('slow', 600, 1, 0.5));
    const [job] = await launch(w.api, p.id);
    await page.goto(`/jobs/${job.id}`);
    await logRow(page, 'slow 2').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Cancel job #${job.id}?` });
    await dialog.getByRole('button', { name: 'Cancel the job' }).click();
    await page.locator('.job-summary [data-status="canceled"]').waitFor({ timeout: 60_000 });
    assert.equal((await w.job(job.id)).status, 'canceled');
    assert.equal(await page.getByRole('button', { name: 'Cancel', exact: true }).count(), 0, 'no cancel on an ended job');

    // The log as the browser downloads it.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download log' }).click()]);
    const text = readFileSync(await download.path(), 'utf8');
    assert.match(text, /^slow 1$/m);
    assert.match(text, /^slow 2$/m);
    assert.equal(download.suggestedFilename(), `job-${job.id}.txt`);

    await page.getByRole('button', { name: 'Relaunch' }).click();
    await waitFor(async () => page.url().match(/\/jobs\/(\d+)$/)?.[1] !== String(job.id), 30_000, 'the new job page');
    const newId = Number(page.url().match(/\/jobs\/(\d+)$/)[1]);
    const again = await w.job(newId);
    assert.equal(again.relaunch_of, job.id);
    assert.equal(again.type, 'backup');
    await page.getByRole('heading', { name: new RegExp(`Job #${newId}`) }).waitFor();
    // Its chain names the job it retries.
    await page.locator('.chain [data-job]', { hasText: `#${job.id}` }).waitFor();
    // Stop the relaunched one too (through the API; the button was tested above).
    await w.api('POST', `/jobs/${newId}/cancel`);
    assert.equal((await w.waitJob(newId)).status, 'canceled');
    await page.locator('.job-summary [data-status="canceled"]').waitFor({ timeout: 30_000 });
  });
});

test('restore through the form: field errors beside the field, then the file is back with the same content', async () => {
  assert.ok(backupJob, 'the backup of the first test');
  await withPage('restore', async ({ page }) => {
    await page.goto(`/jobs/${backupJob.id}`);
    await page.locator('.job-summary [data-status]').waitFor();
    await page.getByRole('link', { name: 'Restore…' }).click();
    await page.getByRole('heading', { name: 'Restore' }).waitFor();
    const backup = await w.job(backupJob.id);
    await page.locator('.restore-archive dd', { hasText: backup.archive_name }).waitFor();
    // The backed-up client is the default target.
    await waitFor(async () => (await page.getByLabel('Target client').inputValue()) === String(client.id), 10_000, 'the default client');
    const file = path.join(src, 'docs', 'hello.txt');
    await page.getByLabel('Paths to restore').fill(file);
    await page.getByLabel('Destination folder').fill('relative/folder');
    await page.getByRole('button', { name: 'Restore' }).click();
    const why = page.locator('[data-field="destination"]');
    await why.waitFor();
    assert.match(await why.textContent(), /absolute/);
    assert.equal(await page.getByLabel('Destination folder').getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'restore-form');

    const destination = path.join(w.root, 'restored-here');
    await page.getByLabel('Destination folder').fill(destination);
    assert.equal(await page.getByLabel(/Dry run/).isChecked(), false);
    await page.getByRole('button', { name: 'Restore' }).click();
    await page.waitForURL(/\/jobs\/\d+$/);
    const restoreId = Number(page.url().match(/\/jobs\/(\d+)$/)[1]);
    await page.locator('.job-summary [data-status="successful"]').waitFor({ timeout: 120_000 });
    const restore = await w.job(restoreId);
    assert.equal(restore.type, 'restore');
    assert.deepEqual(restore.params, { paths: [file], destination, dry_run: false });
    assert.equal(readFileSync(path.join(destination, file), 'utf8'), readFileSync(file, 'utf8'));
  });
});

test('a viewer sees a job and its output but no actions, and cannot restore', async () => {
  assert.ok(backupJob, 'the backup of the first test');
  const viewer = await createUser(w.api, 'viewer');
  await withPage('viewer', async ({ page }) => {
    await page.goto(`/jobs/${backupJob.id}`);
    await page.locator('.job-summary [data-status="successful"]').waitFor();
    await page.locator('.log-row').first().waitFor();
    for (const name of ['Cancel', 'Relaunch']) assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, `no ${name}`);
    assert.equal(await page.getByRole('link', { name: 'Restore…' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Download log' }).count(), 1, 'a viewer may read the log');
    // Phone width: nothing wider than the screen (long lines are cut inside the log).
    await page.setViewportSize({ width: 390, height: 844 });
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390, 'no horizontal scrolling at phone width');
    await screenshot(page, 'job-page-phone');
    await page.goto(`/restore?job=${backupJob.id}`);
    await page.getByText('Restoring needs the operator role.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Restore' }).count(), 0);
  }, viewer);
});

test(`${BIG.toLocaleString('en')} lines: windowed, follows the tail while streaming, the last line reachable (measured)`, async () => {
  await withPage('job-100k', async ({ page, context }) => {
    // Every frame: the most log rows in the DOM, and the longest gap between frames.
    await context.addInitScript(() => {
      window.__maxRows = 0;
      window.__longestFrame = 0;
    window.__slowFrames = [];
      let last = performance.now();
      const tick = (t) => {
        window.__maxRows = Math.max(window.__maxRows, document.querySelectorAll('.log-row').length);
        // Frames with log rows only: how smooth the replay is, not how long the page took to load.
      const rows = document.querySelectorAll('.log-row');
      if (rows.length) {
        window.__longestFrame = Math.max(window.__longestFrame, t - last);
        if (t - last > 50) window.__slowFrames.push({ ms: Math.round(t - last), line: Number(rows[rows.length - 1].dataset.line) });
      }
        last = t;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      // Layout shifts (the browser's own measure, as in Core Web Vitals): what moved on its
      // own, with the elements that moved.
      window.__shifts = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          if (!e.hadRecentInput) window.__shifts.push({ value: e.value, at: e.startTime, moved: (e.sources ?? []).map((x) => x.node?.className || (x.node?.parentElement ? `text in .${x.node.parentElement.className}: ${x.node.textContent.slice(0, 40)}` : '') || x.node?.nodeName || '?') });
        }
      }).observe({ type: 'layout-shift', buffered: true });
    });
    // 120,000 lines over ~15 s: 0.25 s pause every 2,000 lines.
    const p = await policy('big', counting('n', BIG, 2000, 0.25));
    const [job] = await launch(w.api, p.id);
    await page.goto(`/jobs/${job.id}`);
    await page.locator('.log-row').first().waitFor({ timeout: 60_000 });
    await waitFor(async () => (await w.job(job.id)).status === 'running', 30_000, 'the job running');

    // While it streams: sample what is in view.
    const box = page.getByRole('region', { name: `Output of job ${job.id}` });
    const samples = [];
    const shiftsBefore = await page.evaluate(() => window.__shifts.length);
    while ((await w.job(job.id)).status === 'running') {
      samples.push(
        await box.evaluate((el) => {
          const rows = el.querySelectorAll('.log-row');
          const lastRow = rows[rows.length - 1];
          const boxRect = el.getBoundingClientRect();
          const rowRect = lastRow?.getBoundingClientRect();
          return {
            at: performance.now(),
            pageStatus: document.querySelector('.job-summary [data-status]')?.getAttribute('data-status'),
            rows: rows.length,
            lastLine: Number(lastRow?.dataset.line ?? 0),
            follow: document.querySelector('.log-follow input').checked,
            // The last rendered row is at the bottom edge of the view.
            lastVisible: !!rowRect && rowRect.bottom <= boxRect.bottom + 1 && rowRect.bottom >= boxRect.bottom - 21,
          };
        }),
      );
      await new Promise((r) => setTimeout(r, 400));
    }
    await screenshot(page, 'job-100k-streaming');
    // Nothing jumps while lines stream: no layout shift at all while the page shows the job
    // running (the end changes the page's actions, which is not streaming).
    const streamedUntil = Math.max(...samples.filter((x) => x.pageStatus === 'running').map((x) => x.at));
    const shifts = (await page.evaluate(() => window.__shifts)).slice(shiftsBefore).filter((x) => x.at <= streamedUntil);
    console.log(`layout shifts while streaming: ${shifts.length} (total ${shifts.reduce((n, x) => n + x.value, 0).toFixed(4)})${shifts.length ? ` ${JSON.stringify(shifts.slice(0, 5))}` : ''}`);
    assert.deepEqual(shifts, [], 'no element moved by itself while the log streamed');
    const streaming = samples.filter((s) => s.lastLine > 0);
    assert.ok(streaming.length >= 3, `sampled while streaming: ${JSON.stringify(samples)}`);
    assert.ok(streaming.at(-1).lastLine > streaming[0].lastLine, 'lines kept arriving');
    for (const s of streaming) {
      assert.ok(s.rows < 500, `windowed: ${s.rows} rows`);
      assert.equal(s.follow, true);
      assert.equal(s.lastVisible, true, `the bottom stays in view: ${JSON.stringify(s)}`);
    }
    const done = await w.waitJob(job.id, 300_000);
    assert.equal(done.status, 'successful', done.explanation);
    const total = (await w.api('GET', `/jobs/${job.id}/stdout?format=json&start_line=1&end_line=1`)).body.total_lines;
    assert.ok(total > BIG);
    await page.locator(`.log-row[data-line="${total}"]`).waitFor({ timeout: 120_000 });

    const maxRowsStreaming = await page.evaluate(() => window.__maxRows);
    assert.ok(maxRowsStreaming < 500, `at most ${maxRowsStreaming} rows in the DOM at any frame while streaming`);

    // Opened after the end: the whole log replays. Measured: until the last line is shown.
    const t0 = Date.now();
    await page.goto(`/jobs/${job.id}`);
    await page.locator(`.log-row[data-line="${total}"]`).waitFor({ timeout: 120_000 });
    const loadMs = Date.now() - t0;
    await page.locator('[data-connection="ended"]').waitFor();
    const longestLoadFrame = await page.evaluate(() => window.__longestFrame);
    const slowFrames = await page.evaluate(() => window.__slowFrames);
    assert.equal(Number((await page.locator('.log-count').textContent()).replace(/\D/g, '')), total);

    // To the first line and back, by the buttons, and by dragging the scroll position.
    const timeTo = async (action, line) => {
      const t = Date.now();
      await action();
      await page.locator(`.log-row[data-line="${line}"]`).waitFor();
      return Date.now() - t;
    };
    const startMs = await timeTo(() => page.getByRole('button', { name: 'Go to first line' }).click(), 1);
    assert.equal(await page.getByLabel('Follow the tail').isChecked(), false, 'going to the start stops following');
    const middle = Math.floor(total / 2);
    const middleMs = await timeTo(() => box.evaluate((el, line) => (el.scrollTop = (line - 1) * 20), middle), middle);
    const endMs = await timeTo(() => page.getByRole('button', { name: 'Go to last line' }).click(), total);
    assert.equal(await page.getByLabel('Follow the tail').isChecked(), true, 'the end button follows again');
    // The wheel up stops following.
    await box.hover();
    await page.mouse.wheel(0, -600);
    await waitFor(async () => !(await page.getByLabel('Follow the tail').isChecked()), 5_000, 'follow off after scrolling up');
    const maxRows = await page.evaluate(() => window.__maxRows);
    assert.ok(maxRows < 500, `at most ${maxRows} rows in the DOM at any frame`);
    await page.getByRole('button', { name: 'Go to last line' }).click();
    await screenshot(page, 'job-100k');
    // Every job of this file, in the list.
    await page.goto('/jobs');
    await page.locator(`tr[data-id="${job.id}"] [data-status="successful"]`).waitFor();
    // Names replace the ids once looked up.
    await page.waitForFunction(() => [...document.querySelectorAll('td[data-label="Client"] a, td[data-label="Policy"] a')].every((a) => !a.textContent.startsWith('#')));
    await screenshot(page, 'jobs-list');

    console.log(`\nJob page with ${total.toLocaleString('en')} lines (chromium, ${process.arch}):`);
    console.table({
      'open → last line rendered (replay of every line)': { value: loadMs, unit: 'ms' },
      'longest frame while the replay renders': { value: Math.round(longestLoadFrame), unit: 'ms' },
    'frames over 50 ms while the replay renders': { value: slowFrames.length, unit: JSON.stringify(slowFrames.slice(0, 5)) },
      '"Go to first line" → line 1 shown': { value: startMs, unit: 'ms' },
      'scroll to the middle → that line shown': { value: middleMs, unit: 'ms' },
      '"Go to last line" → last line shown': { value: endMs, unit: 'ms' },
      'most log rows in the DOM at any frame': { value: Math.max(maxRows, maxRowsStreaming), unit: 'rows' },
    'samples while streaming, all at the bottom': { value: streaming.length, unit: `lines ${streaming[0].lastLine}…${streaming.at(-1).lastLine}` },
    });
  });
});
