import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { CliProcess, freePort } from '../helpers/child.js';
import { corruptTail } from '../helpers/cluster.js';
import { TestBed } from '../helpers/harness.js';
import {
  MiB,
  addAccount,
  chromiumMissing,
  item,
  launchBrowser,
  needsBrowser,
  openPage,
  pickFiles,
  sendTo,
  signedInAs,
  startRoom,
  startUp,
  stopWithBed,
  type OpenPage,
  type Up,
} from './support.js';

// Details of the web interface: a room protected by a password, an offer that expires, the speed of a running
// transfer, times in the viewer's locale, and the keyboard alone. Alice and Bob are `roomfiles up`; Carol is a
// room process of her own on the same hub (with --room-password and --max-rate); the expiry test has a hub of its
// own whose offers live one second.

const bed = new TestBed();
const missing = chromiumMissing();
let browser: Browser;
let up: Up;
let alice: OpenPage;
let bob: OpenPage;
let carolWeb: string;
let carolData: string;

const CAROL_PASSWORD = 'correct horse battery staple';
const ACCOUNT_PASSWORD = 'details-account-password-1';

before(async () => {
  if (missing) return;
  browser = await launchBrowser(bed);
  up = await startUp(bed, {
    accounts: [
      {
        name: 'carol',
        displayName: 'Carol',
        extra: ['--room-password', CAROL_PASSWORD, '--max-rate', '2MiB'],
      },
    ],
  });
  carolWeb = up.rooms.carol.web;
  carolData = join(up.data, 'carol');
  alice = await openPage(browser, up.rooms.alice.web);
  bob = await openPage(browser, up.rooms.bob.web);
  await Promise.all([signedInAs(alice.page, 'Alice'), signedInAs(bob.page, 'Bob')]);
});
after(() => bed.close());

async function signIn(page: Page, secret: string): Promise<void> {
  await page.getByLabel('PIN or password').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** A page of Carol's password-protected room, signed in. */
async function carolSignedIn(): Promise<OpenPage> {
  const carol = await openPage(browser, carolWeb);
  await carol.page.getByRole('heading', { name: 'Sign in to this room' }).waitFor();
  await signIn(carol.page, CAROL_PASSWORD);
  await signedInAs(carol.page, 'Carol');
  return carol;
}

/** Presses Tab until `target` has the focus; fails if it never gets it. */
async function tabTo(page: Page, target: Locator, most = 60): Promise<number> {
  const focused = target.and(page.locator(':focus'));
  for (let presses = 1; presses <= most; presses += 1) {
    await page.keyboard.press('Tab');
    if ((await focused.count()) === 1) return presses;
  }
  assert.fail(`Tab never reached ${target} in ${most} presses`);
}

test('a room protected by a password: a wrong one is refused in words, the right one signs in', async (t) => {
  if (!needsBrowser(t, missing)) return;
  const { page, context, errors } = await openPage(browser, carolWeb);
  await page.getByRole('heading', { name: 'Sign in to this room' }).waitFor();
  await signIn(page, 'correct horse battery stapler');
  await page.getByRole('alert').getByText('Wrong PIN or password. Check it and try again.').waitFor();
  assert.equal(await page.getByLabel('PIN or password').getAttribute('aria-invalid'), 'true');

  await signIn(page, CAROL_PASSWORD);
  await signedInAs(page, 'Carol');
  await page.getByRole('status', { name: 'Room status' }).getByText('Available', { exact: true }).waitFor();
  assert.equal(await page.getByRole('alert').count(), 0, 'the error is gone once signed in');
  // The grant outlives a reload of the tab; signing out is offered, as for any protected room.
  await page.reload();
  await signedInAs(page, 'Carol');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  assert.deepEqual(
    errors.filter((e) => !/WebSocket|401/.test(e)),
    [],
  );
  await context.close();
});

test('an offer nobody accepts expires, and the sender’s page says so in words', async (t) => {
  if (!needsBrowser(t, missing)) return;
  // A hub whose offers live 1 s; it looks for expired offers when it starts and every 30 s after.
  const hubData = bed.dir('roomfiles-ttl-hub-');
  await addAccount(hubData, { name: 'dave', displayName: 'Dave' }, ACCOUNT_PASSWORD);
  await addAccount(hubData, { name: 'erin', displayName: 'Erin' }, ACCOUNT_PASSWORD);
  const hubPort = await freePort();
  const hub = new CliProcess([
    'hub',
    '--listen',
    `127.0.0.1:${hubPort}`,
    '--data',
    hubData,
    '--offer-ttl',
    '1s',
  ]);
  stopWithBed(bed, hub);
  await hub.waitForLine(/roomfiles hub listening/);
  // Erin's room is not running: the offer waits for her until it expires.
  const { web: daveWeb } = await startRoom(bed, {
    name: 'dave',
    data: bed.dir('roomfiles-dave-'),
    hubPort,
    domain: 'files.local',
    password: ACCOUNT_PASSWORD,
  });
  const dave = await openPage(browser, daveWeb);
  await signedInAs(dave.page, 'Dave');

  const name = 'expires soon.txt';
  await pickFiles(dave.page, [{ name, buffer: Buffer.from('nobody will take this\n') }]);
  await sendTo(dave.page, 'erin');
  const outgoing = item(dave.page, 'outgoing', name);
  await outgoing.getByText('waiting for Erin to accept').waitFor({ timeout: 30_000 });

  // In real time: within the hub's next look (at most 30 s away).
  await outgoing.getByText('Expired', { exact: true }).waitFor({ timeout: 60_000 });
  await outgoing.locator('.reason', { hasText: 'The offer expired before Erin accepted it' }).waitFor();
  await dave.page
    .locator('.notice', { hasText: `${name}: The offer expired before Erin accepted it` })
    .waitFor();

  // Another browser (nothing kept from the event) still reads why, from the room.
  const later = await openPage(browser, daveWeb);
  await signedInAs(later.page, 'Dave');
  const again = item(later.page, 'outgoing', name);
  await again.getByText('Expired', { exact: true }).waitFor();
  assert.equal(
    (await again.locator('.reason').textContent())?.trim(),
    'The offer expired before Erin accepted it',
  );
  assert.deepEqual(dave.errors, []);
  assert.deepEqual(later.errors, []);
  await later.context.close();
  await dave.context.close();
});

test('a running transfer’s progress bar shows its speed', async (t) => {
  if (!needsBrowser(t, missing)) return;
  // Carol's room sends at most 2 MiB/s to the hub: 8 MiB take about four seconds.
  const carol = await carolSignedIn();

  const name = 'slow and steady.bin';
  await pickFiles(carol.page, [{ name, buffer: randomBytes(8 * MiB) }]);
  await sendTo(carol.page, 'bob');
  const offer = item(bob.page, 'incoming', name);
  await offer.getByRole('button', { name: 'Accept' }).click();

  // While it runs (the bar is "Sending …" until the hub holds the whole file), it tells the speed.
  const outgoing = item(carol.page, 'outgoing', name);
  const speed = /\d[\d.,]* (B|KiB|MiB)\/s/;
  const sending = `[role=progressbar][aria-label="Sending ${name}"][aria-valuetext*="/s"]`;
  const bar = outgoing.locator(sending);
  await bar.waitFor({ timeout: 30_000 });
  const valueText = (await bar.getAttribute('aria-valuetext')) ?? '';
  assert.match(valueText, speed);
  assert.match(valueText, /^\d+ % · .* of 8 MiB$/);
  // The words next to the bar say the same, in the same look.
  await outgoing.locator('.progress-row', { has: carol.page.locator(sending), hasText: speed }).waitFor();

  await outgoing.getByText('Delivered', { exact: true }).waitFor({ timeout: 60_000 });
  await offer.getByText('Received').waitFor({ timeout: 60_000 });
  assert.equal(await outgoing.locator('.progress-text', { hasText: speed }).count(), 0);
  assert.deepEqual(carol.errors, []);
  await carol.context.close();
});

/** The room's stored copy of `body`: its files dir holds each body under its fileId (src/room/file-store.ts). */
async function storedCopy(roomData: string, body: Buffer): Promise<string> {
  const dir = join(roomData, 'files');
  const found: string[] = [];
  for (const name of await readdir(dir)) {
    if ((await readFile(join(dir, name))).equals(body)) found.push(join(dir, name));
  }
  assert.equal(found.length, 1, `one stored copy of the body in ${dir}`);
  return found[0];
}

test('a transfer whose body fails its checksum shows "failed" in words on the sender’s page', async (t) => {
  if (!needsBrowser(t, missing)) return;
  // Carol's room sends at most 2 MiB/s to the hub: the end of the 8 MiB file is read from disk seconds after
  // the upload starts.
  const carol = await carolSignedIn();

  const name = 'damaged on the way.bin';
  const body = randomBytes(8 * MiB);
  await pickFiles(carol.page, [{ name, buffer: body }]);
  await sendTo(carol.page, 'bob');
  const outgoing = item(carol.page, 'outgoing', name);
  await outgoing.getByText('waiting for Bob to accept').waitFor({ timeout: 30_000 });
  const stored = await storedCopy(carolData, body);
  const offer = item(bob.page, 'incoming', name);
  await offer.getByRole('button', { name: 'Accept' }).click();

  // Once the upload to the hub is under way (status 2), Carol's stored copy changes in place: what reaches the
  // hub no longer matches the sha256 offered, and the hub refuses the body.
  await outgoing.getByText('Sending', { exact: true }).waitFor({ timeout: 30_000 });
  await corruptTail(stored);

  const reason = 'The transfer failed: the file did not reach the server';
  await outgoing.getByText('Failed', { exact: true }).waitFor({ timeout: 60_000 });
  // Then the hub's own words ([ext] statusReasonText): what it received did not match the sha256 offered.
  assert.match(
    (await outgoing.locator('.reason').textContent())?.trim() ?? '',
    new RegExp(`^${reason}: the body's sha256 is [0-9a-f]{64}, not the [0-9a-f]{64} offered$`),
  );
  await carol.page.locator('.notice', { hasText: `${name}: ${reason}` }).waitFor();
  assert.equal(await outgoing.getByText('Delivered', { exact: true }).count(), 0);
  assert.equal(await outgoing.getByRole('progressbar').count(), 0, 'no bar is left running');

  // Bob's page says it too: his download ended with the send.
  await offer.getByText('Failed', { exact: true }).waitFor({ timeout: 60_000 });
  assert.equal(
    (await offer.locator('.reason').textContent())?.trim(),
    'The transfer failed: the file did not arrive intact or could not be stored',
  );
  assert.equal(await offer.getByText('Received', { exact: true }).count(), 0);
  assert.equal(await offer.getByRole('link', { name: /download/i }).count(), 0);
  assert.deepEqual(carol.errors, []);
  await carol.context.close();
});

test('times and sizes are shown in the viewer’s locale and time zone', async (t) => {
  if (!needsBrowser(t, missing)) return;
  const locale = 'de-DE';
  const timeZone = 'Asia/Kathmandu';
  const context = await browser.newContext({
    locale,
    timezoneId: timeZone,
    viewport: { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(up.rooms.bob.web);
  await signedInAs(page, 'Bob');

  const name = 'bericht.txt';
  await pickFiles(alice.page, [{ name, buffer: Buffer.alloc(1536, 'x') }]);
  await sendTo(alice.page, 'bob');
  const offer = item(page, 'incoming', name);
  await offer.getByRole('button', { name: 'Accept' }).click();
  await offer.getByText('Received').waitFor();

  const row = item(page, 'history', name);
  await row.getByText('received from Alice').waitFor();
  const time = row.locator('time');
  const iso = await time.getAttribute('datetime');
  assert.ok(iso, 'the time carries its ISO timestamp');
  const at = new Date(iso);
  // The web's formats (src/web/format.ts): the time of day for today, date and time before; in full as a title.
  const day = (date: Date) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(date);
  const shown =
    day(at) === day(new Date())
      ? new Intl.DateTimeFormat(locale, { timeZone, hour: 'numeric', minute: '2-digit' })
      : new Intl.DateTimeFormat(locale, { timeZone, dateStyle: 'medium', timeStyle: 'short' });
  const full = new Intl.DateTimeFormat(locale, { timeZone, dateStyle: 'full', timeStyle: 'medium' });
  assert.equal((await time.textContent())?.trim(), shown.format(at));
  assert.equal(await time.getAttribute('title'), full.format(at));
  // German, not the en-GB of the other pages: a weekday name and "um" before the time of day.
  assert.match(
    (await time.getAttribute('title')) ?? '',
    /^(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag), \d{1,2}\. \S+ \d{4} um \d{2}:\d{2}:\d{2}$/,
  );
  // Sizes too: a decimal comma.
  await row.locator('.item-meta').getByText('1,5 KiB', { exact: true }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('the keyboard alone sends a file and accepts it', async (t) => {
  if (!needsBrowser(t, missing)) return;
  // Fresh pages: nothing has had the focus yet.
  const alicePage = await openPage(browser, up.rooms.alice.web);
  const bobPage = await openPage(browser, up.rooms.bob.web);
  await Promise.all([signedInAs(alicePage.page, 'Alice'), signedInAs(bobPage.page, 'Bob')]);
  const name = 'typed only.txt';
  const sender = alicePage.page;
  const send = sender.locator('#send');

  // Alice: Tab to "Choose files…", Enter opens the picker, Tab to the TrueConf ID, type, Enter sends.
  // Listening first: playwright takes over the browser's file picker only once someone waits for it.
  const picker = sender.waitForEvent('filechooser');
  await tabTo(sender, send.getByRole('button', { name: 'Choose files…' }));
  await sender.keyboard.press('Enter');
  const chooser = await picker;
  await chooser.setFiles({ name, mimeType: 'text/plain', buffer: Buffer.from('no mouse was used\n') });
  await send.getByRole('list', { name: 'Files to send' }).getByText(name).waitFor();
  await tabTo(sender, send.getByLabel('TrueConf ID', { exact: true }));
  await sender.keyboard.type('bob@files.local');
  await sender.keyboard.press('Enter');
  const outgoing = item(sender, 'outgoing', name);
  await outgoing.getByText('waiting for Bob to accept').waitFor({ timeout: 30_000 });

  // Bob: the skip link leads to the incoming files; Tab reaches Accept, Space presses it.
  const page = bobPage.page;
  const offer = item(page, 'incoming', name);
  await offer.getByText('New offer').waitFor();
  await page.keyboard.press('Tab');
  assert.equal(
    await page.getByRole('link', { name: 'Skip to incoming files' }).and(page.locator(':focus')).count(),
    1,
    'the first Tab stop is the skip link',
  );
  await page.keyboard.press('Enter');
  const presses = await tabTo(page, offer.getByRole('button', { name: 'Accept' }));
  assert.ok(presses <= 10, `after the skip link, Accept is ${presses} Tab presses away`);
  await page.keyboard.press('Space');
  await offer.getByText('Received').waitFor({ timeout: 30_000 });
  // Received comes with its Download at once, never a moment of "deleted" before the file list catches up.
  assert.equal(await offer.getByText('The file was deleted from this room').count(), 0);
  assert.equal(await offer.getByRole('link', { name: /download/i }).count(), 1);
  await outgoing.getByText('Delivered', { exact: true }).waitFor({ timeout: 30_000 });
  assert.deepEqual(alicePage.errors, []);
  assert.deepEqual(bobPage.errors, []);
  await alicePage.context.close();
  await bobPage.context.close();
});
