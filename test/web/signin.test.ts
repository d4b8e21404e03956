import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { TestBed } from '../helpers/harness.js';
import {
  chromiumMissing,
  launchBrowser,
  needsBrowser,
  openPage,
  signedInAs,
  startUp,
  type Up,
} from './support.js';

// Rooms protected with a PIN (`roomfiles up --pin 1234`): the page asks for it, and says clearly when it is wrong.

const bed = new TestBed();
const missing = chromiumMissing();
let browser: Browser;
let up: Up;

before(async () => {
  if (missing) return;
  browser = await launchBrowser(bed);
  up = await startUp(bed, { pin: '1234' });
});
after(() => bed.close());

async function signIn(page: Page, secret: string): Promise<void> {
  await page.getByLabel('PIN or password').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('a wrong PIN shows a clear error; the right one signs in, survives a reload, and signs out', async (t) => {
  if (!needsBrowser(t, missing)) return;
  const { page, errors } = await openPage(browser, up.rooms.alice.web);
  await page.getByRole('heading', { name: 'Sign in to this room' }).waitFor();
  await signIn(page, '9999');
  const alert = page.getByRole('alert');
  await alert.getByText('Wrong PIN or password. Check it and try again.').waitFor();
  assert.equal(await page.getByLabel('PIN or password').getAttribute('aria-invalid'), 'true');

  await signIn(page, '1234');
  await signedInAs(page, 'Alice');
  await page.reload();
  await signedInAs(page, 'Alice');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You signed out.').waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in to this room' }).waitFor();
  // Errors the page logged are the refused sign-ins only (the browser logs nothing else).
  assert.deepEqual(
    errors.filter((e) => !/WebSocket|401/.test(e)),
    [],
  );
});

test('repeated wrong PINs end in a clear "wait a minute"', async (t) => {
  if (!needsBrowser(t, missing)) return;
  const { page } = await openPage(browser, up.rooms.bob.web);
  await page.getByRole('heading', { name: 'Sign in to this room' }).waitFor();
  const tooMany = page
    .getByRole('alert')
    .getByText(/Too many wrong attempts from this computer\. Wait a minute/);
  for (let attempt = 0; attempt < 8 && !(await tooMany.isVisible()); attempt += 1) {
    await signIn(page, `000${attempt}`);
    await page.getByRole('alert').waitFor();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  }
  await tooMany.waitFor();
});

test('the admin logs the room out, fails a login in words, logs in, and reconnects it to a server', async (t) => {
  if (!needsBrowser(t, missing)) return;
  const passwords = JSON.parse(readFileSync(join(up.data, 'up-accounts.json'), 'utf8')) as Record<
    string,
    string
  >;
  const { page } = await openPage(browser, up.rooms.alice.web);
  await signIn(page, '1234');
  await signedInAs(page, 'Alice');
  const card = page.locator('#server');
  const status = page.getByRole('status', { name: 'Room status' });

  await card.getByRole('button', { name: 'Log out' }).click();
  await page.locator('.identity-none', { hasText: 'Not logged in' }).waitFor();
  await status.getByText('Not logged in', { exact: true }).waitFor();
  assert.equal(await page.locator('#send').getByRole('button', { name: /^Send/ }).isDisabled(), true);

  const login = card.getByRole('form', { name: 'Log in' });
  await login.getByLabel('TrueConf ID').fill('alice');
  await login.getByLabel('Password').fill('not the password');
  await login.getByRole('button', { name: 'Log in' }).click();
  await login.getByRole('alert').getByText('Wrong TrueConf ID or password').waitFor();
  await login.getByLabel('Password').fill(passwords.alice);
  await login.getByRole('button', { name: 'Log in' }).click();
  await signedInAs(page, 'Alice');
  await status.getByText('Available', { exact: true }).waitFor();

  // Another server that does not answer, then back to the hub: the room needs a login there again.
  const connect = card.getByRole('form', { name: 'Connect to a server' });
  await card.getByText('Connect to another server').click();
  await connect.getByLabel('Server address').fill('127.0.0.1');
  await connect.getByLabel('Port').fill('1');
  await connect.getByRole('button', { name: 'Connect' }).click();
  await status.getByText(/127\.0\.0\.1:1 \((disconnected|connecting)\)/).waitFor();
  await connect.getByLabel('Server address').fill(`127.0.0.1:${up.hubPort}`);
  await connect.getByLabel('Port').fill('');
  await connect.getByRole('button', { name: 'Connect' }).click();
  await status.getByText(`127.0.0.1:${up.hubPort}`, { exact: true }).waitFor();
  await login.getByLabel('TrueConf ID').fill('alice@files.local');
  await login.getByLabel('Password').fill(passwords.alice);
  await login.getByRole('button', { name: 'Log in' }).click();
  await signedInAs(page, 'Alice');
});
