#!/usr/bin/env node
// Regenerates docs/screenshots/*.png: starts `roomfiles up` (alice, bob) on free ports with a third room (carol,
// rate-limited so a transfer can be seen in flight) and a PIN-protected fourth, drives their web pages in Debian's
// chromium through the main screens, and saves what a person sees. Run with `npm run screenshots` (it builds first).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const out = join(root, 'docs', 'screenshots');
const chromiumPath = process.env.ROOMFILES_CHROMIUM ?? '/usr/bin/chromium';
const MiB = 1024 * 1024;

if (!existsSync(cli)) fail('the CLI is not built: run `npm run build` first');
// The browser flags of the web tests, and the V8 flags roomfiles runs with, from the build: one place each.
const { CHROMIUM_ARGS } = await import('../dist/test/web/support.js');
const { NODE_FLAGS } = await import('../dist/src/cli/node-flags.js');
if (!existsSync(chromiumPath))
  fail(`chromium is not installed at ${chromiumPath} (apt-get install -y chromium)`);

function fail(message) {
  console.error(`screenshots: ${message}`);
  process.exit(1);
}

const children = [];
const data = mkdtempSync(join(tmpdir(), 'roomfiles-screenshots-'));
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ROOMFILES_')));
env.ROOMFILES_LOG_LEVEL = 'warn';

function run(args) {
  const result = spawnSync(process.execPath, [...NODE_FLAGS, cli, ...args], { env, encoding: 'utf8' });
  if (result.status !== 0) fail(`roomfiles ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

/** Starts a long-running `roomfiles …` and resolves with its stdout once a line matches `ready`. */
function start(args, ready) {
  const child = spawn(process.execPath, [...NODE_FLAGS, cli, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`roomfiles ${args[0]} did not start:\n${stdout}${stderr}`)),
      30_000,
    );
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = ready.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ stdout, match });
      }
    });
    child.on('exit', (code) =>
      reject(new Error(`roomfiles ${args[0]} exited (${code}):\n${stdout}${stderr}`)),
    );
  });
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  const timer = setTimeout(() => {
    console.warn(
      `screenshots: roomfiles ${child.spawnargs.slice(2, 4).join(' ')} did not stop in 10 s: killed`,
    );
    child.kill('SIGKILL');
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freeBase(offsets) {
  for (let i = 0; i < 50; i += 1) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await Promise.all(offsets.map((o) => portIsFree(base + o)))).every(Boolean)) return base;
  }
  throw new Error('no free ports');
}

async function main() {
  mkdirSync(out, { recursive: true });
  const hubData = join(data, 'hub');
  const password = 'screenshots-carol-1';
  run([
    'hub',
    'user',
    'add',
    'carol',
    '--display-name',
    'Carol Jones',
    '--password',
    password,
    '--data',
    hubData,
  ]);
  run(['hub', 'conference', 'add', 'weekly', '--title', 'Weekly review', '--data', hubData]);

  const base = await freeBase([0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32, 40]);
  const hubPort = base + 40;
  const { stdout } = await start(
    ['up', '--data', data, '--hub-port', String(hubPort), '--port-base', String(base)],
    /^ready in \d+ ms/m,
  );
  const web = (name) => new RegExp(`^ {2}${name}\\n {4}web +(\\S+)`, 'm').exec(stdout)[1];
  const aliceUrl = web('alice');
  const bobUrl = web('bob');
  const roomArgs = (name, offset) => [
    'room',
    '--name',
    name,
    '--data',
    join(data, name),
    '--web-port',
    String(base + offset),
    '--api-port',
    String(base + offset + 1),
    '--http-port',
    String(base + offset + 2),
  ];
  await start(
    [
      ...roomArgs('carol', 20),
      '--server',
      `127.0.0.1:${hubPort}`,
      '--login',
      'carol@files.local',
      '--password',
      password,
      '--max-rate',
      '4MiB',
    ],
    /listening: web/,
  );
  await start([...roomArgs('kiosk', 30), '--pin', '2468'], /listening: web/);
  const carolUrl = `http://127.0.0.1:${base + 20}/`;
  const kioskUrl = `http://127.0.0.1:${base + 30}/`;

  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const open = async (url, viewport = { width: 1280, height: 860 }) => {
      const context = await browser.newContext({
        viewport,
        colorScheme: 'light',
        locale: 'en-US',
        deviceScaleFactor: 1,
      });
      const page = await context.newPage();
      await page.goto(url);
      return page;
    };
    const signedIn = (page) => page.locator('.identity-name').waitFor({ timeout: 20_000 });
    const shot = async (page, name, { top = true } = {}) => {
      if (top) await page.evaluate('window.scrollTo(0, 0)');
      await page.waitForTimeout(250);
      await page.screenshot({ path: join(out, name) });
      console.log(`saved docs/screenshots/${name}`);
    };
    // Files are written to disk first: chromium reads a path directly, where a buffer would cross the CDP pipe.
    const pick = (page, files) => {
      const dir = mkdtempSync(join(data, 'files-'));
      const paths = files.map(([name, size]) => {
        const path = join(dir, name);
        writeFileSync(path, Buffer.alloc(size, 7));
        return path;
      });
      return page.locator('#file-input').setInputFiles(paths);
    };
    const sendTo = async (page, peer) => {
      const send = page.locator('#send');
      await send.getByRole('radio', { name: 'A person' }).check();
      await send.getByLabel('TrueConf ID', { exact: true }).fill(peer);
      await send.getByRole('button', { name: /^Send/ }).click();
    };
    const incoming = (page, name) => page.locator('#incoming li', { hasText: name });
    const accept = async (page, name) => {
      await incoming(page, name).getByRole('button', { name: 'Accept' }).click();
      await incoming(page, name).getByText('Received').waitFor({ timeout: 60_000 });
    };
    const clearNotices = (page) =>
      page.evaluate(`document.querySelectorAll('.notice .icon-button').forEach((button) => button.click())`);

    const alice = await open(aliceUrl);
    const bob = await open(bobUrl);
    const carol = await open(carolUrl);
    await Promise.all([signedIn(alice), signedIn(bob), signedIn(carol)]);

    // Some history first: files both ways between alice and bob.
    await pick(bob, [
      ['Budget 2026.xlsx', 184_320],
      ['Floor plan.pdf', 2_411_724],
    ]);
    await sendTo(bob, 'alice');
    await accept(alice, 'Budget 2026.xlsx');
    await accept(alice, 'Floor plan.pdf');
    await pick(alice, [['Site photos.zip', 14 * MiB]]);
    await sendTo(alice, 'bob');
    await accept(bob, 'Site photos.zip');
    await pick(alice, [['Contract draft.docx', 96_256]]);
    await sendTo(alice, 'carol@files.local');
    await incoming(carol, 'Contract draft.docx').getByRole('button', { name: 'Reject' }).click();
    await alice
      .locator('#outgoing li', { hasText: 'Contract draft.docx' })
      .getByText('Rejected', { exact: true })
      .waitFor();
    await clearNotices(alice);
    await shot(alice, 'overview.png');

    // An offer arriving on bob's page.
    await pick(alice, [['Meeting notes.md', 5_734]]);
    await sendTo(alice, 'bob');
    await incoming(bob, 'Meeting notes.md').waitFor();
    await shot(bob, 'incoming-offer.png');
    await accept(bob, 'Meeting notes.md');

    // A transfer in flight: carol's room moves at most 4 MiB/s.
    await pick(carol, [['Design mockups.fig', 48 * MiB]]);
    await sendTo(carol, 'alice');
    await incoming(alice, 'Design mockups.fig').getByRole('button', { name: 'Accept' }).click();
    const carolItem = carol.locator('#outgoing li', { hasText: 'Design mockups.fig' });
    await carolItem.locator('[role=progressbar][aria-valuenow]').waitFor();
    for (let i = 0; i < 200; i += 1) {
      const value = Number(await carolItem.locator('[role=progressbar]').getAttribute('aria-valuenow'));
      if (value >= 35) break;
      await carol.waitForTimeout(100);
    }
    await clearNotices(carol);
    await clearNotices(alice);
    await shot(carol, 'sending.png');
    await shot(alice, 'receiving.png');
    await incoming(alice, 'Design mockups.fig').getByText('Received').waitFor({ timeout: 60_000 });

    // History, with the clear dialog open.
    await clearNotices(alice);
    await alice.locator('#history').scrollIntoViewIfNeeded();
    await alice.locator('#history').getByRole('button', { name: 'Clear history…' }).click();
    await alice.getByRole('dialog').getByLabel('Also delete the files from this room').check();
    await shot(alice, 'history-clear.png', { top: false });
    await alice.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

    // A conference: alice invites bob and carol, both accept, alice sends to everyone.
    const conference = (page) => page.locator('#conference');
    await conference(alice).getByLabel('Title').fill('Design review');
    await conference(alice)
      .getByLabel(/^Invite/)
      .fill('bob, carol');
    await conference(alice).getByRole('button', { name: 'Create conference' }).click();
    await bob.getByRole('group', { name: 'Invitation' }).waitFor();
    await clearNotices(bob);
    await shot(bob, 'invitation.png');
    for (const page of [bob, carol]) {
      await page.getByRole('button', { name: 'Accept invitation' }).click();
      await conference(page).getByText('Design review', { exact: true }).waitFor();
    }
    await alice.locator('#conference ul[aria-label="Participants"] > li:nth-child(3)').waitFor();
    await pick(alice, [['Review agenda.pdf', 311_296]]);
    await alice.locator('#send').getByRole('radio', { name: 'The conference' }).check();
    await alice.locator('#send').getByRole('button', { name: /^Send/ }).click();
    await alice
      .locator('#outgoing li', { hasText: 'Review agenda.pdf' })
      .getByText('Sent', { exact: true })
      .waitFor();
    await incoming(bob, 'Review agenda.pdf').waitFor();
    await clearNotices(alice);
    await shot(alice, 'conference.png');

    // A phone: bob's page at 390 px.
    const phone = await open(bobUrl, { width: 390, height: 844 });
    await signedIn(phone);
    await phone.screenshot({ path: join(out, 'phone.png') });
    console.log('saved docs/screenshots/phone.png');
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.locator('#incoming').scrollIntoViewIfNeeded();
    await shot(phone, 'phone-incoming.png', { top: false });

    // A PIN-protected room after a wrong PIN.
    const kiosk = await open(kioskUrl, { width: 1280, height: 720 });
    await kiosk.getByLabel('PIN or password').fill('1111');
    await kiosk.getByRole('button', { name: 'Sign in' }).click();
    await kiosk.getByRole('alert').waitFor();
    await shot(kiosk, 'sign-in.png');
  } finally {
    await browser.close();
  }
}

try {
  await main();
  writeFileSync(
    join(out, 'README.md'),
    '# Screenshots\n\nMade by `npm run screenshots` (scripts/screenshots.mjs); see docs/web.md. Do not edit by hand.\n',
  );
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  // The rooms first, then `up` (whose hub they are linked to); a process that has not ended in 10 s is killed.
  for (const child of children.reverse()) await stop(child);
  rmSync(data, { recursive: true, force: true });
}
