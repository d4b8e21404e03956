import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { join } from 'node:path';
import { runCli } from '../helpers/child.js';
import { TestBed } from '../helpers/harness.js';
import {
  MiB,
  chromiumMissing,
  item,
  launchBrowser,
  needsBrowser,
  openPage,
  pickFiles,
  progressSeen,
  sendTo,
  sha256,
  sha256File,
  signedInAs,
  startUp,
  type OpenPage,
  type Up,
} from './support.js';

// Alice's page sends to Bob's page over `roomfiles up`, in a real browser.

const bed = new TestBed();
const missing = chromiumMissing();
let browser: Browser;
let up: Up;
let alice: OpenPage;
let bob: OpenPage;

before(async () => {
  if (missing) return;
  browser = await launchBrowser(bed);
  up = await startUp(bed);
  alice = await openPage(browser, up.rooms.alice.web);
  bob = await openPage(browser, up.rooms.bob.web);
  await Promise.all([signedInAs(alice.page, 'Alice'), signedInAs(bob.page, 'Bob')]);
});
after(() => bed.close());

test('the page shows who the room is logged in as, its server and file-transfer availability', async (t) => {
  if (!needsBrowser(t, missing)) return;
  const page = alice.page;
  const header = page.locator('.topbar');
  await header.getByText('alice@files.local').waitFor();
  const strip = page.getByRole('status', { name: 'Room status' });
  assert.match((await strip.textContent()) ?? '', new RegExp(`Server127\\.0\\.0\\.1:${up.hubPort}`));
  assert.match((await strip.textContent()) ?? '', /File transferAvailable/);
  assert.match((await strip.textContent()) ?? '', /StateLogged in/);
  // The page is served with a policy that allows only the room itself.
  const response = await page.request.get(up.rooms.alice.web);
  const csp = response.headers()['content-security-policy'] ?? '';
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /connect-src 'self' ws:\/\/127\.0\.0\.1:\d+ http:\/\/127\.0\.0\.1:\d+/);
  assert.doesNotMatch(csp, /unsafe-inline/);

  // The send card in person mode, outside a conference: no advice about conferences under the person field; the
  // disabled conference option says on itself why it is off.
  const send = page.locator('#send');
  await send.getByLabel('TrueConf ID', { exact: true }).waitFor();
  assert.doesNotMatch((await send.textContent()) ?? '', /Join or create a conference/);
  const conferenceOption = send.locator('label', {
    has: page.getByRole('radio', { name: 'The conference' }),
  });
  assert.equal(await send.getByRole('radio', { name: 'The conference' }).isDisabled(), true);
  assert.match((await conferenceOption.getAttribute('title')) ?? '', /^Join or create a conference first/);
});

test('alice sends 20 MiB to bob; bob accepts, sees 100 %, and downloads an identical file', async (t) => {
  if (!needsBrowser(t, missing)) return;
  const body = randomBytes(20 * MiB);
  const name = 'quarterly report (final).bin';
  await pickFiles(alice.page, [{ name, buffer: body }]);
  await alice.page.locator('#send ul[aria-label="Files to send"]').getByText(name).waitFor();
  await sendTo(alice.page, 'bob@files.local');

  // Alice: uploaded to her room, then waiting for Bob.
  const outgoing = item(alice.page, 'outgoing', name);
  await outgoing.getByText('waiting for Bob to accept').waitFor({ timeout: 30_000 });

  // Bob: the offer is there at once, with sender, name and size.
  const offer = item(bob.page, 'incoming', name);
  await offer.waitFor();
  const offerText = (await offer.textContent()) ?? '';
  assert.match(offerText, /from Alice/);
  assert.match(offerText, /20 MiB/);
  assert.match(offerText, /New offer/);
  assert.equal(await bob.page.title(), '(1) Bob · roomfiles', 'the waiting offer shows in the tab title');

  await offer.getByRole('button', { name: 'Accept' }).click();
  await offer.getByText('Received').waitFor({ timeout: 60_000 });
  await offer.locator('[role=progressbar][aria-valuenow="100"]').waitFor();
  const bobBars = await progressSeen(bob.page);
  const receiving = [...(bobBars[`Receiving ${name}`] ?? []), ...(bobBars[`Received ${name}`] ?? [])];
  assert.equal(Math.max(...receiving), 100, `bob's progress bar reached 100 %: ${JSON.stringify(bobBars)}`);

  // Alice sees it delivered; her upload bar had run first.
  await outgoing.getByText('Delivered', { exact: true }).waitFor({ timeout: 30_000 });
  const aliceBars = await progressSeen(alice.page);
  assert.ok(aliceBars[`Uploading ${name}`], `alice's upload bar was shown: ${JSON.stringify(aliceBars)}`);

  const [download] = await Promise.all([
    bob.page.waitForEvent('download'),
    offer.getByRole('link', { name: /Download/ }).click(),
  ]);
  assert.equal(download.suggestedFilename(), name);
  const path = await download.path();
  assert.equal(sha256File(path), sha256(body), 'the downloaded file is byte-identical');

  // Both histories have it, live.
  await item(alice.page, 'history', name).getByText('sent to Bob').waitFor();
  await item(bob.page, 'history', name).getByText('received from Alice').waitFor();
  assert.deepEqual(alice.errors, []);
  assert.deepEqual(bob.errors, []);
});

test('a rejection shows on the sender’s page with its reason', async (t) => {
  if (!needsBrowser(t, missing)) return;
  const name = 'unwanted.txt';
  await pickFiles(alice.page, [{ name, buffer: Buffer.from('not for bob\n') }]);
  await sendTo(alice.page, 'bob');
  const offer = item(bob.page, 'incoming', name);
  await offer.getByRole('button', { name: 'Reject' }).click();
  await offer.waitFor({ state: 'detached' });

  const outgoing = item(alice.page, 'outgoing', name);
  await outgoing.getByText('Rejected', { exact: true }).waitFor();
  await outgoing.getByText('Bob rejected the file').waitFor();
  await alice.page.locator('.notice', { hasText: 'Bob rejected the file' }).waitFor();
  // The recent peer is remembered for the next send (typed as a bare name, completed with the domain).
  await alice.page.getByRole('group', { name: 'Recent peers' }).getByText('bob@files.local').waitFor();
});

test('an unknown recipient and no file are refused in words', async (t) => {
  if (!needsBrowser(t, missing)) return;
  await alice.page.getByRole('button', { name: /^Send/ }).click();
  await alice.page.getByRole('alert').getByText('Choose one or more files first.').waitFor();
  await pickFiles(alice.page, [{ name: 'lost.txt', buffer: Buffer.from('x') }]);
  await sendTo(alice.page, 'nobody@files.local');
  const failed = item(alice.page, 'outgoing', 'lost.txt');
  await failed.getByText('Not sent').waitFor();
  assert.match((await failed.locator('.reason').textContent()) ?? '', /nobody@files\.local/);
  await failed.getByRole('button', { name: 'Dismiss' }).click();
  await failed.waitFor({ state: 'detached' });
});

test('delete a file, then clear the history with its files after a confirm', async (t) => {
  if (!needsBrowser(t, missing)) return;
  const page = bob.page;
  const names = ['one.txt', 'two.txt'];
  await pickFiles(
    alice.page,
    names.map((name) => ({ name, buffer: Buffer.from(`${name}\n`) })),
  );
  await alice.page.getByRole('button', { name: 'Send 2 files' }).waitFor();
  await sendTo(alice.page, 'bob@files.local');
  for (const name of names) {
    const offer = item(page, 'incoming', name);
    await offer.getByRole('button', { name: 'Accept' }).click();
    await offer.getByText('Received').waitFor();
  }
  const history = page.locator('#history');
  await item(page, 'history', 'two.txt').waitFor();

  // Delete one file: a confirm, then it leaves the history; the incoming item says the file is gone.
  await item(page, 'history', 'one.txt').getByRole('button', { name: 'Delete one.txt' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete this file?' });
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await item(page, 'history', 'one.txt').waitFor({ state: 'detached' });
  await item(page, 'incoming', 'one.txt').getByText('The file was deleted from this room').waitFor();

  // Clear the history: cancel first (nothing happens), then confirm with "also delete the files".
  await history.getByRole('button', { name: 'Clear history…' }).click();
  const clear = page.getByRole('dialog', { name: 'Clear the history?' });
  await clear.getByRole('button', { name: 'Cancel' }).click();
  await clear.waitFor({ state: 'detached' });
  assert.ok(await item(page, 'history', 'two.txt').isVisible());
  await history.getByRole('button', { name: 'Clear history…' }).click();
  await clear.getByLabel('Also delete the files from this room').check();
  await clear.getByRole('button', { name: 'Clear history' }).click();
  await history.getByText('No completed transfers yet.').waitFor();
  await item(page, 'incoming', 'two.txt').getByText('The file was deleted from this room').waitFor();
});

test('a phone-width page shows the same room in one column', async (t) => {
  if (!needsBrowser(t, missing)) return;
  const phone = await openPage(browser, up.rooms.bob.web, { width: 390, height: 844 });
  await signedInAs(phone.page, 'Bob');
  const width = await phone.page.evaluate('document.documentElement.scrollWidth');
  assert.ok(Number(width) <= 390, `no sideways scrolling at 390 px (page is ${width} px wide)`);
  const send = await phone.page.locator('#send').boundingBox();
  const incoming = await phone.page.locator('#incoming').boundingBox();
  assert.ok(
    send && incoming && incoming.y > send.y && Math.abs(incoming.x - send.x) < 2,
    'stacked in one column',
  );
  await phone.context.close();
});

test('a send the server refuses over quota shows the server’s reason on the sender’s page', async (t) => {
  if (!needsBrowser(t, missing)) return;
  const hubData = join(up.data, 'hub');
  const limit = await runCli(['hub', 'user', 'set', 'alice', '--quota', '1KiB', '--data', hubData]);
  assert.equal(limit.code, 0, limit.stderr);
  try {
    const name = 'over-quota.bin';
    await pickFiles(alice.page, [{ name, buffer: randomBytes(64 << 10) }]);
    await sendTo(alice.page, 'bob');
    const outgoing = item(alice.page, 'outgoing', name);
    // The body goes to the server once Bob accepts: that upload is what the quota refuses.
    await item(bob.page, 'incoming', name).getByRole('button', { name: 'Accept' }).click();
    await outgoing.getByText(/did not reach the server: over quota/).waitFor({ timeout: 30_000 });
    // Reloaded, the page asks the room again: the words are the room's, not only this page's memory.
    await alice.page.reload();
    await signedInAs(alice.page, 'Alice');
    await item(alice.page, 'outgoing', name)
      .getByText(/over quota/)
      .waitFor({ timeout: 30_000 });
  } finally {
    const reset = await runCli(['hub', 'user', 'set', 'alice', '--quota', '10GiB', '--data', hubData]);
    assert.equal(reset.code, 0, reset.stderr);
  }
});
