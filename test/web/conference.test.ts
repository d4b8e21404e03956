import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { TestBed } from '../helpers/harness.js';
import {
  chromiumMissing,
  dropFiles,
  item,
  launchBrowser,
  needsBrowser,
  openPage,
  signedInAs,
  startUp,
  type OpenPage,
  type Up,
} from './support.js';

// Conferences in the browser: alice, bob (`roomfiles up`) and carol (a third room on the same hub).

const bed = new TestBed();
const missing = chromiumMissing();
let browser: Browser;
let up: Up;
let alice: OpenPage;
let bob: OpenPage;
let carol: OpenPage;

before(async () => {
  if (missing) return;
  browser = await launchBrowser(bed);
  up = await startUp(bed, { accounts: [{ name: 'carol', displayName: 'Carol' }], conferences: ['demo'] });
  [alice, bob, carol] = await Promise.all([
    openPage(browser, up.rooms.alice.web),
    openPage(browser, up.rooms.bob.web),
    openPage(browser, up.rooms.carol.web),
  ]);
  await Promise.all([
    signedInAs(alice.page, 'Alice'),
    signedInAs(bob.page, 'Bob'),
    signedInAs(carol.page, 'Carol'),
  ]);
});
after(() => bed.close());

function conference(page: Page) {
  return page.locator('#conference');
}

async function createConference(page: Page, title: string, invite: string): Promise<void> {
  const card = conference(page);
  await card.getByLabel('Title').fill(title);
  await card.getByLabel(/^Invite/).fill(invite);
  await card.getByRole('button', { name: 'Create conference' }).click();
  await card.getByText(title, { exact: true }).waitFor();
}

function participants(page: Page) {
  return conference(page).getByRole('list', { name: 'Participants' }).getByRole('listitem');
}

/** Waits until the page lists this many participants (they come and go live, from events). */
async function waitForCount(page: Page, count: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  while (Date.now() < deadline) {
    seen = await participants(page).count();
    if (seen === count) return;
    await page.waitForTimeout(100);
  }
  assert.fail(`expected ${count} participants, the page lists ${seen}`);
}

test('an invitation can be declined, and the inviter is told', async (t) => {
  if (!needsBrowser(t, missing)) return;
  await createConference(alice.page, 'Quick sync', 'bob');
  const invitation = bob.page.getByRole('group', { name: 'Invitation' });
  await invitation.getByText('Alice invites you to “Quick sync”').waitFor();
  await invitation.getByRole('button', { name: 'Decline' }).click();
  await alice.page.locator('.notice', { hasText: 'Bob declined the invitation' }).waitFor();
  await invitation.waitFor({ state: 'detached' });
  await conference(alice.page).getByRole('button', { name: 'Leave' }).click();
  await conference(alice.page).getByRole('button', { name: 'Create conference' }).waitFor();
});

test('a conference send reaches two participants’ pages; participants are live', async (t) => {
  if (!needsBrowser(t, missing)) return;
  await createConference(alice.page, 'Design review', 'bob@files.local, carol');
  for (const page of [bob.page, carol.page]) {
    const invitation = page.getByRole('group', { name: 'Invitation' });
    await invitation.getByText('Alice invites you to “Design review”').waitFor();
    await invitation.getByRole('button', { name: 'Accept invitation' }).click();
    await conference(page).getByText('Design review', { exact: true }).waitFor();
  }
  await waitForCount(alice.page, 3);
  const names = await participants(alice.page).allTextContents();
  assert.ok(
    names.some((n) => n.includes('Alice') && n.includes('Owner') && n.includes('You')),
    names.join('|'),
  );
  assert.ok(
    names.some((n) => n.includes('carol@files.local')),
    names.join('|'),
  );
  await bob.page.getByRole('status', { name: 'Room status' }).getByText('In “Design review”').waitFor();

  // Alice drops a file onto the page and sends it to the conference.
  const text = 'minutes of the design review\n'.repeat(1000);
  await dropFiles(alice.page, [{ name: 'minutes.txt', text }]);
  const send = alice.page.locator('#send');
  await send.getByRole('radio', { name: 'The conference' }).check();
  await send.getByText('Everyone in “Design review” gets the offer').waitFor();
  await send.getByRole('button', { name: /^Send/ }).click();
  await item(alice.page, 'outgoing', 'minutes.txt').getByText('Sent', { exact: true }).waitFor();

  for (const page of [bob.page, carol.page]) {
    const offer = item(page, 'incoming', 'minutes.txt');
    await offer.getByText('from Alice in “Design review”').waitFor();
    await offer.getByRole('button', { name: 'Accept' }).click();
    await offer.getByText('Received').waitFor();
  }
  const [download] = await Promise.all([
    carol.page.waitForEvent('download'),
    item(carol.page, 'incoming', 'minutes.txt')
      .getByRole('link', { name: /Download/ })
      .click(),
  ]);
  assert.equal(download.suggestedFilename(), 'minutes.txt');
  assert.equal(readFileSync(await download.path(), 'utf8'), text);

  // Carol leaves: alice's list follows at once. Then alice ends it for everyone.
  await conference(carol.page).getByRole('button', { name: 'Leave' }).click();
  await conference(carol.page).getByRole('button', { name: 'Create conference' }).waitFor();
  await waitForCount(alice.page, 2);
  await conference(alice.page).getByRole('button', { name: 'End for everyone' }).click();
  await conference(bob.page).getByRole('button', { name: 'Create conference' }).waitFor();
  for (const page of [alice, bob, carol]) assert.deepEqual(page.errors, []);
});

test('join a named conference as \\c\\<CID>; an unknown one is refused in words', async (t) => {
  if (!needsBrowser(t, missing)) return;
  const join = async (page: Page, id: string) => {
    await conference(page).getByLabel('Join a conference by its ID').fill(id);
    await conference(page).getByRole('button', { name: 'Join' }).click();
  };
  await join(bob.page, '\\c\\demo');
  await conference(bob.page).getByText('demo', { exact: true }).waitFor();
  await join(carol.page, 'demo');
  await conference(carol.page).getByText('demo', { exact: true }).waitFor();
  await waitForCount(bob.page, 2);
  await participants(bob.page).filter({ hasText: 'Carol' }).waitFor();
  await conference(carol.page).getByRole('button', { name: 'Leave' }).click();
  await waitForCount(bob.page, 1);
  await conference(bob.page).getByRole('button', { name: 'Leave' }).click();

  await join(alice.page, '\\c\\nothing-here');
  await alice.page.locator('.notice', { hasText: 'There is no such conference on the server' }).waitFor();
});
