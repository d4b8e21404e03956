import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RoomClient, RoomConnectionError } from '../../src/client/index.js';
import { TestBed } from '../helpers/harness.js';
import { freePort } from '../helpers/child.js';
import { apiError, clientOf, configServer, connectWith, countingProxy, fileWith } from './support.js';

/** RoomClient.connect: where the room is (API port, web port, URL) and how the client authorizes. */

const bed = new TestBed();
after(() => bed.close());

test('connect by API port: authorized as admin on an unprotected room, HTTP port learnt from getAppState', async () => {
  const room = await bed.room();
  const client = await clientOf(bed, room);
  assert.equal(client.apiPort, room.apiPort);
  assert.equal(client.httpPort, room.httpPort);
  assert.equal(client.privileges, 2);
  assert.ok(client.token.length >= 16);
  assert.ok(client.connected);
  assert.equal((await client.getAppState()).embeddedHttpPort, room.httpPort);
  assert.equal(client.httpBase, `http://127.0.0.1:${room.httpPort}`);
});

test('connect by web port: both ports come from config.json', async () => {
  const room = await bed.room();
  const byWeb = await connectWith(bed, { configPort: room.webPort });
  assert.equal(byWeb.apiPort, room.apiPort);
  assert.equal(byWeb.httpPort, room.httpPort);

  // A config.json that names another HTTP port (a proxy in front of the room's): the client uses that one,
  // so the port came from config.json and not from getAppState.
  const proxy = await countingProxy(bed, room.httpPort);
  const config = await configServer(bed, room.apiPort, proxy.port);
  const client = await connectWith(bed, { configPort: config });
  assert.equal(client.apiPort, room.apiPort);
  assert.equal(client.httpPort, proxy.port);
  const fileId = await client.upload(await fileWith(bed.dir(), 'via-proxy.txt', 'hello'));
  assert.ok(proxy.log.requests.some((r) => r.method === 'POST' && r.url.startsWith('/files/')));
  assert.ok((await client.getFileList()).fileList.some((f) => f.fileId === fileId));
});

test('connect by url: ws:// is the API port, http:// the web port', async () => {
  const room = await bed.room();
  const ws = await connectWith(bed, { url: `ws://127.0.0.1:${room.apiPort}` });
  assert.equal(ws.apiPort, room.apiPort);
  assert.equal(ws.httpPort, room.httpPort);
  assert.equal((await ws.getAppState()).embeddedHttpPort, room.httpPort);

  const http = await connectWith(bed, { url: `http://127.0.0.1:${room.webPort}/` });
  assert.equal(http.apiPort, room.apiPort);
  assert.equal(http.httpPort, room.httpPort);
  assert.equal((await http.getLogin()).isLoggedIn, false);

  const localhost = await connectWith(bed, { url: `ws://localhost:${room.apiPort}/` });
  assert.equal(localhost.host, 'localhost');
  assert.equal((await localhost.getHttpServerState()).state, 'running');

  await assert.rejects(RoomClient.connect({ url: `ftp://127.0.0.1:${room.webPort}` }), RoomConnectionError);
  await assert.rejects(RoomClient.connect({ host: '127.0.0.1' }), RoomConnectionError);
});

test('connect to nothing: a web port without config.json, or an API port where nothing listens', async () => {
  const port = await freePort();
  await assert.rejects(
    RoomClient.connect({ port }),
    (error) => error instanceof RoomConnectionError && error.code === 'unreachable',
  );
  await assert.rejects(
    RoomClient.connect({ configPort: port }),
    (error) =>
      error instanceof RoomConnectionError &&
      error.code === 'unreachable' &&
      /cannot reach/.test(error.message),
  );
});

test('PIN: the right PIN authorizes; a wrong one, or none, rejects with RoomApiError 401', async () => {
  const room = await bed.room({ pin: '4711' });
  const client = await clientOf(bed, room, { pin: '4711' });
  assert.equal(client.privileges, 2);
  assert.equal((await client.getAppState()).appState, 0);

  const wrong = await apiError(clientOf(bed, room, { pin: '0000' }), 'auth', 401);
  assert.equal(wrong.reply.resultCode, 3);
  await apiError(clientOf(bed, room), 'auth', 401, /PIN|secured/i);
});

test('an earlier token authorizes a new client (same token, same role); an unknown one does not', async () => {
  const room = await bed.room({ pin: '2468' });
  const first = await clientOf(bed, room, { pin: '2468' });
  const token = first.token;
  first.close();

  const again = await clientOf(bed, room, { token });
  assert.equal(again.token, token);
  assert.equal(again.privileges, 2);
  assert.equal((await again.getSettings()).settings.length > 0, true);

  await apiError(clientOf(bed, room, { token: 'not-a-token-of-this-room' }), 'auth', 401);
  // Token and PIN together: a stale token falls back to the PIN.
  const both = await clientOf(bed, room, { token: 'stale', pin: '2468' });
  assert.equal(both.privileges, 2);
  assert.notEqual(both.token, 'stale');
});

test("role 'user': admin-only methods reject with RoomApiError 403, the others work", async () => {
  const room = await bed.room({ pin: '1357' });
  const user = await clientOf(bed, room, { pin: '1357', role: 'user' });
  assert.equal(user.privileges, 1);
  assert.equal(typeof (await user.getAppState()).appState, 'number');
  assert.ok((await user.getTokenForHttpServer()).token);
  await apiError(user.clearTokens(), 'clearTokens', 403);
  await apiError(user.stopHttpServer(), 'stopHttpServer', 403);
  await apiError(user.connectToServer({ server: '127.0.0.1' }), 'connectToServer', 403);
  // The user role's token gives the user role again.
  const again = await clientOf(bed, room, { token: user.token });
  assert.equal(again.privileges, 1);
  await apiError(again.logout(), 'logout', 403);
});
