import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RoomClient, type ConnectionState } from '../../src/client/index.js';
import type { Room } from '../../src/room/room.js';
import { TestBed } from '../helpers/harness.js';
import { apiError, connectWith, fileWith } from './support.js';

/**
 * RoomClient.connect({ host, port, password }) against a room protected by a password (room-api.md §3.1, §3.2):
 * the password authorizes as admin, anything else is refused with a RoomApiError 401.
 */

const bed = new TestBed();
after(() => bed.close());

const PASSWORD = 'c0rrect horse-battery';

/** A password room. A password is protection enough to listen beyond loopback, without --insecure. */
function passwordRoom(extra: Partial<Parameters<TestBed['room']>[0]> = {}): Promise<Room> {
  return bed.room({ password: PASSWORD, host: '0.0.0.0', ...extra });
}

test('the right password authorizes as admin (previleges 2); the room serves the client, HTTP included', async () => {
  const room = await passwordRoom();
  const client = await connectWith(bed, { host: '127.0.0.1', port: room.apiPort, password: PASSWORD });
  assert.ok(client.connected);
  assert.equal(client.privileges, 2);
  assert.ok(client.token.length >= 16);
  assert.notEqual(client.token, PASSWORD);
  assert.equal(client.httpPort, room.httpPort);
  assert.equal((await client.getAppState()).embeddedHttpPort, room.httpPort);
  // An admin-only method works.
  assert.equal((await client.clearTokens()).result, true);
  // The HTTP token the client holds is accepted by the room's HTTP server (a fresh one after clearTokens).
  const fileId = await client.upload(await fileWith(bed.dir(), 'secret.txt', 'behind a password'));
  assert.ok((await client.getFileList()).fileList.some((f) => f.fileId === fileId));

  // With role 'user', the same password gives the user role.
  const user = await connectWith(bed, {
    host: '127.0.0.1',
    port: room.apiPort,
    password: PASSWORD,
    role: 'user',
  });
  assert.equal(user.privileges, 1);
  await apiError(user.clearTokens(), 'clearTokens', 403);
});

test('the token a password client got authorizes a new client without the password', async () => {
  const room = await passwordRoom();
  const first = await connectWith(bed, { host: '127.0.0.1', port: room.apiPort, password: PASSWORD });
  const again = await connectWith(bed, { host: '127.0.0.1', port: room.apiPort, token: first.token });
  assert.equal(again.token, first.token);
  assert.equal(again.privileges, 2);
});

test('a wrong password rejects with RoomApiError 401 (resultCode 3); no credentials at all, 401 as well', async () => {
  const room = await passwordRoom();
  const wrong = await apiError(
    RoomClient.connect({ host: '127.0.0.1', port: room.apiPort, password: 'not the password' }),
    'auth',
    401,
    /wrong password/,
  );
  assert.equal(wrong.reply.resultCode, 3);
  // Comparison is exact: no trimming, case matters.
  await apiError(
    RoomClient.connect({ host: '127.0.0.1', port: room.apiPort, password: `${PASSWORD} ` }),
    'auth',
    401,
  );
  await apiError(
    RoomClient.connect({ host: '127.0.0.1', port: room.apiPort, password: PASSWORD.toUpperCase() }),
    'auth',
    401,
  );
  const none = await apiError(
    RoomClient.connect({ host: '127.0.0.1', port: room.apiPort }),
    'auth',
    401,
    /protected by a password/,
  );
  assert.equal(none.reply.resultCode, 3);
  // The right password still works afterwards (four failures are below the rate limit).
  const client = await connectWith(bed, { host: '127.0.0.1', port: room.apiPort, password: PASSWORD });
  assert.equal(client.privileges, 2);
});

test('a password room restarted (its tokens forgotten): the client reconnects and authorizes with the password', async () => {
  const room = await passwordRoom();
  const client = await connectWith(bed, { host: '127.0.0.1', port: room.apiPort, password: PASSWORD });
  const states: ConnectionState[] = [];
  const connected = new Promise<void>((resolve) => {
    client.onConnectionState((state) => {
      states.push(state);
      if (state === 'connected') resolve();
    });
  });
  const oldToken = client.token;
  await room.stop();
  await passwordRoom({
    dataDir: room.dataDir,
    apiPort: room.apiPort,
    webPort: room.webPort,
    httpPort: room.httpPort,
  });
  await connected;
  assert.deepEqual(states, ['reconnecting', 'connected']);
  assert.notEqual(client.token, oldToken);
  assert.equal(client.privileges, 2);
  assert.equal((await client.getHttpServerState()).state, 'running');
});
