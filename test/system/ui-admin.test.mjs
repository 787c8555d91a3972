/**
 * The admin and account pages in a real browser against the real Worker: the schedule
 * editor's live preview (as you type, a bad crontab's reason beside the field), schedule
 * save/toggle/delete (409 as a notice), users (create, a bad email, no silent self
 * lock-out), typed settings (saved value, out-of-range reason, write-only secret),
 * profile (wrong current password, name in the header, notifications), API tokens
 * (shown once, working, revoked), and what a viewer may not do.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { firstAdmin, startSystem } from './support/system.mjs';
import { ADMIN, apiSession, createUser, launchBrowser, openPage, screenshot, signIn } from './support/browser.mjs';

const PORT = 8778;
let system;
let browser;
let api;

before(async () => {
  system = await startSystem({ port: PORT });
  api = await firstAdmin(system.origin, system.setupToken);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await system?.stop();
});

const fieldError = (page, name) => page.locator(`[data-field="${name}"]`);

test('schedule form: preview as you type, a bad crontab beside its field, save, toggle, delete', async () => {
  const { page, errors, context } = await openPage(browser, system.origin);
  await signIn(page);
  const previews = [];
  page.on('request', (r) => r.url().includes('/api/v1/schedules/preview') && previews.push(r.url()));

  await page.goto('/schedules');
  await page.getByRole('link', { name: 'New schedule' }).click();
  await page.getByRole('heading', { name: 'New schedule' }).waitFor();
  // The timezone defaults to the browser's and offers the browser's IANA list.
  const browserZone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
  assert.equal(await page.getByLabel('Timezone').inputValue(), browserZone);
  assert.equal(await page.locator('#timezone-list option[value="Europe/Paris"]').count(), 1);

  await page.getByLabel('Name').fill('nightly-paris');
  await page.getByLabel('Timezone').fill('Europe/Paris');
  await page.getByLabel('Crontab').pressSequentially('0 2 * * *', { delay: 40 });
  const description = page.getByTestId('schedule-description');
  await page.waitForFunction(() => document.querySelector('[data-testid="schedule-description"]')?.textContent?.includes('02:00'));
  assert.match(await description.textContent(), /At 02:00/);
  const rows = page.locator('table.runs tbody tr');
  await rows.nth(4).waitFor();
  assert.equal(await rows.count(), 5);
  for (let i = 0; i < 5; i++) {
    const text = await rows.nth(i).textContent();
    assert.match(text, /02:00/, `run ${i + 1} at 02:00 Paris time: ${text}`);
    assert.match(text, /UTC\+0[12]:00/, 'with its offset');
    assert.match(text, /0[01]:00 UTC/, 'and in UTC');
  }
  // Debounced: fewer requests than keystrokes (printed, not asserted: it depends on timing).
  console.log(`# preview requests while typing 9 characters: ${previews.length}`);
  assert.equal(await fieldError(page, 'crontab').count(), 0);

  // A bad crontab: the preview's reason beside the field, nothing submitted.
  const before = previews.length;
  await page.getByLabel('Crontab').fill('61 * * * *');
  await fieldError(page, 'crontab').waitFor();
  assert.ok((await fieldError(page, 'crontab').textContent()).trim().length > 0);
  assert.equal(await page.getByLabel('Crontab').getAttribute('aria-invalid'), 'true');
  assert.equal(await rows.count(), 0, 'no runs for an invalid crontab');
  assert.ok(previews.length > before);
  // Saving it anyway is refused by the API, beside the same field; nothing is stored.
  await page.getByRole('button', { name: 'Create schedule' }).click();
  await fieldError(page, 'crontab').waitFor();
  assert.equal(new URL(page.url()).pathname, '/schedules/new');
  assert.equal((await api('GET', '/schedules?search=nightly-paris')).body.count, 0);
  // A bad timezone is named beside the timezone field.
  await page.getByLabel('Crontab').fill('0 2 * * *');
  await page.getByLabel('Timezone').fill('Europe/Nowhere');
  await fieldError(page, 'timezone').waitFor();
  assert.equal(await fieldError(page, 'crontab').count(), 0);
  await page.getByLabel('Timezone').fill('Europe/Paris');

  // A preset fills the crontab; the preview follows.
  await page.getByRole('button', { name: 'Weekdays at 02:30' }).click();
  assert.equal(await page.getByLabel('Crontab').inputValue(), '30 2 * * 1-5');
  await page.waitForFunction(() => /Monday through Friday/.test(document.querySelector('[data-testid="schedule-description"]')?.textContent ?? ''));
  await page.getByLabel('Crontab').fill('0 2 * * *');
  await page.waitForFunction(() => document.querySelector('[data-testid="schedule-description"]')?.textContent === 'At 02:00');
  await rows.nth(4).waitFor();
  assert.equal(await page.locator('main .form-error').count(), 0, "the refused save's message goes once the crontab is valid");
  await screenshot(page, 'schedule-form-preview');

  await page.getByRole('button', { name: 'Create schedule' }).click();
  await page.waitForURL('**/schedules');
  const row = page.getByRole('row').filter({ hasText: 'nightly-paris' });
  await row.waitFor();
  assert.match(await row.textContent(), /At 02:00/);
  assert.match(await row.textContent(), /Europe\/Paris/);
  const stored = (await api('GET', '/schedules?search=nightly-paris')).body.results;
  assert.equal(stored.length, 1);
  assert.deepEqual([stored[0].crontab, stored[0].timezone, stored[0].enabled], ['0 2 * * *', 'Europe/Paris', true]);

  // The admin's enabled switch and the enabled filter.
  await page.getByRole('switch', { name: 'Enabled: Schedule nightly-paris' }).click();
  await page.waitForFunction(async (id) => (await (await fetch(`/api/v1/schedules/${id}`)).json()).enabled === false, stored[0].id);
  await page.locator('.list-tools').getByLabel('Enabled').selectOption('true');
  await page.waitForFunction(() => !document.querySelector('tbody')?.textContent?.includes('nightly-paris'));
  await page.locator('.list-tools').getByLabel('Enabled').selectOption('false');
  await row.waitFor();
  await page.locator('.list-tools').getByLabel('Enabled').selectOption('');
  await screenshot(page, 'schedules');

  // Delete: refused (409) while a policy uses it, shown as a notice; allowed once it is free.
  const repo = await api('POST', '/repositories', { name: 'ui-admin-repo', path: '/srv/borg/ui-admin', encryption: 'none' });
  assert.equal(repo.status, 201, JSON.stringify(repo.body));
  const policy = await api('POST', '/policies', { name: 'uses-paris', type: 'folders', schedule: stored[0].id, repository: repo.body.id, options: { folders: ['/etc'] } });
  assert.equal(policy.status, 201, JSON.stringify(policy.body));
  await row.getByRole('link', { name: 'nightly-paris' }).click();
  await page.getByRole('heading', { name: 'Schedule nightly-paris' }).waitFor();
  assert.equal(await page.getByLabel('Crontab').inputValue(), '0 2 * * *');
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  const notice = page.locator('.notice[data-kind="error"]');
  await notice.waitFor();
  assert.match(await notice.textContent(), /used by policies: uses-paris/);
  assert.equal((await api('GET', `/schedules/${stored[0].id}`)).status, 200);
  assert.equal((await api('DELETE', `/policies/${policy.body.id}`)).status, 204);
  await page.getByRole('button', { name: 'Delete', exact: true }).first().click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await page.waitForURL('**/schedules');
  assert.equal((await api('GET', `/schedules/${stored[0].id}`)).status, 404);

  assert.deepEqual(errors, []);
  await context.close();
});

test('the schedule form and its preview fit a phone', async () => {
  const { page, errors, context } = await openPage(browser, system.origin, { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  await signIn(page);
  await page.goto('/schedules/new');
  await page.getByLabel('Crontab').fill('*/15 * * * 1-5');
  await page.locator('table.runs tbody tr').nth(4).waitFor();
  assert.match(await page.getByTestId('schedule-description').textContent(), /Every 15 minutes, Monday through Friday/);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'nothing overflows sideways');
  await screenshot(page, 'schedule-form-phone');
  assert.deepEqual(errors, []);
  await context.close();
});

test('users: create an operator through the form; a bad email is named beside Email; no silent self lock-out', async () => {
  const { page, errors, context } = await openPage(browser, system.origin);
  await signIn(page);
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('link', { name: 'New user' }).click();
  await page.getByRole('heading', { name: 'New user' }).waitFor();
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Name', { exact: true }).fill('Olga Operator');
  await page.getByLabel('Role').selectOption('operator');
  await page.getByLabel('Password', { exact: true }).fill('operator password 1');
  await page.getByLabel('A backup succeeded').check();
  await page.getByRole('button', { name: 'Create user' }).click();
  await fieldError(page, 'email').waitFor();
  assert.match(await fieldError(page, 'email').textContent(), /email/i);
  assert.equal(await page.getByLabel('Email').getAttribute('aria-invalid'), 'true');
  assert.equal((await api('GET', '/users?search=olga')).body.count, 0);

  await page.getByLabel('Email').fill('olga@example.com');
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.waitForURL('**/users');
  await page.getByRole('row').filter({ hasText: 'olga@example.com' }).waitFor();
  const [olga] = (await api('GET', '/users?search=olga')).body.results;
  assert.deepEqual([olga.email, olga.name, olga.role, olga.active, olga.notifications.backup_succeeded], ['olga@example.com', 'Olga Operator', 'operator', true, true]);
  assert.equal((await fetch(`${system.origin}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'olga@example.com', password: 'operator password 1' }) })).status, 200);

  // Role filter.
  await page.getByLabel('Role').selectOption('operator');
  await page.waitForFunction(() => !document.querySelector('tbody')?.textContent?.includes('admin@example.com'));
  assert.equal(await page.getByRole('row').filter({ hasText: 'olga@example.com' }).count(), 1);
  await screenshot(page, 'users');
  await page.getByLabel('Role').selectOption('');

  // The only admin demoting themselves: asked first, then the API's refusal is shown.
  await page.getByRole('row').filter({ hasText: ADMIN.email }).getByRole('link', { name: ADMIN.email }).click();
  await page.getByRole('heading', { name: `User ${ADMIN.email}` }).waitFor();
  await page.getByLabel('Role').selectOption('viewer');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Change my role' }).click();
  const alert = page.locator('.form-error[role="alert"]');
  await alert.waitFor();
  assert.match(await alert.textContent(), /last active admin/);
  assert.equal((await api('GET', '/me')).body.role, 'admin');

  assert.deepEqual(errors, []);
  await context.close();
});

test('settings: a numeric setting saved, an out-of-range value named beside it, a secret is write-only', async () => {
  const { page, errors, context } = await openPage(browser, system.origin);
  await signIn(page);
  await page.goto('/settings');
  const overdue = page.getByLabel('Overdue after (hours)');
  await overdue.waitFor();
  assert.equal(await overdue.inputValue(), '26');
  await overdue.fill('48');
  await page.getByRole('button', { name: 'Save jobs settings' }).click();
  await page.locator('.notice[data-kind="success"]').filter({ hasText: 'Overdue after' }).waitFor();
  assert.equal((await api('GET', '/settings/overdue_hours')).body.value, 48);

  await overdue.fill('0');
  await page.getByLabel('Prune automatically').uncheck();
  await page.getByRole('button', { name: 'Save jobs settings' }).click();
  await fieldError(page, 'overdue_hours').waitFor();
  assert.match(await fieldError(page, 'overdue_hours').textContent(), /Must be 1 to/);
  assert.equal(await overdue.getAttribute('aria-invalid'), 'true');
  assert.equal(await overdue.inputValue(), '0', 'the refused value stays for correction');
  assert.equal((await api('GET', '/settings/overdue_hours')).body.value, 48);
  assert.equal((await api('GET', '/settings/auto_prune')).body.value, false, 'the other change of the group is saved');

  // The SMTP password: write-only, "not set" → "set", never shown back.
  const mail = page.getByRole('form', { name: 'Mail' });
  assert.match(await mail.textContent(), /not set/);
  await page.getByLabel('SMTP password').fill('smtp secret value');
  await page.getByRole('button', { name: 'Save mail settings' }).click();
  await page.getByRole('button', { name: 'Remove SMTP password' }).waitFor();
  const secret = (await api('GET', '/settings/mail_password')).body;
  assert.deepEqual([secret.has_value, secret.value], [true, null]);
  assert.equal(await page.getByLabel('SMTP password').inputValue(), '');
  await screenshot(page, 'settings');

  assert.deepEqual(errors, []);
  await context.close();
});

test('profile: wrong current password beside it, name shown in the header, notifications saved', async () => {
  const { page, errors, context } = await openPage(browser, system.origin);
  await signIn(page);
  await page.getByRole('link', { name: ADMIN.email }).click();
  await page.getByRole('heading', { name: 'Profile' }).waitFor();
  assert.match(await page.locator('dl.meta').textContent(), /admin@example\.com.*admin/s);

  await page.getByLabel('Current password').fill('not my password');
  await page.getByLabel('New password', { exact: true }).fill('a brand new password');
  await page.getByLabel('Repeat the new password').fill('a brand new password');
  await page.getByRole('button', { name: 'Change password' }).click();
  await fieldError(page, 'current_password').waitFor();
  assert.match(await fieldError(page, 'current_password').textContent(), /Wrong current password/);
  // Still the old password (the API refused the change).
  await apiSession(system.origin);

  await page.getByLabel('Name', { exact: true }).fill('Ada Admin');
  await page.getByLabel('Daily report').check();
  await page.getByRole('button', { name: 'Save profile' }).click();
  await page.locator('header.top .account').getByRole('link', { name: 'Ada Admin' }).waitFor();
  const me = (await api('GET', '/me')).body;
  assert.deepEqual([me.name, me.notifications.daily_report, me.notifications.backup_failed], ['Ada Admin', true, true]);
  await screenshot(page, 'profile');

  await page.getByRole('main').getByRole('link', { name: 'API tokens' }).first().click();
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('API tokens: shown once with a copy button, it works, gone after a reload, revoked → 401', async () => {
  const { page, errors, context } = await openPage(browser, system.origin);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: system.origin });
  await signIn(page);
  await page.goto('/tokens');
  await page.getByLabel('Token name').fill('nightly script');
  await page.getByLabel('Scope').selectOption('write');
  await page.getByLabel('Expires in (days)').fill('400');
  await page.getByRole('button', { name: 'Create token' }).click();
  await fieldError(page, 'expires_in_days').waitFor();
  assert.match(await fieldError(page, 'expires_in_days').textContent(), /366/);
  await page.getByLabel('Expires in (days)').fill('30');
  await page.getByRole('button', { name: 'Create token' }).click();
  const shown = page.getByTestId('new-token');
  await shown.waitFor();
  const token = (await shown.textContent()).trim();
  assert.match(token, /^bo_/);
  await page.getByRole('button', { name: 'Copy token' }).click();
  await page.locator('button.copy', { hasText: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
  await screenshot(page, 'tokens-new');

  const me = () => fetch(`${system.origin}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal((await me()).status, 200, 'the token works');
  const row = page.getByRole('row').filter({ hasText: 'nightly script' });
  await row.waitFor();
  assert.ok(token.startsWith((await row.locator('code').textContent()).replace('…', '')), 'the list shows its prefix');
  assert.match(await row.textContent(), /write/);

  await page.reload();
  await row.waitFor();
  assert.equal(await page.getByTestId('new-token').count(), 0, 'not shown after a reload');
  assert.ok(!(await page.locator('main').textContent()).includes(token));

  await row.getByRole('button', { name: 'Revoke nightly script' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
  await row.getByText('revoked').waitFor();
  assert.equal(await row.getByRole('button', { name: /Revoke/ }).count(), 0);
  assert.equal((await me()).status, 401, 'a revoked token is refused');

  assert.deepEqual(errors, []);
  await context.close();
});

test('a viewer sees no edit controls on schedules, no Users/Settings, and the API refuses their writes', async () => {
  const sched = await api('POST', '/schedules', { name: 'viewer-visible', crontab: '30 3 * * *', timezone: 'UTC' });
  assert.equal(sched.status, 201);
  const viewer = await createUser(api, 'viewer');
  const { page, errors, context } = await openPage(browser, system.origin);
  await signIn(page, viewer);
  assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Settings' }).count(), 0);
  await page.getByRole('link', { name: 'Schedules' }).click();
  const row = page.getByRole('row').filter({ hasText: 'viewer-visible' });
  await row.waitFor();
  assert.match(await row.textContent(), /At 03:30/);
  assert.equal(await page.getByRole('link', { name: 'New schedule' }).count(), 0);
  assert.equal(await page.getByRole('switch').count(), 0);
  await row.getByRole('link', { name: 'viewer-visible' }).click();
  await page.getByRole('heading', { name: 'Schedule viewer-visible' }).waitFor();
  assert.equal(await page.locator('main input, main select, main textarea').count(), 0);
  assert.equal(await page.getByRole('main').getByRole('button').count(), 0);
  assert.match(await page.locator('main').textContent(), /At 03:30/);

  const viewerApi = await apiSession(system.origin, viewer);
  assert.equal((await viewerApi('POST', '/schedules', { name: 'nope', crontab: '@daily' })).status, 403);
  assert.equal((await viewerApi('PATCH', `/schedules/${sched.body.id}`, { enabled: false })).status, 403);
  assert.equal((await viewerApi('PATCH', '/settings/overdue_hours', { value: 5 })).status, 403);
  // Their own profile and tokens are theirs to use.
  await page.goto('/tokens');
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});
