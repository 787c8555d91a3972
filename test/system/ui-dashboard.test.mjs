/**
 * The dashboard in a real browser against the real Worker, relay, sshd and borg: counts
 * that match the API, a fresh install's next steps, objects and jobs appearing without a
 * reload, a backup's live progress over its events socket (and the socket closed once it
 * ends), the chart counting the backup, an overdue client, upcoming runs, the chart in
 * light and dark, phone width.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launch, startBackupWorld } from './support/backup-world.mjs';
import { createUser, launchBrowser, openPage, screenshot, signIn } from './support/browser.mjs';
import { ROOT } from './support/system.mjs';

const PORT = 8773;
const PASSPHRASE = 'dashboard test passphrase';
const WRANGLER = path.join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
let w;
let browser;
let page;
let errors;
let context;
let sockets;

before(async () => {
  w = await startBackupWorld({ port: PORT });
  browser = await launchBrowser();
  ({ page, errors, context } = await openPage(browser, w.system.origin));
  // Every events socket the page opens, to check they are closed when their job ends.
  sockets = [];
  page.on('websocket', (ws) => {
    const entry = { url: ws.url(), closed: false };
    ws.on('close', () => (entry.closed = true));
    sockets.push(entry);
  });
  await signInRetrying(page);
});

after(async () => {
  if (w) console.log(`Worker restarts by other builds during the run: ${reloads()}`);
  await context?.close();
  await browser?.close();
  await w?.stop();
});

const count = (label) => page.locator(`a[data-count="${label}"] .dash-count-value`);
/**
 * A GET that tolerates a moment without a Worker: wrangler dev reloads it whenever dist/ui
 * is rebuilt, which other test runs on this machine may do.
 */
const get = async (p) => {
  for (let i = 0; ; i++) {
    try {
      return await w.api('GET', p);
    } catch (e) {
      if (i >= 10) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
};
/** wrangler dev restarts the Worker when dist/ui changes (another build on this machine). */
const reloads = () => (w.system.output().match(/Reloading local server/g) ?? []).length;
/**
 * No page errors. A socket cut by such a restart is logged by chromium as a console error
 * ("WebSocket connection … failed"); only then is that one message let through.
 */
const assertNoErrors = (list) => assert.deepEqual(reloads() ? list.filter((e) => !/WebSocket connection to .* failed/.test(e)) : list, []);
/** Signs in, loading the page again if it met the Worker while it restarted ("could not be reached"). */
async function signInRetrying(p, creds) {
  for (let i = 0; ; i++) {
    await p.goto('/');
    const form = p.getByLabel('Email');
    await form.or(p.getByText('The server could not be reached')).waitFor();
    if (await form.isVisible()) break;
    if (i >= 10) throw new Error('the Worker could not be reached');
    await new Promise((r) => setTimeout(r, 1000));
  }
  await signIn(p, creds);
}
const apiCount = async (p) => {
  const r = await get(p);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.count;
};
/** Waits until a count card shows `value` (the page polls every 5 s). */
const waitCount = async (label, value, timeout = 20_000) => {
  await page.waitForFunction(([l, v]) => document.querySelector(`a[data-count="${l}"] .dash-count-value`)?.textContent === v, [label, String(value)], { timeout });
};
const summary = () => page.locator('#dash-chart-summary');
const chartCanvasWidth = () => page.evaluate(() => document.querySelector('.dash-chart-box .uplot canvas')?.getBoundingClientRect().width ?? 0);

/** Backdates rows in the Worker's local D1 (as if made hours ago): overdue needs elapsed time. */
function backdate(table, id, hours) {
  const sql = `UPDATE ${table} SET created = created - ${hours * 3_600_000} WHERE id = ${Number(id)}`;
  execFileSync(process.execPath, [WRANGLER, 'd1', 'execute', 'DB', '--local', '--persist-to', w.system.stateDir, '--command', sql], { cwd: ROOT, env: { ...process.env, CI: 'true' }, stdio: 'pipe' });
}

describe('dashboard', () => {
  let client;
  let policy;

  test('a fresh install: counts match the API, next steps, the chart drawn in light and dark', async () => {
    // The chart code is fetched on demand: hold it back, the counts are there without it.
    let release;
    const held = new Promise((r) => (release = r));
    const chartChunk = /\/assets\/stats-chart-[^/]+\.js$/;
    await page.route(chartChunk, async (route) => {
      await held;
      await route.continue();
    });
    await page.reload();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await waitCount('Clients', 0);
    await page.getByText('Loading the chart…').waitFor();
    assert.equal(await page.locator('.dash-chart-box .uplot').count(), 0);
    release();
    await page.locator('.dash-chart-box .uplot canvas').waitFor();
    await page.unroute(chartChunk);
    assert.equal(await count('Clients').textContent(), String(await apiCount('/clients?page_size=1')));
    assert.equal(await count('Policies').textContent(), String(await apiCount('/policies?page_size=1')));
    assert.equal(await count('Running jobs').textContent(), String(await apiCount('/jobs?status=starting,running&page_size=1')));
    assert.equal(await count('Overdue clients').textContent(), String(await apiCount('/clients?overdue=true&page_size=1')));
    assert.equal(await count('Failed jobs, last 24 h').textContent(), '0');
    assert.equal(await page.getByRole('link', { name: /Running jobs/ }).getAttribute('href'), '/jobs?status=starting,running');
    assert.equal(await page.getByRole('link', { name: /Overdue clients/ }).getAttribute('href'), '/clients?overdue=true');

    // The next step for an empty install: create a client (the relay is already paired).
    await page.getByRole('heading', { name: 'No clients yet' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Add a client' }).getAttribute('href'), '/clients/new');
    assert.equal(await page.getByRole('link', { name: 'Pair a relay' }).getAttribute('href'), '/relays', 'done: links to the list');
    await page.getByText('No job is running.').waitFor();
    await page.getByText('No client is overdue').waitFor();
    await page.getByText('No scheduled run').waitFor();

    await page.locator('.dash-chart-box .uplot canvas').waitFor();
    assert.ok((await chartCanvasWidth()) > 0);
    assert.equal(await summary().textContent(), '30 days: 0 successful, 0 failed backups.');
    const light = await page.locator('.dash-chart-box').getAttribute('data-palette');
    assert.equal(light, '#1a7f37', 'drawn with the light theme');
    await screenshot(page, 'dashboard-empty');

    // The header's theme switch: the chart is drawn again in the dark palette.
    await page.getByLabel('Theme').selectOption('dark');
    await page.waitForFunction(() => document.querySelector('.dash-chart-box')?.getAttribute('data-palette') === '#3fb950');
    assert.ok((await chartCanvasWidth()) > 0);
    assert.equal(await page.locator('.dash-chart-box .uplot').count(), 1, 'the old chart was removed');
    await page.getByLabel('Theme').selectOption('light');
    await page.waitForFunction(() => document.querySelector('.dash-chart-box')?.getAttribute('data-palette') === '#1a7f37');
    assertNoErrors(errors);
  });

  test('objects made through the API appear without a reload; upcoming runs list the policy', async () => {
    client = await w.client();
    const repo = await w.repository('main', PASSPHRASE);
    const schedule = (await w.api('POST', '/schedules', { name: 'nightly', crontab: '30 3 * * *', timezone: 'UTC' })).body;
    // A piped backup of 8 MiB a second for 12 s: long enough for borg to report progress
    // while the page watches (borg backs up a folder of that size in a second, and reads
    // its stdin 8 MiB at a time). Zeros: cheap to make, compress and deduplicate.
    const command = 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do head -c 8388608 /dev/zero; sleep 1; done';
    const r = await w.api('POST', '/policies', { name: 'stream', type: 'piped', schedule: schedule.id, repository: repo.id, clients: [client.id], catalog_enabled: false, prune_enabled: false, options: { command, stdin_name: 'stream.bin' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    policy = r.body;

    await waitCount('Clients', 1);
    await waitCount('Policies', 1);
    await page.getByRole('heading', { name: 'No clients yet' }).waitFor({ state: 'detached' });
    const upcoming = page.getByRole('region', { name: 'Upcoming runs' });
    await upcoming.getByRole('link', { name: 'stream' }).first().waitFor();
    // The policy's next run first (relative and exact), then later ones from its schedule.
    const first = upcoming.locator('li').first();
    assert.equal(await first.getAttribute('data-policy'), String(policy.id));
    assert.equal(await first.locator('time').getAttribute('datetime'), policy.next_run);
    assert.match(await first.locator('time strong').textContent(), /^in /);
    assert.ok((await upcoming.locator('li').count()) >= 5, 'later runs of the schedule fill the list');
    assertNoErrors(errors);
  });

  test('a launched backup appears while the page is open, with live progress; the chart counts it once it ends', async () => {
    const jobs = await launch(w.api, policy.id);
    const backup = jobs.find((j) => j.type === 'backup');
    const started = Date.now();
    const row = page.locator(`li.dash-run[data-job="${backup.id}"]`);
    // The prepare jobs run first; the backup shows up at a poll once it starts.
    await row.waitFor({ timeout: 90_000 });
    console.log(`backup row shown ${Date.now() - started} ms after the launch`);
    const bar = row.getByRole('progressbar', { name: new RegExp(`backup job ${backup.id} \\(127\\.0\\.0\\.1 · stream\\)`) });
    await bar.waitFor();
    await page.waitForFunction((id) => document.querySelector(`li.dash-run[data-job="${id}"]`)?.dataset.socket === 'live', backup.id);
    // borg's archive_progress, through the events socket (nothing else shows bytes read).
    await page.waitForFunction((id) => /MiB read|KiB read/.test(document.querySelector(`li.dash-run[data-job="${id}"] .dash-progress-text`)?.textContent ?? ''), backup.id, { timeout: 60_000 });
    console.log(`progress shown ${Date.now() - started} ms after the launch: ${await row.locator('.dash-progress-text').textContent()}`);
    assert.equal(await count('Running jobs').textContent(), '1');
    await screenshot(page, 'dashboard-running');

    const done = await w.waitJob(backup.id);
    assert.equal(done.status, 'successful', done.explanation ?? '');
    for (const j of jobs) await w.waitJob(j.id);
    await row.waitFor({ state: 'detached', timeout: 20_000 });
    await page.waitForFunction(() => /^30 days: 1 successful, 0 failed backups; /.test(document.querySelector('#dash-chart-summary')?.textContent ?? ''));
    console.log(`chart summary updated ${Date.now() - started} ms after the launch`);
    // The table holds today's numbers too.
    await page.getByText('The 30 days as a table').click();
    const today = new Date().toISOString().slice(0, 10);
    const cells = page.getByRole('row', { name: new RegExp(`^${today}`) }).getByRole('cell');
    assert.equal(await cells.nth(1).textContent(), '1');
    await waitCount('Running jobs', 0);

    // Every events socket the dashboard opened was for a job that ended, and is closed.
    const events = sockets.filter((s) => s.url.includes('/events'));
    assert.ok(events.some((s) => s.url.includes(`/jobs/${backup.id}/events`)), 'the backup was followed');
    const deadline = Date.now() + 10_000;
    while (events.some((s) => !s.closed) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    for (const s of events) assert.ok(s.closed, `${s.url} closed`);
    assertNoErrors(errors);
  });

  test('a client whose policy expects a backup every hour and has none is listed as overdue', async () => {
    const r = await w.api('POST', '/policies', { name: 'hourly', type: 'folders', schedule: policy.schedule, repository: policy.repository, clients: [client.id], expected_interval_hours: 1, options: { folders: ['/nonexistent'] } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    // The clock starts when the pair came to exist: make both two hours old.
    backdate('policies', r.body.id, 2);
    backdate('clients', client.id, 2);
    assert.equal(await apiCount('/clients?overdue=true&page_size=1'), 1);
    await waitCount('Overdue clients', 1);
    const overdue = page.getByRole('region', { name: 'Overdue clients' });
    assert.equal(await overdue.getByRole('link', { name: '127.0.0.1' }).getAttribute('href'), `/clients/${client.id}`);
    const entry = overdue.locator('li', { hasText: 'hourly' }).last();
    assert.match(await entry.textContent(), /hourly: never backed up \(expected every 1 h\)/);
    // The other policy has a recent success and is not listed as overdue.
    assert.equal(await overdue.getByRole('link', { name: 'stream' }).count(), 0);
    await screenshot(page, 'dashboard');
    await page.getByLabel('Theme').selectOption('dark');
    await page.waitForFunction(() => document.querySelector('.dash-chart-box')?.getAttribute('data-palette') === '#3fb950');
    await screenshot(page, 'dashboard-dark');
    await page.getByLabel('Theme').selectOption('light');
    assertNoErrors(errors);
  });

  test('phone width, as a viewer: nothing overflows, the chart fits, no launch or create links', async () => {
    const viewer = await createUser(w.api, 'viewer');
    const phone = await openPage(browser, w.system.origin, { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    await signInRetrying(phone.page, viewer);
    await phone.page.locator('.dash-chart-box .uplot canvas').waitFor();
    await phone.page.waitForFunction(() => document.querySelector('a[data-count="Overdue clients"] .dash-count-value')?.textContent === '1');
    const widths = await phone.page.evaluate(() => ({ page: document.documentElement.scrollWidth, inner: window.innerWidth, canvas: document.querySelector('.dash-chart-box .uplot canvas').getBoundingClientRect().width }));
    assert.ok(widths.page <= widths.inner + 1, `no sideways scroll: ${JSON.stringify(widths)}`);
    assert.ok(widths.canvas > 0 && widths.canvas <= widths.inner, `the chart fits: ${JSON.stringify(widths)}`);
    assert.equal(await phone.page.getByRole('region', { name: 'Running jobs' }).textContent(), 'Running jobsNo job is running. See all jobs.');
    assert.equal(await phone.page.locator('a[href$="/new"]').count(), 0, 'no create links for a viewer');
    await screenshot(phone.page, 'dashboard-phone');
    assertNoErrors(phone.errors);
    await phone.context.close();
  });
});
