import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hub } from '../../src/hub/hub.js';
import type { Room } from '../../src/room/room.js';
import { loggedIn, type TestBed } from '../helpers/harness.js';
import { CliProcess, runCli, type ChildOptions, type RunResult } from '../helpers/child.js';
import { waitFor } from '../helpers/wait.js';

/** Shared pieces of the tests of the client commands (`roomfiles send`, `inbox`, …) run as child processes. */

export interface Pair {
  hub: Hub;
  alice: Room;
  bob: Room;
  /** `ws://127.0.0.1:<api port>` of each room. */
  apiA: string;
  apiB: string;
  /** `http://127.0.0.1:<web port>` of each room (ports discovered through config.json). */
  webA: string;
  webB: string;
}

export const api = (room: Room) => `ws://127.0.0.1:${room.apiPort}`;
export const web = (room: Room) => `http://127.0.0.1:${room.webPort}`;

/** A hub with alice and bob, and a room logged in as each. */
export async function pair(bed: TestBed, accounts = ['alice', 'bob']): Promise<Pair> {
  const hub = await bed.hub({ accounts });
  const alice = await bed.room({ hub, as: 'alice' });
  const bob = await bed.room({ hub, as: 'bob' });
  await Promise.all([loggedIn(alice), loggedIn(bob)]);
  return { hub, alice, bob, apiA: api(alice), apiB: api(bob), webA: web(alice), webB: web(bob) };
}

/** A long-running client command (send, watch), killed when the tests end. */
export function start(bed: TestBed, args: string[], options?: ChildOptions): CliProcess {
  const child = new CliProcess(args, options);
  bed.defer(() => child.kill());
  return child;
}

export const cli = runCli;

/** Resolves when the child's stderr matches (the ready note of `watch` is there, stdout is for events). */
export async function waitForStderr(proc: CliProcess, pattern: RegExp, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    () => `${pattern} on stderr of ${proc.describe()}`,
    () => {
      if (pattern.test(proc.stderr)) return true;
      if (proc.exitStatus) throw new Error(`${proc.describe()} exited before ${pattern} on stderr`);
      return undefined;
    },
    { timeoutMs, wake: (wake) => proc.onOutput(wake) },
  );
}

/**
 * Asserts the exit code and one sentence on stderr matching the pattern, without a stack trace. Commands that
 * show progress (send, get) print their plain progress lines on stderr too: those may come before it.
 */
export function assertFailure(result: RunResult, code: number, pattern: RegExp): void {
  assert.equal(
    result.code,
    code,
    `exit code ${code} expected;\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
  );
  const lines = result.stderr.trim().split('\n');
  const sentences = lines.filter((line) => line.startsWith('roomfiles:') || line.startsWith('error:'));
  assert.equal(sentences.length, 1, `one sentence on stderr, got:\n${result.stderr}`);
  assert.equal(lines.at(-1), sentences[0], `the sentence comes last:\n${result.stderr}`);
  assert.match(sentences[0], pattern);
  assertNoTrace(result.stderr);
}

export function assertNoTrace(text: string): void {
  assert.doesNotMatch(text, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(text, /\w*Error:/, 'no error class names');
}

/** Output meant for a file or a pipe: no escape sequences, no carriage returns. */
export function assertPlain(text: string, what: string): void {
  assert.ok(!text.includes('\u001b'), `${what} has no ANSI escape codes:\n${JSON.stringify(text)}`);
  assert.doesNotMatch(text, /\r/, `${what} has no carriage returns`);
}

/** Each stdout line parsed as JSON (and each must be JSON). */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${line}\nin:\n${stdout}`);
      }
    });
}

export interface ListItem {
  fileRequestId: string;
  fileName: string;
  status: number;
  peerId?: string;
  [key: string]: unknown;
}

/** A list command's JSON document (inbox, outbox, history, files). */
export async function list(args: string[], options?: ChildOptions): Promise<ListItem[]> {
  const result = await runCli([...args, '--json'], options);
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as ListItem[];
}

/** The incoming request of that file name in a room's inbox, once it is there. */
export async function incoming(url: string, fileName: string): Promise<ListItem> {
  const items = await list(['inbox', '--url', url]);
  const item = items.find((i) => i.fileName === fileName);
  assert.ok(item, `${fileName} in the inbox: ${JSON.stringify(items)}`);
  return item;
}

/**
 * The helpers of the transfer command tests (client-transfer, client-download, client-files), over a file's
 * shared pair of rooms and its directory (set in its `before`, hence read through `state`).
 */
export function transferHelpers(bed: TestBed, state: () => { rooms: Pair; dir: string }) {
  /** A file with random content in the test directory. */
  function file(name: string, size: number): { path: string; bytes: Buffer } {
    const bytes = randomBytes(size);
    const path = join(state().dir, name);
    writeFileSync(path, bytes);
    return { path, bytes };
  }

  /**
   * Starts listening for the room to receive the offer of that file (before the send); `arrived` resolves when it
   * has. (Wrapped: an async function cannot return a bare promise without waiting for it.)
   */
  async function offerReaches(room: Room, fileName: string): Promise<{ arrived: Promise<unknown> }> {
    const connection = await bed.connect(room);
    const arrived = connection.waitFor('receivedFileRequest', (event) => event.fileName === fileName, 20_000);
    arrived.catch(() => undefined);
    return { arrived };
  }

  /** alice sends a small file to bob and bob's room receives it (status 3 on both sides, in both histories). */
  async function deliver(name: string) {
    const { path } = file(name, 100);
    const reached = await offerReaches(state().rooms.bob, name);
    const send = await cli(['send', path, '--to', 'bob', '--no-wait', '--url', state().rooms.apiA]);
    assert.equal(send.code, 0, send.stderr);
    await reached.arrived;
    const offer = await incoming(state().rooms.apiB, name);
    const accept = await cli(['accept', offer.fileRequestId, '--wait', '--url', state().rooms.apiB]);
    assert.equal(accept.code, 0, accept.stderr);
    return offer;
  }

  return { file, offerReaches, deliver };
}
