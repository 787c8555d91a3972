/**
 * A real browser for the UI tests: Debian's chromium driven by playwright-core
 * (no downloaded browser). Screenshots go to test-results/screenshots/ (ignored by git)
 * for review.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, sessionCaller } from './system.mjs';

export const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots');
export const ADMIN = { email: 'admin@example.com', password: 'system test password' };

/** Chromium with the switches that work on these machines (docs: ../shared/reference/toolchain.md). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/**
 * A fresh context and page on `origin`. `errors` collects uncaught page errors and
 * console errors, so a test can assert the UI did not throw. Failed API calls a test
 * provokes on purpose (a 400 or 409) are logged by chromium as console errors
 * ("Failed to load resource"); those are left out.
 */
export async function openPage(browser, origin, { viewport = { width: 1280, height: 900 }, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ baseURL: origin, viewport, colorScheme });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return { context, page, errors };
}

/** Signs in through the login form. */
export async function signIn(page, { email, password } = ADMIN) {
  await page.goto('/');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Not the navigation: at phone width it is folded behind the Menu button.
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Creates a user through the API (admin session `api`), for role tests. */
export async function createUser(api, role, email = `${role}@example.com`, password = `${role} test password`) {
  const r = await api('POST', '/users', { email, password, role, name: `${role} user` });
  if (r.status !== 201) throw new Error(`POST /users: ${r.status} ${JSON.stringify(r.body)}`);
  return { email, password, id: r.body.id };
}

/** An API caller with a session of an existing user (like firstAdmin's, for later sign-ins). */
export async function apiSession(origin, { email, password } = ADMIN) {
  const res = await fetch(`${origin}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  return sessionCaller(origin, /__Host-session=[^;]+/.exec(res.headers.get('set-cookie'))[0]);
}
