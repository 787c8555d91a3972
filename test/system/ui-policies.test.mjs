/**
 * The policies pages in a real browser against the real Worker: the type-adaptive form
 * (folders with excludes, a relative folder refused beside its field, the type switch),
 * a mysql password sealed in the browser to the relay's key (the clear one never sent),
 * per-client database lists, the list's filters, launch with confirmation (cancel creates
 * nothing; confirm creates jobs; a disabled repository's refusal as an error notice), and
 * what a viewer may not do.
 *
 * No relay process runs: launched jobs stay pending, which is all a launch promises. The
 * relay is registered with a sealing key made here, so the test can open what the browser sealed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { generateSealingKeyPair, open } from '../../shared/sealed.ts';
import { firstAdmin, startSystem } from './support/system.mjs';
import { apiSession, createUser, launchBrowser, openPage, screenshot, signIn } from './support/browser.mjs';

const PORT = 8777;
let system;
let browser;
let api;
let keys;
const ids = {};

const must = async (r, status = 201) => {
  const res = await r;
  assert.equal(res.status, status, JSON.stringify(res.body));
  return res.body;
};

before(async () => {
  system = await startSystem({ port: PORT });
  api = await firstAdmin(system.origin, system.setupToken);
  browser = await launchBrowser();
  keys = await generateSealingKeyPair();
  const relay = await must(api('POST', '/relays', { name: 'lan', public_key: keys.publicKey }));
  ids.relay = relay.id;
  for (const host of ['alpha.example.com', 'bravo.example.com', 'charlie.example.com', 'delta.example.com']) {
    ids[host.split('.')[0]] = (await must(api('POST', '/clients', { hostname: host, relay: relay.id }))).id;
  }
  ids.schedule = (await must(api('POST', '/schedules', { name: 'nightly', crontab: '30 2 * * *', timezone: 'UTC' }))).id;
  ids.repo = (await must(api('POST', '/repositories', { name: 'main', path: '/srv/borg/main', relay: relay.id, passphrase: 'repository passphrase' }))).id;
  ids.offline = (await must(api('POST', '/repositories', { name: 'offline', path: '/srv/borg/offline', relay: relay.id, encryption: 'none', enabled: false }))).id;
});
after(async () => {
  await browser?.close();
  await system?.stop();
});

const fieldError = (page, name) => page.locator(`[data-field="${name}"]`);
const policyCount = async () => (await must(api('GET', '/policies'), 200)).count;
const jobsOf = async (policy) => (await must(api('GET', `/jobs?policy=${policy}`), 200)).results;

/** Fills the fields every policy needs. */
async function fillBasics(page, name, type) {
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Type', { exact: true }).selectOption(type);
  await page.getByLabel('Schedule', { exact: true }).selectOption({ label: 'nightly (30 2 * * *, UTC)' });
  await page.getByLabel('Repository', { exact: true }).selectOption(String(ids.repo));
  // The client list follows the repository's relay.
  await page.getByRole('checkbox', { name: 'alpha.example.com' }).waitFor();
}

test('folders policy through the form: a relative folder is refused beside its field, then the API has exactly the options', async () => {
  const { page, errors, context } = await openPage(browser, system.origin);
  await signIn(page);
  await page.goto('/policies');
  await page.getByRole('link', { name: 'New policy' }).click();
  await page.getByRole('heading', { name: 'New policy' }).waitFor();
  await fillBasics(page, 'files', 'folders');
  await page.getByRole('checkbox', { name: 'alpha.example.com' }).check();
  // The filter box narrows the list (server-side search).
  await page.getByLabel('Filter clients').fill('bravo');
  await page.waitForFunction(() => document.querySelectorAll('.client-picker ul.checks li').length === 1);
  await page.getByRole('checkbox', { name: 'bravo.example.com' }).check();
  assert.equal(await page.getByRole('list', { name: 'Selected clients' }).getByRole('listitem').count(), 2, 'alpha stays selected while filtered out');

  await page.getByLabel('Folders').fill('/srv/data\netc');
  await page.getByLabel('Excludes').fill('*.tmp');
  await page.getByRole('button', { name: 'Create policy' }).click();
  await fieldError(page, 'options.folders').waitFor();
  assert.match(await fieldError(page, 'options.folders').textContent(), /1: Must be an absolute path/);
  assert.equal(await page.getByLabel('Folders').getAttribute('aria-invalid'), 'true');
  assert.equal(await policyCount(), 0, 'nothing saved');

  await page.getByLabel('Folders').fill('/srv/data\n/etc');
  await screenshot(page, 'policy-form-folders');
  await page.getByRole('button', { name: 'Create policy' }).click();
  await page.locator('.notice[data-kind="success"]', { hasText: 'Policy files created.' }).waitFor();
  await page.getByRole('heading', { name: 'files' }).waitFor();
  const id = Number(new URL(page.url()).pathname.split('/').pop());
  const saved = await must(api('GET', `/policies/${id}`), 200);
  assert.equal(saved.type, 'folders');
  assert.deepEqual(saved.options, { folders: ['/srv/data', '/etc'], excludes: ['*.tmp'] });
  assert.deepEqual(saved.clients, [ids.alpha, ids.bravo].sort((a, b) => a - b));
  assert.equal(saved.schedule, ids.schedule);
  assert.equal(saved.repository, ids.repo);
  assert.equal(saved.compression, 'lz4', 'the API default kept');
  // The policy page shows the calendar (nightly at 02:30 UTC).
  await page.locator('ol.runs li').first().waitFor();
  assert.ok((await page.locator('ol.runs li').count()) >= 8);

  // An edit sends only what changed; a retention field is saved with the API's name.
  await page.getByLabel('Keep daily').fill('7');
  await page.getByLabel('Jitter (seconds)').fill('120');
  const patches = [];
  page.on('request', (r) => r.method() === 'PATCH' && patches.push(JSON.parse(r.postData())));
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('.notice[data-kind="success"]', { hasText: 'Policy files saved.' }).waitFor();
  assert.deepEqual(patches, [{ keep_daily: 7, jitter_seconds: 120 }]);
  const edited = await must(api('GET', `/policies/${id}`), 200);
  assert.equal(edited.keep_daily, 7);
  assert.deepEqual(edited.options, saved.options);

  // Switching the type swaps the options section: the mysql fields appear, the folders go.
  await page.goto(`/policies/${id}`);
  await page.getByLabel('Folders').waitFor();
  await page.getByLabel('Type', { exact: true }).selectOption('mysql');
  await page.getByRole('group', { name: 'Credentials and databases for every client' }).getByLabel('Database user').waitFor();
  assert.equal(await page.getByLabel('Folders').count(), 0);
  assert.equal(await page.getByLabel('Excludes').count(), 0);
  assert.equal(await page.getByRole('group', { name: 'Settings for alpha.example.com', includeHidden: true }).count(), 1, 'per-client settings for the selected clients');
  assert.equal(await page.getByRole('group', { name: 'Settings for charlie.example.com', includeHidden: true }).count(), 0, 'not for the others');
  // And back: nothing typed is lost.
  await page.getByLabel('Type', { exact: true }).selectOption('folders');
  assert.equal(await page.getByLabel('Folders').inputValue(), '/srv/data\n/etc');
  assert.deepEqual(errors, []);
  await context.close();
});

test('mysql policy: the password is sealed in the browser (never sent in clear), has_password shown; per-client databases saved', async () => {
  const { page, errors, context } = await openPage(browser, system.origin);
  await signIn(page);
  const bodies = [];
  page.on('request', (r) => r.url().includes('/api/v1/policies') && ['POST', 'PATCH'].includes(r.method()) && bodies.push(r.postData() ?? ''));
  await page.goto('/policies/new');
  await fillBasics(page, 'databases', 'mysql');
  await page.getByRole('checkbox', { name: 'alpha.example.com' }).check();
  await page.getByRole('checkbox', { name: 'bravo.example.com' }).check();
  const common = page.getByRole('group', { name: 'Credentials and databases for every client' });
  await common.getByLabel('Database user').fill('backup');
  await common.getByLabel('Password', { exact: true }).fill('clear mysql secret');
  await common.getByLabel('Databases').fill('app\nshop');
  assert.match(await page.locator('.db-fields').first().textContent(), /Sealed in your browser to relay lan/);
  await page.locator('summary', { hasText: 'alpha.example.com' }).click();
  const alpha = page.getByRole('group', { name: 'Settings for alpha.example.com' });
  await alpha.getByLabel('Databases').fill('alpha_db\nalpha_logs');
  await alpha.getByLabel('Port').fill('3307');
  await screenshot(page, 'policy-form-mysql');
  await page.getByRole('button', { name: 'Create policy' }).click();
  await page.locator('.notice[data-kind="success"]', { hasText: 'Policy databases created.' }).waitFor();
  await page.getByRole('heading', { name: 'databases' }).waitFor();

  assert.equal(bodies.length, 1);
  assert.ok(!bodies[0].includes('clear mysql secret'), 'the clear password never leaves the browser');
  const sent = JSON.parse(bodies[0]);
  assert.equal(sent.options.password, undefined);
  assert.equal(await open(keys.privateKey, sent.options.password_sealed), 'clear mysql secret', 'sealed to the relay key');

  const id = Number(new URL(page.url()).pathname.split('/').pop());
  const saved = await must(api('GET', `/policies/${id}`), 200);
  assert.equal(saved.options.has_password, true);
  assert.equal(saved.options.user, 'backup');
  assert.deepEqual(saved.options.databases, ['app', 'shop']);
  assert.deepEqual(saved.options.per_client, { [ids.alpha]: { databases: ['alpha_db', 'alpha_logs'], port: 3307, has_password: false } });
  // The form now says a password is stored, without showing it.
  const stored = page.getByRole('group', { name: 'Credentials and databases for every client' });
  assert.equal(await stored.locator('[data-has-password]').getAttribute('data-has-password'), 'true');
  assert.equal(await stored.getByLabel('Password', { exact: true }).inputValue(), '');

  // Removing it: the API is told null, and has_password goes false.
  await stored.getByLabel('Remove the stored password').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('.notice[data-kind="success"]', { hasText: 'Policy databases saved.' }).waitFor();
  const patch = JSON.parse(bodies[1]);
  assert.equal(patch.options.password, null);
  assert.equal((await must(api('GET', `/policies/${id}`), 200)).options.has_password, false);

  // The list filters by type (the API's filter).
  await page.goto('/policies?type=mysql');
  await page.locator('tbody tr').first().waitFor();
  assert.deepEqual(await page.locator('tbody tr td[data-label="Name"] a').allTextContents(), ['databases']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a relay without a sealing key: the password is refused beside its field before anything is sent (phone width)', async () => {
  const bare = await must(api('POST', '/relays', { name: 'bare' }));
  await must(api('POST', '/clients', { hostname: 'echo.example.com', relay: bare.id }));
  const plain = await must(api('POST', '/repositories', { name: 'plain', path: '/srv/borg/plain', relay: bare.id, encryption: 'none' }));
  const before = await policyCount();
  const { page, errors, context } = await openPage(browser, system.origin, { viewport: { width: 390, height: 844 } });
  await signIn(page);
  const sent = [];
  page.on('request', (r) => r.url().includes('/api/v1/policies') && r.method() === 'POST' && sent.push(r.postData()));
  await page.goto('/policies/new');
  await page.getByLabel('Name', { exact: true }).fill('unsealable');
  await page.getByLabel('Type', { exact: true }).selectOption('mysql');
  await page.getByLabel('Schedule', { exact: true }).selectOption(String(ids.schedule));
  await page.getByLabel('Repository', { exact: true }).selectOption(String(plain.id));
  // Only the clients of the repository's relay are offered.
  await page.getByRole('checkbox', { name: 'alpha.example.com' }).waitFor({ state: 'detached' });
  await page.getByRole('checkbox', { name: 'echo.example.com' }).check();
  const common = page.getByRole('group', { name: 'Credentials and databases for every client' });
  await common.getByLabel('Password', { exact: true }).fill('would be clear');
  await common.getByText('Relay bare has not registered its key yet').waitFor();
  await page.getByRole('button', { name: 'Create policy' }).click();
  await fieldError(page, 'options.password').waitFor();
  assert.match(await fieldError(page, 'options.password').textContent(), /Relay bare has not registered its key yet/);
  assert.deepEqual(sent, [], 'nothing sent');
  assert.equal(await policyCount(), before);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'nothing overflows sideways at phone width');
  await screenshot(page, 'policy-form-phone');
  assert.deepEqual(errors, []);
  await context.close();
});

test('launch asks first: cancel creates no job, confirm creates them; a disabled repository is refused with the API reason', async () => {
  const launchable = await must(api('POST', '/policies', { name: 'launch-me', type: 'rootfs', schedule: ids.schedule, repository: ids.repo, clients: [ids.charlie] }));
  const blocked = await must(api('POST', '/policies', { name: 'blocked', type: 'config', schedule: ids.schedule, repository: ids.offline, clients: [ids.delta] }));
  const { page, errors, context } = await openPage(browser, system.origin);
  await signIn(page);
  await page.goto('/policies');
  const row = page.locator(`tbody tr[data-id="${launchable.id}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /rootfs/);
  // Schedule and repository names come from their own lists.
  await row.getByRole('link', { name: 'nightly' }).waitFor();
  await row.getByRole('link', { name: 'main' }).waitFor();
  await row.getByText('never run').waitFor();
  // A policy whose repository is disabled says why it is unusable.
  assert.match(await page.locator(`tbody tr[data-id="${blocked.id}"]`).textContent(), /unusable because.*repository is disabled/);
  await screenshot(page, 'policy-list');

  await page.getByRole('button', { name: 'Launch launch-me' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('heading', { name: 'Launch launch-me now?' }).waitFor();
  const said = await dialog.textContent();
  assert.match(said, /rootfs/);
  assert.match(said, /charlie\.example\.com/);
  assert.match(said, /main/);
  await screenshot(page, 'policy-launch-dialog');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal((await jobsOf(launchable.id)).length, 0, 'cancel launches nothing');
  assert.equal((await must(api('GET', '/jobs'), 200)).count, 0);

  await page.getByRole('button', { name: 'Launch launch-me' }).click();
  await dialog.getByRole('button', { name: 'Launch' }).click();
  const notice = page.locator('.notice[data-kind="success"]', { hasText: 'Launched launch-me' });
  await notice.waitFor();
  const jobs = await jobsOf(launchable.id);
  const backup = jobs.find((j) => j.type === 'backup');
  assert.ok(backup, `a backup job: ${JSON.stringify(jobs.map((j) => j.type))}`);
  assert.equal(backup.client, ids.charlie);
  assert.match(await notice.textContent(), new RegExp(`#${backup.id}\\b`));
  assert.equal(await page.getByRole('link', { name: `Open backup job #${backup.id}` }).getAttribute('href'), `/jobs/${backup.id}`);

  // The policy page shows its jobs, and refuses a launch the API refuses (409) with the reason.
  await page.goto(`/policies/${launchable.id}`);
  await page.getByRole('link', { name: `#${backup.id}` }).waitFor();
  await page.locator('ol.runs li').first().waitFor();
  await screenshot(page, 'policy-detail');
  // Deleting it while its jobs are active: confirmed, then refused (409) with the API's reason.
  await page.getByRole('button', { name: 'Delete' }).click();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  const kept = page.locator('.notice[data-kind="error"]', { hasText: 'Could not delete launch-me' });
  await kept.waitFor();
  assert.match(await kept.textContent(), /has active jobs/);
  await kept.getByRole('button', { name: 'Dismiss' }).click();
  assert.equal((await api('GET', `/policies/${launchable.id}`)).status, 200);
  await page.goto(`/policies/${blocked.id}`);
  await page.getByRole('button', { name: 'Launch now' }).click();
  await dialog.getByRole('button', { name: 'Launch' }).click();
  const refused = page.locator('.notice[data-kind="error"]');
  await refused.waitFor();
  assert.match(await refused.textContent(), /Repository offline of this policy is disabled/);
  assert.equal((await jobsOf(blocked.id)).length, 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a viewer sees the policy read-only, without New, Edit or Launch; the API refuses the launch (403)', async () => {
  const policy = await must(api('POST', '/policies', { name: 'viewed', type: 'folders', schedule: ids.schedule, repository: ids.repo, clients: [ids.alpha], options: { folders: ['/srv'] } }));
  const viewer = await createUser(api, 'viewer');
  const { page, errors, context } = await openPage(browser, system.origin);
  await signIn(page, viewer);
  await page.goto('/policies');
  await page.locator(`tbody tr[data-id="${policy.id}"]`).waitFor();
  assert.equal(await page.getByRole('link', { name: 'New policy' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: /^Launch/ }).count(), 0);
  assert.equal(await page.getByRole('switch').count(), 0, 'no enabled toggle');
  await page.getByRole('link', { name: 'viewed' }).click();
  await page.getByRole('heading', { name: 'viewed' }).waitFor();
  assert.equal(await page.getByLabel('Folders').inputValue(), '/srv');
  assert.equal(await page.getByLabel('Folders').isDisabled(), true);
  assert.equal(await page.getByLabel('Name', { exact: true }).isDisabled(), true);
  for (const name of ['Save', 'Delete', 'Launch now', 'Create policy']) assert.equal(await page.getByRole('button', { name }).count(), 0, name);
  const viewerApi = await apiSession(system.origin, viewer);
  assert.equal((await viewerApi('POST', `/policies/${policy.id}/launch`)).status, 403);
  assert.equal((await viewerApi('PATCH', `/policies/${policy.id}`, { name: 'x' })).status, 403);
  assert.equal((await jobsOf(policy.id)).length, 0);
  assert.deepEqual(errors, []);
  await context.close();
});
