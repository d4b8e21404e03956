import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Room } from '../../src/room/room.js';
import { TestBed } from '../helpers/harness.js';
import { clientOf } from '../client/support.js';
import { chromiumMissing, launchBrowser, needsBrowser } from '../web/support.js';

/**
 * roomfiles' own clients select API version 2 (room-api.md §10), so their traffic keeps the current names and
 * shapes: the SDK on every connection it opens, reconnections included, and the web interface through it.
 */

const bed = new TestBed();
after(() => bed.close());

/** The API versions of the room's authorized connections. */
const versions = (room: Room) => [...room.connections].filter((c) => c.authorized).map((c) => c.apiVersion);

test('the SDK selects API version 2 on connecting and again on reconnecting', async () => {
  const room = await bed.room();
  // connect resolves once the connection is authorized.
  const client = await clientOf(bed, room);
  assert.deepEqual(versions(room), ['2']);
  assert.ok([...room.connections].every((c) => !c.legacyMode));

  const back = new Promise<void>((resolve) =>
    client.onConnectionState((state) => {
      if (state === 'connected') resolve();
    }),
  );
  for (const connection of room.connections) connection.socket.terminate();
  await back;
  assert.deepEqual(versions(room), ['2']);
});

test('the web interface selects API version 2', async (t) => {
  if (!needsBrowser(t, chromiumMissing())) return;
  const room = await bed.room();
  const browser = await launchBrowser(bed);
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${room.webPort}/`);
  // The status strip shows once the page's client has connected and authorized.
  await page.getByRole('status', { name: 'Room status' }).waitFor({ timeout: 20_000 });
  assert.deepEqual(versions(room), ['2']);
});
