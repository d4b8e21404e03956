import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { CliProcess, freePort, freePortBlock, roomArgs, runCli } from '../helpers/child.js';
import type { TestBed } from '../helpers/harness.js';

/**
 * Browser tests of the web interface: Debian's chromium driven by playwright-core, against `roomfiles up` (and
 * sometimes one more room) started as child processes on free loopback ports.
 */

export const CHROMIUM = process.env.ROOMFILES_CHROMIUM ?? '/usr/bin/chromium';
export const MiB = 1024 * 1024;

/** The flags every headless chromium of the tests and of scripts/screenshots.mjs runs with. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Whether a browser can be had. Without chromium, CI fails loudly (a missing install step must not pass as
 * green); a developer's run skips the browser tests and says why.
 */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const reason = `chromium is not installed at ${CHROMIUM} (apt-get install -y chromium; .ci/run does it)`;
  if (process.env.CI === 'true') throw new Error(`browser tests cannot run in CI: ${reason}`);
  console.log(`# skipping the browser tests: ${reason}`);
  return reason;
}

/** Skips a test when chromium is missing outside CI; returns true when the test should go on. */
export function needsBrowser(t: TestContext, missing: string | null): boolean {
  if (missing === null) return true;
  t.skip(missing);
  return false;
}

/** A headless chromium; each launch gets its own fresh temporary profile (user-data dir). */
export async function launchBrowser(bed: TestBed): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    // The profile playwright makes for a launch is new and removed at close; set the dir for the download area.
    downloadsPath: mkdtempSync(join(tmpdir(), 'roomfiles-downloads-')),
  });
  bed.defer(() => browser.close());
  return browser;
}

export interface UpRoom {
  name: string;
  web: string;
  peerId: string;
}

export interface Up {
  data: string;
  hubPort: number;
  domain: string;
  rooms: Record<string, UpRoom>;
  process: CliProcess;
}

/** Adds an account to a hub's data directory (the hub may be running: it reads accounts from its database). */
export async function addAccount(
  hubData: string,
  account: { name: string; displayName: string },
  password: string,
): Promise<void> {
  const added = await runCli([
    'hub',
    'user',
    'add',
    account.name,
    '--display-name',
    account.displayName,
    '--password',
    password,
    '--data',
    hubData,
  ]);
  assert.equal(added.code, 0, added.stderr);
}

/** Stops a child process when the test bed closes (killing it if it will not stop). */
export function stopWithBed(bed: TestBed, proc: CliProcess): void {
  bed.defer(() =>
    proc.stop().then(
      () => undefined,
      () => proc.kill(),
    ),
  );
}

/**
 * `roomfiles room` on free ports, logged in to the hub on `hubPort` as `<name>@<domain>`, with any `extra` flags;
 * resolves once it listens.
 */
export async function startRoom(
  bed: TestBed,
  room: { name: string; data: string; hubPort: number; domain: string; password: string; extra?: string[] },
): Promise<UpRoom & { data: string }> {
  const peerId = `${room.name}@${room.domain}`;
  const proc = new CliProcess(
    roomArgs({
      name: room.name,
      data: room.data,
      hubPort: room.hubPort,
      login: peerId,
      password: room.password,
      extra: room.extra,
    }),
  );
  stopWithBed(bed, proc);
  const line = await proc.waitForLine(/listening: web (http:\/\/\S+)/, 30_000);
  return { name: room.name, web: line[1], peerId, data: room.data };
}

/**
 * `roomfiles up` on free ports in a fresh data directory. `accounts` are created on the hub first (and get a
 * room each, logged in to the hub, started with the account's `extra` flags); `conferences` are named conferences
 * for `\c\<CID>`.
 */
export async function startUp(
  bed: TestBed,
  options: {
    pin?: string;
    accounts?: { name: string; displayName: string; extra?: string[] }[];
    conferences?: string[];
  } = {},
): Promise<Up> {
  const data = bed.dir('roomfiles-web-');
  const hubData = join(data, 'hub');
  const password = 'web-test-password-1';
  for (const account of options.accounts ?? []) await addAccount(hubData, account, password);
  for (const cid of options.conferences ?? []) {
    const added = await runCli(['hub', 'conference', 'add', cid, '--data', hubData]);
    assert.equal(added.code, 0, added.stderr);
  }
  // Ports found free may be taken by another test file before `up` binds them: then `up` says so, and we try anew.
  let up: CliProcess;
  let stdout = '';
  for (let attempt = 1; ; attempt += 1) {
    const hubPort = await freePort();
    const base = await freePortBlock([0, 1, 2, 10, 11, 12]);
    const args = ['up', '--data', data, '--hub-port', String(hubPort), '--port-base', String(base)];
    if (options.pin) args.push('--pin', options.pin);
    up = new CliProcess(args);
    stopWithBed(bed, up);
    try {
      stdout = await up.ready(/^ready in \d+ ms/, 30_000);
      break;
    } catch (error) {
      if (attempt >= 3 || !/already in use/.test(up.stderr)) throw error;
    }
  }
  const hub = /^roomfiles is up \(hub on 127\.0\.0\.1:(\d+), domain (\S+)\)$/m.exec(stdout);
  assert.ok(hub, stdout);
  const rooms: Record<string, UpRoom> = {};
  for (const match of stdout.matchAll(/^ {2}(\w+)\n {4}web +(\S+)\n[\s\S]*?TrueConf ID +(\S+)$/gm)) {
    rooms[match[1]] = { name: match[1], web: match[2], peerId: match[3] };
  }
  assert.ok(rooms.alice && rooms.bob, stdout);
  const result: Up = { data, hubPort: Number(hub[1]), domain: hub[2], rooms, process: up };
  for (const account of options.accounts ?? []) {
    rooms[account.name] = await startRoom(bed, {
      name: account.name,
      data: join(data, account.name),
      hubPort: result.hubPort,
      domain: result.domain,
      password,
      extra: account.extra,
    });
  }
  return result;
}

/**
 * Records every value any progress bar of the page shows, by its label, from before the page's first script
 * runs: a bar that passes 100 % between two looks of the test is still seen at 100 %. (A string: the tests
 * compile without the DOM's types.)
 */
const RECORD_PROGRESS = `(() => {
  const seen = {};
  window.__progress = seen;
  const look = (element) => {
    if (element.getAttribute('role') !== 'progressbar') return;
    const label = element.getAttribute('aria-label') || '';
    const value = element.getAttribute('aria-valuenow');
    if (value === null) return;
    const list = (seen[label] = seen[label] || []);
    if (list[list.length - 1] !== Number(value)) list.push(Number(value));
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === 'attributes') look(record.target);
      for (const node of record.addedNodes) {
        if (node.nodeType === 1) {
          look(node);
          node.querySelectorAll('[role=progressbar]').forEach(look);
        }
      }
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
})();`;

/** The values each progress bar showed, by label. */
export function progressSeen(page: Page): Promise<Record<string, number[]>> {
  return page.evaluate<Record<string, number[]>>('window.__progress');
}

export interface OpenPage {
  page: Page;
  context: BrowserContext;
  errors: string[];
}

/** A page of a room's web interface in its own browser context; page errors are collected for the test. */
export async function openPage(
  browser: Browser,
  url: string,
  viewport = { width: 1280, height: 900 },
): Promise<OpenPage> {
  const context = await browser.newContext({ viewport, acceptDownloads: true, locale: 'en-GB' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.addInitScript({ content: RECORD_PROGRESS });
  await page.goto(url);
  return { page, context, errors };
}

/** Waits until the page says who its room is logged in as. */
export async function signedInAs(page: Page, displayName: string): Promise<void> {
  await page.locator('.identity-name', { hasText: displayName }).waitFor({ timeout: 20_000 });
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256File(path: string): string {
  return sha256(readFileSync(path));
}

let picked: string | null = null;

/** Where picked files are written; the browser reads them when it uploads, so they stay until the process ends. */
function pickedDir(): string {
  if (picked) return picked;
  const dir = mkdtempSync(join(tmpdir(), 'roomfiles-pick-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return (picked = dir);
}

/**
 * Picks files with the page's file input (the "Choose files…" picker). They are written to disk first: chromium
 * reads a path itself, where a buffer would cross the DevTools pipe.
 */
export async function pickFiles(page: Page, files: { name: string; buffer: Buffer }[]): Promise<void> {
  const dir = mkdtempSync(join(pickedDir(), 'files-'));
  const paths = files.map((file) => {
    const path = join(dir, file.name);
    writeFileSync(path, file.buffer);
    return path;
  });
  await page.locator('#file-input').setInputFiles(paths);
}

/** Drops files onto the drop zone the way a browser does (a `drop` event carrying a DataTransfer). */
export async function dropFiles(page: Page, files: { name: string; text: string }[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle(`(() => {
    const transfer = new DataTransfer();
    for (const file of ${JSON.stringify(files)}) {
      transfer.items.add(new File([file.text], file.name, { type: 'text/plain' }));
    }
    return transfer;
  })()`);
  const zone = page.getByTestId('dropzone');
  await zone.dispatchEvent('dragenter', { dataTransfer });
  await zone.dispatchEvent('dragover', { dataTransfer });
  await zone.dispatchEvent('drop', { dataTransfer });
}

/** The item of a list (`#incoming`, `#outgoing`, `#history`) that names this file. */
export function item(page: Page, list: 'incoming' | 'outgoing' | 'history', fileName: string): Locator {
  return page.locator(`#${list} li`, { hasText: fileName });
}

/** Sends the picked or dropped files to a TrueConf ID. */
export async function sendTo(page: Page, peerId: string): Promise<void> {
  const send = page.locator('#send');
  await send.getByRole('radio', { name: 'A person' }).check();
  await send.getByLabel('TrueConf ID', { exact: true }).fill(peerId);
  await send.getByRole('button', { name: /^Send/ }).click();
}
