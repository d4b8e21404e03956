import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import type { ConnectionState } from '../../src/client/index.js';
import { TestBed } from '../helpers/harness.js';
import { clientOf, fileWith, sha256OfFile } from './support.js';

/**
 * Token lifetimes crossed with a ManualClock shared by room and client: HTTP tokens (5 min, renewed at 80 %) and
 * the API token of a PIN room (24 h, then authorizationNeeded cause 8).
 */

const bed = new TestBed();
after(() => bed.close());

const MINUTE = 60_000;

async function status(base: string, token: string): Promise<number> {
  const response = await fetch(`${base}/files/?token=${encodeURIComponent(token)}`);
  await response.arrayBuffer();
  return response.status;
}

test('HTTP token: kept until 80 % of 5 min, renewed after; the old one works until 5 min, then 401; uploads renew', async () => {
  const clock = new ManualClock();
  const room = await bed.room({ clock });
  const client = await clientOf(bed, room, { clock });
  const base = client.httpBase;
  const first = await client.httpToken();
  assert.equal(await status(base, first), 200);

  clock.advance(3 * MINUTE);
  assert.equal(await client.httpToken(), first, 'renewed before 80 % of its lifetime');

  clock.advance(1.5 * MINUTE); // 4.5 min
  const second = await client.httpToken();
  assert.notEqual(second, first);
  assert.equal(await status(base, first), 200, 'the old token must still work until 5 min');
  assert.equal(await status(base, second), 200);
  assert.equal(await client.fileUrl(1).then((url) => url.includes(encodeURIComponent(second))), true);

  clock.advance(MINUTE); // 5.5 min: the first one is expired
  assert.equal(await status(base, first), 401);
  assert.equal(await status(base, second), 200);

  clock.advance(5 * MINUTE); // 10.5 min: the second one (issued at 4.5) is expired too
  assert.equal(await status(base, second), 401);
  const dir = bed.dir();
  const path = await fileWith(dir, 'late.txt', 'uploaded after two lifetimes');
  const fileId = await client.upload(path);
  const third = await client.httpToken();
  assert.ok(third !== first && third !== second);
  assert.equal(await status(base, third), 200);
  const saved = await client.download(fileId, { to: `${dir}/late-copy.txt` });
  assert.equal(saved.sha256, await sha256OfFile(path));
});

test('HTTP token renewal when the room forgot the token early: the client retries with a new one', async () => {
  const clock = new ManualClock();
  const room = await bed.room({ clock });
  const client = await clientOf(bed, room, { clock });
  const dir = bed.dir();
  const fileId = await client.upload(await fileWith(dir, 'a.txt', 'a'));
  // The room drops every token behind the client's back (another client's clearTokens).
  const other = await clientOf(bed, room);
  await other.clearTokens();
  const saved = await client.download(fileId, { to: `${dir}/a-copy.txt` });
  assert.equal(saved.size, 1);
  assert.ok(await client.upload(await fileWith(dir, 'b.txt', 'b')));
});

test('API token of a PIN room: after 24 h + 1 s the room asks to authorize again (cause 8); the client does it by itself', async () => {
  const clock = new ManualClock();
  const room = await bed.room({ pin: '5050', clock });
  const client = await clientOf(bed, room, { pin: '5050', clock });
  const states: ConnectionState[] = [];
  client.onConnectionState((state) => states.push(state));
  const token = client.token;

  clock.advance(24 * 60 * MINUTE - 1_000);
  assert.equal((await client.getAppState()).appState, 0, 'still authorized just before 24 h');

  const needed = client.waitFor('authorizationNeeded', () => true, 5_000);
  clock.advance(2_000);
  assert.equal((await needed).cause, 8);
  // Calls made now wait for the new authorization and succeed.
  const [state, files] = await Promise.all([client.getAppState(), client.getFileList()]);
  assert.equal(state.appState, 0);
  assert.deepEqual(files.fileList, []);
  assert.notEqual(client.token, token, 'the expired token cannot have authorized');
  assert.equal(client.privileges, 2);
  // Done on the same connection: no reconnect happened.
  assert.deepEqual(states, []);
  assert.equal([...room.connections].filter((c) => c.authorized).length, 1);

  // The new token is good for another 24 h.
  const again = await clientOf(bed, room, { token: client.token });
  assert.equal(again.privileges, 2);
});

test('a token-only client whose token expires cannot authorize again: calls fail instead of hanging', async () => {
  const clock = new ManualClock();
  const room = await bed.room({ pin: '6060', clock });
  const first = await clientOf(bed, room, { pin: '6060', clock });
  const client = await clientOf(bed, room, { token: first.token, clock, timeoutMs: 1_500 });
  const needed = client.waitFor('authorizationNeeded', () => true, 5_000);
  clock.advance(24 * 60 * MINUTE + 1_000);
  await needed;
  await assert.rejects(client.getAppState());
});
