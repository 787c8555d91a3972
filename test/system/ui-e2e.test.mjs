/**
 * The whole product through the browser, as a new user meets it: real chromium, the real
 * Worker (wrangler dev, D1, Durable Objects), a real sshd on 127.0.0.1, the relay as its
 * own process, Debian's borg. Setup → relay (paired with the command the page shows) →
 * client → repository → schedule → policy, all through the forms → launch (confirmed) →
 * the job page shows output lines arriving while the job runs → successful, and the
 * archive is really in the repository.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startSshd } from '../../relay/ssh/test-sshd.ts';
import { relayCli } from './support/backup-world.mjs';
import { ADMIN, launchBrowser, openPage, screenshot } from './support/browser.mjs';
import { ROOT, startSystem } from './support/system.mjs';

const PORT = 8772;
const PASSPHRASE = "e2e pass $(touch /tmp/PWNED-e2e) 'q' ü";
let system;
let sshd;
let browser;
let relay;
let root;

before(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'borg-ui-e2e-'));
  system = await startSystem({ port: PORT });
  sshd = await startSshd({});
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (relay && relay.exitCode === null) {
    relay.kill('SIGKILL');
    await new Promise((r) => relay.once('exit', r));
  }
  await sshd?.stop();
  await system?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

test('setup, every object through the forms, launch, live output, success', async () => {
  const src = path.join(root, 'src');
  mkdirSync(path.join(src, 'etc'), { recursive: true });
  for (let i = 0; i < 400; i++) writeFileSync(path.join(src, 'etc', `file-${i}.conf`), `setting ${i}\n`.repeat(50));
  const repoPath = path.join(root, 'repos', 'main');
  const configDir = path.join(root, 'relay-config');

  const { page, errors, context } = await openPage(browser, system.origin);

  // First run: the link npm start prints.
  await page.goto(`/setup#token=${encodeURIComponent(system.setupToken)}`);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create admin' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();

  // A relay, paired with the command the page shows (run for real), then started.
  await page.getByRole('link', { name: 'Relays' }).click();
  await page.getByRole('link', { name: 'New relay' }).click();
  await page.getByLabel('Name').fill('lan');
  await page.getByRole('button', { name: 'Create relay' }).click();
  const command = await page.locator('pre[data-copy="pairing-command"]').textContent();
  const token = /--token[ =]'?([^'\s]+)/.exec(command)?.[1];
  assert.ok(token, `a token in the pairing command: ${command}`);
  await screenshot(page, 'e2e-relay-pairing');
  const paired = relayCli(configDir, ['pair', '--url', system.origin, '--token', token]);
  assert.equal(paired.status, 0, paired.stderr);
  const publicKey = /^ssh-ed25519 \S+ \S+$/m.exec(paired.stdout)[0];
  appendFileSync(path.join(sshd.dir, 'authorized_keys'), `${publicKey}\n`);
  const env = { ...process.env, RELAY_CONFIG_DIR: configDir, BORG_BASE_DIR: path.join(root, 'borg-base') };
  delete env.BORG_PASSPHRASE;
  relay = spawn(process.execPath, ['--import', 'tsx', 'relay/cli.ts', 'run'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const relayLog = path.join(root, 'relay.log');
  for (const s of [relay.stdout, relay.stderr]) s.on('data', (c) => appendFileSync(relayLog, c));
  // The relays list (it refreshes itself) shows it connected.
  await page.getByRole('link', { name: 'Relays' }).click();
  await page.locator('tr', { hasText: 'lan' }).locator('.badge', { hasText: /^connected$/ }).waitFor({ timeout: 45_000 });

  // A client: a bad port first, its reason beside the field, nothing created.
  await page.getByRole('link', { name: 'Clients' }).click();
  await page.getByRole('link', { name: 'New client' }).click();
  await page.getByLabel('Hostname').fill('127.0.0.1');
  await page.getByLabel('Port').fill('70000');
  await page.getByLabel('SSH user').fill(sshd.user);
  await page.getByLabel('Relay').selectOption({ label: 'lan' });
  await page.getByRole('button', { name: 'Add client' }).click();
  await page.locator('[data-field="port"]').waitFor();
  assert.match(await page.locator('[data-field="port"]').textContent(), /65535/);
  await screenshot(page, 'e2e-client-error');
  await page.getByLabel('Port').fill(String(sshd.port));
  await page.getByRole('button', { name: 'Add client' }).click();
  await page.getByRole('heading', { name: 'Client 127.0.0.1' }).waitFor();

  // A repository with a passphrase (sealed in the browser).
  await page.getByRole('link', { name: 'Repositories' }).click();
  await page.getByRole('link', { name: 'New repository' }).click();
  await page.getByLabel('Name', { exact: true }).fill('main');
  await page.getByLabel('Path').fill(repoPath);
  await page.getByLabel('Relay').selectOption({ label: 'lan' });
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Repeat passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Add repository' }).click();
  await page.getByRole('heading', { name: 'Repository main' }).waitFor();

  // A schedule: the preview describes it before it is saved.
  await page.getByRole('link', { name: 'Schedules' }).click();
  await page.getByRole('link', { name: 'New schedule' }).click();
  await page.getByLabel('Name').fill('nightly');
  await page.getByLabel('Crontab').fill('30 2 * * *');
  await page.getByLabel('Timezone').fill('UTC');
  await page.getByText('At 02:30').first().waitFor();
  await page.getByRole('button', { name: 'Create schedule' }).click();
  await page.waitForURL(/\/schedules$/);

  // A folders policy of that client.
  await page.getByRole('link', { name: 'Policies' }).click();
  await page.getByRole('link', { name: 'New policy' }).click();
  await page.getByLabel('Name', { exact: true }).fill('etc of the test host');
  await page.getByLabel('Type').selectOption('folders');
  await selectByText(page.getByLabel('Schedule'), 'nightly');
  await selectByText(page.getByLabel('Repository'), 'main');
  await page.getByRole('checkbox', { name: /127\.0\.0\.1/ }).check();
  await page.getByLabel('Folders').fill(path.join(src, 'etc'));
  await page.getByRole('button', { name: 'Create policy' }).click();
  await page.getByRole('button', { name: 'Launch now' }).waitFor();
  await screenshot(page, 'e2e-policy');

  // Launch: confirmed first, then the backup job's page.
  await page.getByRole('button', { name: 'Launch now' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Launch' }).click();
  await page.getByRole('link', { name: /Open backup job/ }).click();
  await page.waitForURL(/\/jobs\/\d+$/);
  const jobId = Number(/\/jobs\/(\d+)$/.exec(page.url())[1]);

  // Output arrives while the job runs: seen at least twice with more lines each time.
  const seen = [];
  await expectEventually(async () => {
    const status = await page.locator('[data-status]').first().getAttribute('data-status');
    const lines = await page.locator('[data-line]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-line'))));
    if (status === 'running' && lines.length) seen.push(Math.max(...lines));
    return ['successful', 'failed', 'error', 'canceled', 'lost'].includes(status);
  }, `job ${jobId} to end`, 180_000, 200);
  await screenshot(page, 'e2e-job-done');
  assert.equal(await page.locator('[data-status]').first().getAttribute('data-status'), 'successful', readFileSync(relayLog, 'utf8').slice(-2000));
  console.log(`lines shown while running, sampled every 200 ms: ${seen.join(', ')}`);
  assert.ok(seen.length >= 1, 'lines were shown while the job was running');
  const finalLines = await page.locator('[data-line]').count();
  assert.ok(finalLines > 0, 'the finished job shows its output');

  // The archive is in the repository, with the files.
  const list = execFileSync('borg', ['list', '--short', repoPath], { env: { ...process.env, BORG_PASSPHRASE: PASSPHRASE, BORG_BASE_DIR: path.join(root, 'checker') } }).toString().trim().split('\n');
  assert.equal(list.length, 1, `one archive: ${list}`);
  const files = execFileSync('borg', ['list', '--short', `${repoPath}::${list[0]}`], { env: { ...process.env, BORG_PASSPHRASE: PASSPHRASE, BORG_BASE_DIR: path.join(root, 'checker') }, maxBuffer: 64 << 20 }).toString();
  assert.ok(files.includes('file-399.conf'));
  assert.ok(!readFileSync(relayLog, 'utf8').includes(PASSPHRASE), 'the passphrase is not in the relay log');
  assert.deepEqual(errors, []);
  await context.close();
});

/** Chooses the option whose text contains `text` (option labels carry extra detail). */
async function selectByText(select, text) {
  await select.locator('option', { hasText: text }).first().waitFor({ state: 'attached' });
  const value = await select.locator('option', { hasText: text }).first().getAttribute('value');
  await select.selectOption(value);
}

async function expectEventually(check, what, timeoutMs = 60_000, everyMs = 500) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
