/**
 * The clients, repositories and relays pages in a real browser against the real Worker:
 * a relay created through the form and paired for real with the command the page shows;
 * client and repository forms with the API's field errors beside the fields; the
 * repository passphrase sealed in the browser (never sent in clear); search, filters and
 * the enabled switch; prepare (readiness curl) and check; a viewer sees no edit controls
 * and the API refuses the writes anyway.
 *
 * The tests run in order and build on each other (one relay, its clients, a repository).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { relayCli } from './support/backup-world.mjs';
import { apiSession, createUser, launchBrowser, openPage, screenshot, signIn } from './support/browser.mjs';
import { firstAdmin, startSystem } from './support/system.mjs';

const PORT = 8779;
const PASSPHRASE = 'correct horse battery staple 42';
let system;
let api;
let browser;
let configDir;
/** Shared by the tests below: ids of what the earlier ones created. */
const ids = {};

before(async () => {
  configDir = mkdtempSync(path.join(os.tmpdir(), 'ui-objects-relay-'));
  system = await startSystem({ port: PORT });
  api = await firstAdmin(system.origin, system.setupToken);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await system?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

/** A signed-in admin page; `errors` collects page errors. */
async function adminPage() {
  const opened = await openPage(browser, system.origin);
  opened.page.setDefaultTimeout(15_000);
  // An asset 404 means dist/ui was rebuilt under the running Worker (another build): logged to tell that from a UI bug.
  opened.page.on('response', (r) => r.status() >= 400 && !r.url().includes('/api/') && console.log('HTTP', r.status(), r.url()));
  await opened.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: system.origin });
  await signIn(opened.page);
  return opened;
}

/** The table row that links to `name`. */
const row = (page, name) => page.locator('tbody tr', { has: page.getByRole('link', { name, exact: true }) });

/** Waits for a notice of `kind` whose text matches `re`; returns its text. */
async function notice(page, kind, re) {
  const n = page.locator(`.notice[data-kind="${kind}"]`, { hasText: re });
  await n.first().waitFor();
  return n.first().textContent();
}

test('relays: created through the form, the pairing command shown once and copied, paired for real, then shown paired', async () => {
  const { page, errors, context } = await adminPage();
  await page.goto('/relays');
  await page.getByRole('link', { name: 'New relay' }).click();
  await page.getByRole('heading', { name: 'New relay', level: 1 }).waitFor();
  // A name already taken (the seeded relay) is refused beside the Name field.
  await page.getByLabel('Name').fill('default');
  await page.getByRole('button', { name: 'Create relay' }).click();
  await page.locator('[data-field="name"]').waitFor();
  await page.getByLabel('Name').fill('lan');
  await page.getByRole('button', { name: 'Create relay' }).click();

  const pre = page.locator('pre[data-copy="pairing-command"]');
  await pre.waitFor();
  const command = await pre.textContent();
  const token = /--token '?(bp_\d+_[A-Za-z0-9_-]+)'?/.exec(command)?.[1];
  assert.ok(token, `a token in the command: ${command}`);
  assert.ok(command.includes(`--url ${system.origin}`) || command.includes(`--url '${system.origin}'`), command);
  ids.relay = Number(/\/relays\/(\d+)$/.exec(page.url())[1]);
  await page.getByRole('button', { name: 'Copy pairing command' }).click();
  await page.locator('button.copy', { hasText: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), command);
  await screenshot(page, 'relay-pairing-command');

  // The real relay CLI pairs with the token read from the page.
  const run = relayCli(configDir, ['pair', '--url', system.origin, '--token', token]);
  assert.equal(run.status, 0, run.stderr);
  // The relay page polls its status: paired and its key, without a reload.
  const status = page.locator('section', { has: page.getByRole('heading', { name: 'Status' }) });
  await status.getByText('paired', { exact: true }).waitFor({ timeout: 15_000 });
  await status.getByText('key set').waitFor();

  await page.goto('/relays');
  const lan = row(page, 'lan');
  await lan.getByText('paired', { exact: true }).waitFor();
  await lan.getByText('key set').waitFor();
  await lan.getByText('disconnected').waitFor();
  assert.equal(await row(page, 'default').getByText('not paired').count(), 1);
  const fromApi = (await api('GET', `/relays/${ids.relay}`)).body;
  assert.equal(fromApi.paired, true);
  assert.ok(fromApi.public_key);
  await screenshot(page, 'relays-list');

  // Shown once: the relay's page no longer has it after leaving.
  await page.goto(`/relays/${ids.relay}`);
  await page.getByRole('heading', { name: 'Relay lan' }).waitFor();
  assert.equal(await page.locator('pre[data-copy="pairing-command"]').count(), 0);
  // An admin can issue a new one (confirmed in a dialog).
  await page.getByRole('button', { name: 'New pairing token' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Issue token' }).click();
  await page.locator('pre[data-copy="pairing-command"]').waitFor();
  assert.doesNotMatch(await page.locator('pre[data-copy="pairing-command"]').textContent(), new RegExp(token));
  assert.deepEqual(errors, []);
  await context.close();
});

test('client form: a bad port is refused beside the Port field and nothing is created; fixed, the client is saved and listed', async () => {
  const { page, errors, context } = await adminPage();
  await page.goto('/clients');
  await page.getByRole('link', { name: 'New client' }).click();
  await page.getByLabel('Hostname').fill('web1.example.com');
  await page.getByLabel('Port').fill('70000');
  await page.getByLabel('Relay').selectOption({ label: 'lan' });
  await page.getByRole('button', { name: 'Add client' }).click();
  const portError = page.locator('[data-field="port"]');
  await portError.waitFor();
  assert.match(await portError.textContent(), /1 to 65535/);
  assert.equal(await page.getByLabel('Port').getAttribute('aria-invalid'), 'true');
  // The reason is the Port field's own (it describes the input).
  assert.match(await page.getByLabel('Port').getAttribute('aria-describedby'), /field-port-error/);
  assert.equal((await api('GET', '/clients')).body.count, 0, 'nothing was created');
  await screenshot(page, 'client-form-error');

  await page.getByLabel('Port').fill('2222');
  await page.getByRole('button', { name: 'Add client' }).click();
  await page.getByRole('heading', { name: 'Client web1.example.com' }).waitFor();
  await notice(page, 'success', /web1\.example\.com added/);
  ids.web1 = Number(/\/clients\/(\d+)$/.exec(page.url())[1]);
  const saved = (await api('GET', `/clients/${ids.web1}`)).body;
  assert.equal(saved.port, 2222);
  assert.equal(saved.relay, ids.relay);
  assert.equal(saved.ready, false);

  // Edit: only what changed is sent; saving goes back to the list, where it is listed.
  const patches = [];
  page.on('request', (r) => r.method() === 'PATCH' && patches.push(JSON.parse(r.postData())));
  await page.getByLabel('Bandwidth limit (KiB/s)').fill('5000');
  await page.getByRole('button', { name: 'Save client' }).click();
  await page.waitForURL(/\/clients$/);
  assert.deepEqual(patches, [{ bandwidth_limit: 5000 }]);
  assert.equal((await api('GET', `/clients/${ids.web1}`)).body.bandwidth_limit, 5000);
  await row(page, 'web1.example.com').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('client list: search, filters and the enabled switch change what the API returns and the page shows', async () => {
  for (const hostname of ['db1.example.com', 'db2.example.com']) {
    const r = await api('POST', '/clients', { hostname, relay: ids.relay });
    assert.equal(r.status, 201);
    ids[hostname] = r.body.id;
  }
  const { page, errors, context } = await adminPage();
  await page.goto('/clients');
  await row(page, 'web1.example.com').waitFor();
  assert.equal(await page.locator('tbody tr').count(), 3);

  await page.getByLabel('Search clients').fill('db');
  await page.waitForURL(/search=db/);
  await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 2);
  assert.equal(await row(page, 'web1.example.com').count(), 0);

  const toggle = page.getByRole('switch', { name: 'Enabled: client db1.example.com' });
  assert.equal(await toggle.isChecked(), true);
  await toggle.uncheck();
  await notice(page, 'success', /client db1\.example\.com disabled/);
  assert.equal((await api('GET', `/clients/${ids['db1.example.com']}`)).body.enabled, false);
  await row(page, 'db1.example.com').getByText(/unusable/).waitFor();
  assert.match(await row(page, 'db1.example.com').textContent(), /client is disabled/);

  // Filter: disabled only (with the search still applied).
  await page.getByRole('combobox', { name: /^Enabled/ }).selectOption('false');
  await page.waitForURL(/enabled=false/);
  await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
  await row(page, 'db1.example.com').waitFor();
  assert.equal((await api('GET', '/clients?enabled=false&search=db')).body.count, 1);
  // Sort by hostname descending, filters cleared.
  await page.goto('/clients?order_by=-hostname');
  await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 3);
  const names = await page.locator('tbody tr td:first-child a').allTextContents();
  assert.deepEqual(names, ['web1.example.com', 'db2.example.com', 'db1.example.com']);
  await screenshot(page, 'clients-list');
  assert.deepEqual(errors, []);
  await context.close();
});

test('client actions: prepare shows the readiness curl (which works); delete is refused with the API reason while a job is active', async () => {
  const { page, errors, context } = await adminPage();
  await page.goto(`/clients/${ids.web1}`);
  await page.getByRole('heading', { name: 'Client web1.example.com' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Jobs of this client' }).getAttribute('href'), `/jobs?client=${ids.web1}`);
  await page.getByRole('button', { name: 'Prepare' }).click();
  const curl = page.locator('pre[data-copy="readiness-curl"]');
  await curl.waitFor();
  const text = await curl.textContent();
  assert.match(text, /^curl .*\/api\/v1\/ready\/[A-Za-z0-9_-]{43}/);
  await page.getByRole('link', { name: /^Prepare job \d+$/ }).waitFor();
  await page.getByRole('button', { name: 'Copy readiness command' }).click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), text);

  // The curl is real: the host reports itself ready with it.
  const url = /(http:\/\/\S+\/api\/v1\/ready\/[A-Za-z0-9_-]{43})/.exec(text)[1];
  const ready = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ip: '192.0.2.10', borg_version: '1.4.0' }) });
  assert.equal(ready.status, 200, await ready.text());
  await page.reload();
  const state = page.locator('section', { has: page.getByRole('heading', { name: 'State' }) });
  await state.getByText('ready', { exact: true }).waitFor();
  await state.getByText('192.0.2.10').waitFor();
  await state.getByText('1.4.0').waitFor();

  // The prepare job is still active (no relay runs it): the delete is refused, the reason shown.
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  assert.match(await notice(page, 'error', /active jobs/), /cancel them or let them end first/);
  assert.equal((await api('GET', `/clients/${ids.web1}`)).status, 200);

  // A client no job or policy uses is deleted, and the list is shown.
  await page.goto(`/clients/${ids['db2.example.com']}`);
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await page.waitForURL(/\/clients$/);
  assert.equal((await api('GET', `/clients/${ids['db2.example.com']}`)).status, 404);
  assert.deepEqual(errors, []);
  await context.close();
});

test('repository form: the passphrase is sealed in the browser and never sent in clear; replace/remove; prepare and check', async () => {
  const { page, errors, context } = await adminPage();
  const bodies = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/v1/') && r.postData()) bodies.push({ method: r.method(), url: r.url(), body: r.postData() });
  });
  await page.goto('/repositories');
  await page.getByRole('link', { name: 'New repository' }).click();
  await page.getByLabel('Name').fill('offsite');
  await page.getByLabel('Path').fill('/srv/borg/offsite');
  // The seeded relay is not paired: nothing to seal to, so the passphrase input is disabled and says why.
  await page.getByLabel('Relay').selectOption({ label: 'default (not paired)' });
  await page.getByText(/is not paired yet, so it has no public key/).waitFor();
  assert.equal(await page.getByLabel('Passphrase', { exact: true }).isDisabled(), true);
  await page.getByLabel('Relay').selectOption({ label: 'lan' });
  assert.equal(await page.getByText(/is not paired yet/).count(), 0);
  assert.equal(await page.getByLabel('Passphrase', { exact: true }).isDisabled(), false);

  // A repeat that does not match is caught before anything is sent.
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Repeat passphrase').fill('something else');
  await page.getByRole('button', { name: 'Add repository' }).click();
  await page.locator('[data-field="passphrase_repeat"]').waitFor();
  assert.equal(bodies.filter((b) => b.url.endsWith('/repositories')).length, 0);
  await page.getByLabel('Repeat passphrase').fill(PASSPHRASE);
  await page.getByLabel('Quota (GiB)').fill('10');
  await screenshot(page, 'repository-form');
  await page.getByRole('button', { name: 'Add repository' }).click();
  await page.getByRole('heading', { name: 'Repository offsite' }).waitFor();
  ids.repository = Number(/\/repositories\/(\d+)$/.exec(page.url())[1]);

  const creates = bodies.filter((b) => b.method === 'POST' && b.url.endsWith('/api/v1/repositories'));
  assert.equal(creates.length, 1);
  const sent = JSON.parse(creates[0].body);
  assert.match(sent.passphrase_sealed, /^sealed:v1:/);
  assert.equal('passphrase' in sent, false);
  assert.equal(sent.quota_bytes, 10 * 1024 ** 3);
  for (const b of bodies) assert.ok(!b.body.includes(PASSPHRASE) && !b.body.includes('correct horse'), `clear passphrase in ${b.method} ${b.url}`);
  const repo = (await api('GET', `/repositories/${ids.repository}`)).body;
  assert.equal(repo.has_passphrase, true);
  assert.equal(repo.relay, ids.relay);
  assert.equal(repo.quota_bytes, 10 * 1024 ** 3);

  // The edit form says a passphrase is set, never shows it, and offers to keep, replace or remove it.
  assert.match(await page.getByTestId('passphrase-state').textContent(), /A passphrase is set/);
  assert.equal(await page.getByRole('radio', { name: 'Keep it' }).isChecked(), true);
  assert.equal(await page.getByLabel('New passphrase').count(), 0, 'no passphrase input until Replace is chosen');
  await page.getByRole('radio', { name: 'Replace it' }).check();
  assert.equal(await page.getByLabel('New passphrase').inputValue(), '', 'never prefilled');
  await page.getByRole('radio', { name: 'Remove it' }).check();
  await page.getByRole('button', { name: 'Save repository' }).click();
  await page.waitForURL(/\/repositories$/);
  assert.deepEqual(JSON.parse(bodies.at(-1).body), { passphrase_sealed: null });
  assert.equal((await api('GET', `/repositories/${ids.repository}`)).body.has_passphrase, false);
  await row(page, 'offsite').getByText('missing').waitFor();
  assert.match(await row(page, 'offsite').textContent(), /repository has no passphrase/);

  // Set it again; then prepare, ready by its curl, and check.
  await page.goto(`/repositories/${ids.repository}`);
  assert.match(await page.getByTestId('passphrase-state').textContent(), /No passphrase is set/);
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Repeat passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Save repository' }).click();
  await page.waitForURL(/\/repositories$/);
  assert.match(JSON.parse(bodies.at(-1).body).passphrase_sealed, /^sealed:v1:/);
  assert.equal((await api('GET', `/repositories/${ids.repository}`)).body.has_passphrase, true);

  await page.goto(`/repositories/${ids.repository}`);
  // Not prepared yet: the check is refused and the notice says why.
  await page.getByRole('button', { name: 'Check' }).click();
  assert.match(await notice(page, 'error', /not prepared/), /not prepared/);
  await page.getByRole('button', { name: 'Prepare' }).click();
  const curl = await page.locator('pre[data-copy="readiness-curl"]').textContent();
  assert.match(curl, /\/api\/v1\/ready\//);
  const ready = await fetch(/(http:\/\/\S+\/api\/v1\/ready\/[A-Za-z0-9_-]{43})/.exec(curl)[1], { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(ready.status, 200);
  await page.getByLabel(/Verify every data chunk/).check();
  await page.getByRole('button', { name: 'Check' }).click();
  const jobLink = page.getByRole('link', { name: /^Check job \d+$/ });
  await jobLink.waitFor();
  const jobId = Number(/\/jobs\/(\d+)$/.exec(await jobLink.getAttribute('href'))[1]);
  // The notice links to the job too.
  const noticeLink = page.locator('.notice[data-kind="success"]', { hasText: `Check job ${jobId}` }).getByRole('link', { name: 'Open the job' });
  assert.equal(await noticeLink.getAttribute('href'), `/jobs/${jobId}`);
  const job = (await api('GET', `/jobs/${jobId}`)).body;
  assert.equal(job.type, 'check');
  assert.deepEqual(job.params, { verify_data: true });
  for (const b of bodies) assert.ok(!b.body.includes(PASSPHRASE), `clear passphrase in ${b.method} ${b.url}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a viewer sees the pages without New, Edit, Delete, switches or actions; the API refuses the writes anyway', async () => {
  const viewer = await createUser(api, 'viewer');
  const { page, errors, context } = await openPage(browser, system.origin);
  page.setDefaultTimeout(15_000);
  await signIn(page, viewer);
  for (const [list, name, noun] of [
    ['/clients', 'web1.example.com', 'client'],
    ['/repositories', 'offsite', 'repository'],
    ['/relays', 'lan', 'relay'],
  ]) {
    await page.goto(list);
    await row(page, name).waitFor();
    assert.equal(await page.getByRole('link', { name: `New ${noun}` }).count(), 0, `no New ${noun}`);
    assert.equal(await page.getByRole('switch').count(), 0, `no switches on ${list}`);
  }
  for (const [detail, heading] of [
    [`/clients/${ids.web1}`, 'Client web1.example.com'],
    [`/repositories/${ids.repository}`, 'Repository offsite'],
    [`/relays/${ids.relay}`, 'Relay lan'],
  ]) {
    await page.goto(detail);
    await page.getByRole('heading', { name: heading }).waitFor();
    // Read-only: the detail is shown, and no form, input or action button.
    assert.equal(await page.locator('main form, main input, main select, main textarea').count(), 0, `no form on ${detail}`);
    for (const label of ['Delete', 'Prepare', 'Check', 'New pairing token', /^Save/]) {
      assert.equal(await page.getByRole('button', { name: label }).count(), 0, `no ${label} on ${detail}`);
    }
  }
  await page.goto(`/clients/${ids.web1}`);
  await page.getByText('192.0.2.10').waitFor();
  await screenshot(page, 'client-detail-viewer');
  await page.goto('/clients/new');
  await page.getByRole('heading', { name: 'Not allowed' }).waitFor();

  const viewerApi = await apiSession(system.origin, viewer);
  assert.equal((await viewerApi('POST', '/clients', { hostname: 'evil.example.com' })).status, 403);
  assert.equal((await viewerApi('PATCH', `/relays/${ids.relay}`, { enabled: false })).status, 403);
  assert.equal((await viewerApi('PATCH', `/repositories/${ids.repository}`, { passphrase_sealed: null })).status, 403);
  assert.equal((await viewerApi('POST', `/clients/${ids.web1}/prepare`)).status, 403);
  assert.equal((await api('GET', `/relays/${ids.relay}`)).body.enabled, true);
  assert.deepEqual(errors, []);
  await context.close();
});

test('phone width: detail pages, forms and the pairing command fit without sideways scrolling', async () => {
  const { page, errors, context } = await openPage(browser, system.origin, { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  page.setDefaultTimeout(15_000);
  await signIn(page);
  await page.goto(`/relays/${ids.relay}`);
  await page.getByRole('button', { name: 'New pairing token' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Issue token' }).click();
  await page.locator('pre[data-copy="pairing-command"]').waitFor();
  const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
  assert.ok(await fits(), 'relay page fits');
  await screenshot(page, 'phone-relay-pairing');
  for (const p of [`/clients/${ids.web1}`, `/repositories/${ids.repository}`, '/repositories', '/clients/new']) {
    await page.goto(p);
    await page.locator('h1').first().waitFor();
    await page.locator('main form, main table').first().waitFor();
    assert.ok(await fits(), `${p} fits`);
  }
  await screenshot(page, 'phone-client-new');
  assert.deepEqual(errors, []);
  await context.close();
});
