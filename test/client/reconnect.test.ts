import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RoomConnectionError, type ConnectionState, type RoomClient } from '../../src/client/index.js';
import type { Room } from '../../src/room/room.js';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { clientOf, fileWith, logged } from './support.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

/** Reconnecting: after a room restart, after a dropped connection, and close() that stops it. */

const bed = new TestBed();
after(() => bed.close());

/** The states a client reports, and a wait for the next one of a kind (already seen after `since`, or to come). */
function stateLog(client: RoomClient) {
  const seen: ConnectionState[] = [];
  const waiters = new Set<() => void>();
  client.onConnectionState((state) => {
    seen.push(state);
    for (const wake of [...waiters]) wake();
  });
  const next = async (state: ConnectionState, since = 0, timeoutMs = 20_000) => {
    await waitFor(
      () => `"${state}" state; saw ${seen.join(', ')}`,
      () => (seen.slice(since).includes(state) ? true : undefined),
      { wake: waiters, timeoutMs },
    );
  };
  return { seen, next };
}

/** The same room again: same data directory and ports, fresh memory (no tokens). */
function restartOf(room: Room, extra: Partial<Parameters<TestBed['room']>[0]> = {}) {
  return bed.room({
    dataDir: room.dataDir,
    apiPort: room.apiPort,
    webPort: room.webPort,
    httpPort: room.httpPort,
    ...extra,
  });
}

test('a room restart: reconnecting, then connected; re-auth falls back from the lost token; calls and events work again', async () => {
  const room = await bed.room();
  const client = await clientOf(bed, room);
  const states = stateLog(client);
  const fileId = await client.upload(await fileWith(bed.dir(), 'kept.txt', 'kept across the restart'));
  const oldToken = client.token;

  await room.stop();
  await states.next('reconnecting');
  assert.equal(client.connected, false);
  // A call made while the room is away waits for the reconnection instead of failing.
  const waiting = client.getFileList(undefined, { timeoutMs: 20_000 });
  const again = await restartOf(room);
  await states.next('connected');
  assert.deepEqual(states.seen, ['reconnecting', 'connected']);
  assert.ok(client.connected);
  assert.ok((await waiting).fileList.some((f) => f.fileId === fileId));

  // The restarted room knew no token: the client authorized again and holds a new one.
  assert.notEqual(client.token, oldToken);
  assert.equal(client.privileges, 2);
  assert.equal((await client.getAppState()).embeddedHttpPort, again.httpPort);
  // Events arrive again…
  const changed = client.waitFor('httpServerSettingChanged', (e) => e.value === 12345, 5_000);
  await client.setHttpServerSettings({ settings: { httpServerMaxPostFileSizeInBytes: 12345 } });
  assert.equal((await changed).value, 12345);
  // …and the HTTP server takes the new HTTP token.
  const out = `${bed.dir()}/kept.txt`;
  await client.download(fileId, { to: out });
});

test('a PIN room restart: the stale token is refused, the PIN authorizes', async () => {
  const room = await bed.room({ pin: '3141' });
  const client = await clientOf(bed, room, { pin: '3141' });
  const states = stateLog(client);
  const oldToken = client.token;
  await room.stop();
  await states.next('reconnecting');
  await restartOf(room, { pin: '3141' });
  await states.next('connected');
  assert.notEqual(client.token, oldToken);
  assert.equal(client.privileges, 2);
  assert.equal((await client.getHttpServerState()).state, 'running');
});

test('a dropped connection (room still up): the client re-auths with its token, which stays the same', async () => {
  const room = await bed.room({ pin: '2718' });
  const client = await clientOf(bed, room, { pin: '2718', role: 'user' });
  const states = stateLog(client);
  const token = client.token;
  for (const connection of room.connections) connection.socket.terminate();
  await states.next('reconnecting');
  await states.next('connected');
  // A PIN auth would have issued a new token: the same one means the token authorized.
  assert.equal(client.token, token);
  assert.equal(client.privileges, 1);
  assert.equal((await client.getAppState()).appState, 0);
});

test('a logged-in room restarted: events of the new session arrive, and a transfer works after it', async () => {
  const {
    hub,
    rooms: [aliceRoom],
    clients: [alice, bob],
  } = await logged(bed, ['alice', 'bob']);
  const states = stateLog(alice);
  await aliceRoom.stop();
  await states.next('reconnecting');
  const loginSeen = new AbortController();
  const login = nextEvent(alice, 'login', (e) => e.result === 0, { signal: loginSeen.signal });
  login.catch(() => undefined);
  const again = await restartOf(aliceRoom, { hub, as: 'alice' });
  await states.next('connected');
  await loggedIn(again);
  // The login may have happened before or after the client was back: either the event or the state says so.
  const state = await alice.getAppState();
  if (state.appState !== 3) await login;
  loginSeen.abort();

  const offered = bob.waitFor('receivedFileRequest', (e) => e.fileName === 'after-restart.txt', 10_000);
  const delivered = alice.sendFileTo('bob', await fileWith(bed.dir(), 'after-restart.txt', 'hello again'), {
    timeoutMs: 20_000,
  });
  await bob.acceptIncomingFileRequest({ fileRequestId: (await offered).fileRequestId });
  const { fileRequestId } = await delivered;
  assert.equal((await alice.getFileRequestInfo({ fileRequestId })).status, 3);
});

test('close() stops reconnecting: calls waiting reject, no connection is made to the room when it is back', async () => {
  const room = await bed.room();
  const client = await clientOf(bed, room);
  const states = stateLog(client);
  await room.stop();
  await states.next('reconnecting');
  const waiting = client.getAppState(undefined, { timeoutMs: 20_000 });
  client.close();
  await states.next('closed');
  await assert.rejects(waiting, RoomConnectionError);
  await assert.rejects(client.getAppState(), /closed/);

  const again = await restartOf(room);
  // The first retry would have come 1 s after the drop: watch for twice that long.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  assert.equal(again.connections.size, 0, 'a closed client connected again');
  assert.deepEqual(states.seen, ['reconnecting', 'closed']);
});

test('reconnect:false reports closed and does not come back', async () => {
  const room = await bed.room();
  const client = await clientOf(bed, room, { reconnect: false });
  const states = stateLog(client);
  await room.stop();
  await states.next('closed');
  await assert.rejects(client.getAppState(), RoomConnectionError);
});
