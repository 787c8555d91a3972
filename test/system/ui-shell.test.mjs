/**
 * The UI's shell in a real browser against the real Worker: first-run setup through the
 * form, sign-out and sign-in, navigation by role, the SPA fallback for deep links,
 * theme choice, and phone width.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSystem } from './support/system.mjs';
import { ADMIN, apiSession, createUser, launchBrowser, openPage, screenshot, signIn } from './support/browser.mjs';

const PORT = 8774;
let system;
let browser;

before(async () => {
  system = await startSystem({ port: PORT });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await system?.stop();
});

test('first-run setup creates the admin through the form, then sign-out and sign-in work', async () => {
  const { page, errors, context } = await openPage(browser, system.origin);
  await page.goto(`/#token=${encodeURIComponent(system.setupToken)}`);
  await page.getByRole('heading', { name: 'Create the first admin' }).waitFor();
  assert.equal(await page.getByLabel('Setup token').inputValue(), system.setupToken);
  // A short password is refused by the API; the reason is shown beside the field.
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create admin' }).click();
  const pwError = page.locator('[data-field="password"]');
  await pwError.waitFor();
  assert.match(await pwError.textContent(), /10/);
  assert.equal(await page.getByLabel('Password').getAttribute('aria-invalid'), 'true');
  await screenshot(page, 'setup-error');
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create admin' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  assert.ok(await page.getByRole('link', { name: 'Users' }).isVisible(), 'an admin sees Users');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  // A wrong password says so, without leaving the page.
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();
  await signIn(page);
  assert.deepEqual(errors, []);
  await context.close();
});

test('deep links load through the SPA fallback; a viewer sees no admin pages', async () => {
  const adminApi = await apiSession(system.origin);
  const viewer = await createUser(adminApi, 'viewer');
  const { page, errors, context } = await openPage(browser, system.origin);
  await signIn(page, viewer);
  assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0, 'a viewer has no Users link');
  assert.equal(await page.getByRole('link', { name: 'Settings' }).count(), 0);
  await page.goto('/clients');
  assert.equal(await page.evaluate(() => location.pathname), '/clients');
  assert.equal(await page.locator('#main-nav a[aria-current="page"]').textContent(), 'Clients');
  await page.goto('/no/such/page');
  await page.getByRole('heading', { name: 'Not found' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('theme and phone width', async () => {
  const { page, context } = await openPage(browser, system.origin, { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  await signIn(page);
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(13, 17, 23)', 'dark by the system preference');
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Clients' }).click();
  assert.equal(await page.evaluate(() => location.pathname), '/clients');
  await page.getByLabel('Theme').selectOption('light');
  assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(246, 247, 249)');
  await page.reload();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light', 'the choice is remembered');
  // Nothing overflows sideways at phone width.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));
  await screenshot(page, 'phone-clients');
  await context.close();
});

test('keyboard: skip link, visible focus, navigation and forms without a mouse', async () => {
  const { page, errors, context } = await openPage(browser, system.origin);
  // Sign in with the keyboard only: type, Tab, type, Enter.
  await page.goto('/');
  await page.getByLabel('Email').focus();
  await page.keyboard.type(ADMIN.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(ADMIN.password);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();

  // The first Tab reaches the skip link, shown while focused, with a visible outline.
  await page.keyboard.press('Tab');
  const skip = await page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return { text: el.textContent, left: el.getBoundingClientRect().left, outline: style.outlineStyle, width: style.outlineWidth };
  });
  assert.equal(skip.text, 'Skip to content');
  assert.ok(skip.left >= 0, 'on screen when focused');
  assert.notEqual(skip.outline, 'none');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main', 'focus moves to the content');

  // From the top of the page, Tab through the navigation to Clients and open it with Enter.
  await page.reload();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  let guard = 0;
  while ((await page.evaluate(() => document.activeElement?.textContent)) !== 'Clients' && guard++ < 30) await page.keyboard.press('Tab');
  const focusRing = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(focusRing, 'none', 'a focused link shows its focus');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/clients$/);
  // The page's code loads on demand; focus moves once it is shown.
  await page.getByRole('heading', { name: 'Clients', level: 1 }).waitFor();
  await page.waitForFunction(() => document.activeElement?.id === 'main', null, { timeout: 5000 }).catch(() => undefined);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main', 'after navigation focus is on the new content');
  assert.deepEqual(errors, []);
  await context.close();
});
