import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestBed } from '../helpers/harness.js';
import { RoomApiError } from '../../src/client/index.js';
import {
  MessageLog,
  httpUrl,
  listDir,
  rawRequest,
  sendRefusable,
  uploadOk,
  waitUntil,
  eventually,
  type RawMessage,
} from '../helpers/http.js';
import type { Room } from '../../src/room/room.js';

const bed = new TestBed();
after(() => bed.close());

const MiB = 1024 * 1024;
const GiB = 1024 ** 3;

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/** Resolves to the error code of a TCP connection attempt, or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

async function expectApiError(promise: Promise<unknown>, errorCode: number): Promise<RoomApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RoomApiError, String(error));
    assert.equal(error.errorCode, errorCode, error.message);
    return error;
  }
  assert.fail(`expected errorCode ${errorCode}`);
}

async function settingsOf(log: MessageLog): Promise<{ name: string; value: number }[]> {
  const reply = await log.call('getHttpServerSettings');
  assert.equal(reply.result, true);
  return reply.settings as { name: string; value: number }[];
}

async function openLog(room: Room): Promise<MessageLog> {
  const log = await MessageLog.open(room);
  bed.defer(() => log.close());
  return log;
}

describe('getHttpServerSettings / setHttpServerSettings', () => {
  test('settings come port first, then connections limit, then max post size, with their values', async () => {
    const room = await bed.room();
    const api = await bed.connect(room);
    const reply = await api.call('getHttpServerSettings');
    assert.deepEqual(reply.settings, [
      { name: 'httpServerPort', value: room.httpPort },
      { name: 'httpServerConnectionsLimit', value: 64 },
      { name: 'httpServerMaxPostFileSizeInBytes', value: 4 * GiB },
    ]);
    assert.ok(room.httpPort > 0);
    const user = await bed.connect(room, { role: 'user' });
    assert.deepEqual((await user.call('getHttpServerSettings')).settings, reply.settings);
  });

  test('the max post size applies at once: reply, then httpServerSettingChanged, then 413', async () => {
    const room = await bed.room();
    const log = await openLog(room);
    const token = ((await log.call('getTokenForHttpServer')).token as string) ?? '';
    const reply = await log.call('setHttpServerSettings', {
      settings: { httpServerMaxPostFileSizeInBytes: MiB },
    });
    assert.equal(reply.result, true);
    const event = await log.event('httpServerSettingChanged');
    assert.ok(log.indexOf(event) > log.indexOf(reply), 'the event follows the reply');
    assert.deepEqual(event, {
      method: 'event',
      event: 'httpServerSettingChanged',
      name: 'httpServerMaxPostFileSizeInBytes',
      value: MiB,
      httpServerRestartNeededForApplying: false,
      isPendingToBeApplied: false,
      pendingValue: MiB,
    });
    assert.deepEqual((await settingsOf(log))[2], { name: 'httpServerMaxPostFileSizeInBytes', value: MiB });

    const refused = await sendRefusable(
      room,
      `/files/?token=${token}&name=x.bin`,
      { 'content-type': 'application/octet-stream', 'content-length': String(MiB + 1) },
      [randomBytes(MiB + 1)],
    );
    assert.equal(refused.status, 413);
    const { reply: ok } = await uploadOk(room, token, 'fits.bin', randomBytes(MiB));
    assert.equal(ok.fileSize, MiB);
  });

  test('a port change while running is pending; one event per changed setting', async () => {
    const room = await bed.room();
    const log = await openLog(room);
    const current = room.httpPort;
    const wanted = await freePort();
    const start = log.messages.length;
    const reply = await log.call('setHttpServerSettings', {
      settings: {
        httpServerPort: wanted,
        httpServerConnectionsLimit: 10,
        httpServerMaxPostFileSizeInBytes: 2 * MiB,
      },
    });
    assert.equal(reply.result, true);
    const last = await log.next(
      (m) => m.event === 'httpServerSettingChanged' && m.name === 'httpServerMaxPostFileSizeInBytes',
      start,
    );
    const events = log.messages.slice(start).filter((m) => m.event === 'httpServerSettingChanged');
    assert.ok(log.indexOf(events[0]) > log.indexOf(reply));
    assert.equal(events.length, 3);
    assert.deepEqual(events[0], {
      method: 'event',
      event: 'httpServerSettingChanged',
      name: 'httpServerPort',
      value: current,
      httpServerRestartNeededForApplying: true,
      isPendingToBeApplied: true,
      pendingValue: wanted,
    });
    assert.deepEqual(events[1], {
      method: 'event',
      event: 'httpServerSettingChanged',
      name: 'httpServerConnectionsLimit',
      value: 64,
      httpServerRestartNeededForApplying: true,
      isPendingToBeApplied: true,
      pendingValue: 10,
    });
    assert.equal(events[2], last);
    assert.equal(last.isPendingToBeApplied, false);
    // Until the next start, the server keeps running with what it has.
    assert.equal(room.httpPort, current);
    assert.deepEqual(await settingsOf(log), [
      { name: 'httpServerPort', value: current },
      { name: 'httpServerConnectionsLimit', value: 64 },
      { name: 'httpServerMaxPostFileSizeInBytes', value: 2 * MiB },
    ]);
    assert.equal(
      (await fetch(httpUrl(room, '/files/', (await log.call('getTokenForHttpServer')).token as string)))
        .status,
      200,
    );

    // Setting values that are already in force announces nothing.
    const barrier = log.messages.length;
    await log.call('setHttpServerSettings', { settings: { httpServerMaxPostFileSizeInBytes: 2 * MiB } });
    await log.call('setHttpServerSettings', { settings: { httpServerMaxPostFileSizeInBytes: 3 * MiB } });
    const after = await log.next(
      (m) => m.event === 'httpServerSettingChanged' && m.value === 3 * MiB,
      barrier,
    );
    const between = log.messages.slice(barrier, log.indexOf(after)).filter((m) => m.method === 'event');
    assert.deepEqual(between, []);
  });

  test('unknown setting names and bad values → 400; the user role → 403', async () => {
    const room = await bed.room();
    const api = await bed.connect(room);
    for (const settings of [
      { httpServerFoo: 1 },
      { httpServerPort: 'abc' },
      { httpServerPort: 70000 },
      { httpServerMaxPostFileSizeInBytes: 0 },
      { httpServerConnectionsLimit: 1.5 },
    ]) {
      const error = await expectApiError(api.callRaw('setHttpServerSettings', { settings }), 400);
      assert.equal(error.reply.method, 'setHttpServerSettings');
    }
    await expectApiError(api.callRaw('setHttpServerSettings', {}), 400);
    // Nothing changed.
    assert.equal((await api.call('getHttpServerSettings')).settings[2].value, 4 * GiB);

    const user = await bed.connect(room, { role: 'user' });
    await expectApiError(
      user.call('setHttpServerSettings', { settings: { httpServerMaxPostFileSizeInBytes: 1 } }),
      403,
    );
    await expectApiError(user.call('stopHttpServer'), 403);
    await expectApiError(user.call('startHttpServer'), 403);
    assert.equal((await user.call('getHttpServerState')).state, 'running');
    assert.equal((await api.call('getHttpServerSettings')).settings[2].value, 4 * GiB);
  });
});

describe('startHttpServer / stopHttpServer', () => {
  test('stop: reply, then httpServerStateChanged stopped; the port refuses; start applies the pending port', async () => {
    const room = await bed.room();
    const log = await openLog(room);
    const api = await bed.connect(room);
    assert.deepEqual((await log.call('getHttpServerState')).state, 'running');
    const oldPort = room.httpPort;
    const newPort = await freePort();
    await log.call('setHttpServerSettings', { settings: { httpServerPort: newPort } });

    const stopReply = await log.call('stopHttpServer');
    assert.equal(stopReply.result, true);
    const stopped = await log.event('httpServerStateChanged', log.indexOf(stopReply));
    assert.ok(log.indexOf(stopped) > log.indexOf(stopReply));
    assert.deepEqual(stopped, { method: 'event', event: 'httpServerStateChanged', state: 'stopped' });
    assert.equal((await log.call('getHttpServerState')).state, 'stopped');
    assert.equal((await api.call('getHttpServerState')).state, 'stopped');
    assert.equal(await tryConnect(oldPort), 'ECONNREFUSED');
    // The API and file methods keep working while the HTTP server is stopped.
    assert.deepEqual((await api.call('getFileList')).fileList, []);

    const startReply = await log.call('startHttpServer');
    assert.equal(startReply.result, true);
    const running = await log.event('httpServerStateChanged', log.indexOf(startReply));
    assert.ok(log.indexOf(running) > log.indexOf(startReply));
    assert.equal(running.state, 'running');
    assert.equal((await log.call('getHttpServerState')).state, 'running');

    assert.equal(room.httpPort, newPort);
    assert.equal((await settingsOf(log))[0].value, newPort);
    assert.equal((await api.call('getAppState')).embeddedHttpPort, newPort);
    const config = await fetch(`http://127.0.0.1:${room.webPort}/public/default/config.json`);
    assert.equal(((await config.json()) as { config: { http: { port: number } } }).config.http.port, newPort);
    assert.equal(await tryConnect(oldPort), 'ECONNREFUSED');
    const token = (await api.call('getTokenForHttpServer')).token;
    const { reply } = await uploadOk(room, token, 'moved.txt', 'on the new port');
    const body = await fetch(`http://127.0.0.1:${newPort}/files/${reply.fileId}?token=${token}`);
    assert.equal(await body.text(), 'on the new port');
  });

  test('stopping cuts an upload in flight and keeps nothing of it', async () => {
    const room = await bed.room();
    const api = await bed.connect(room);
    const token = api.tokenForHttpServer;
    const req = request({
      host: '127.0.0.1',
      port: room.httpPort,
      method: 'POST',
      path: `/files/?token=${token}&name=slow.bin`,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(4 * MiB) },
    });
    req.on('error', () => undefined);
    req.write(randomBytes(MiB));
    await waitUntil(() => listDir(room.files.tmpDir).length > 0, 'the upload is being written');
    await api.call('stopHttpServer');
    await waitUntil(() => listDir(room.files.tmpDir).length === 0, 'the partial upload is removed');
    req.destroy();
    assert.deepEqual((await api.call('getFileList')).fileList, []);
    assert.deepEqual(listDir(room.files.filesDir), []);
    assert.equal(room.files.usedBytes(), 0);
  });

  test('start while running and stop while stopped reply result:true, then httpServerStateChanged with the state as it is', async () => {
    const room = await bed.room();
    const log = await openLog(room);
    const start = log.messages.length;
    assert.equal((await log.call('startHttpServer')).result, true);
    await log.call('stopHttpServer');
    await log.event('httpServerStateChanged', start);
    assert.equal((await log.call('stopHttpServer')).result, true);
    // A barrier event: anything announced by the calls above came before it.
    await log.call('setHttpServerSettings', { settings: { httpServerMaxPostFileSizeInBytes: 12345 } });
    const barrier = await log.event('httpServerSettingChanged', start);
    const states = log.messages
      .slice(start, log.indexOf(barrier))
      .filter((m) => m.event === 'httpServerStateChanged')
      .map((m) => m.state);
    assert.deepEqual(states, ['running', 'stopped', 'stopped']);
  });

  test('concurrent starts and stops from two connections: one server, an event after each call', async () => {
    const room = await bed.room();
    const log = await openLog(room);
    const other = await openLog(room);
    const start = log.messages.length;
    const stops = await Promise.all([log.call('stopHttpServer'), other.call('stopHttpServer')]);
    assert.deepEqual(
      stops.map((r) => r.result),
      [true, true],
    );
    assert.equal(await tryConnect(room.httpPort), 'ECONNREFUSED');
    const starts = await Promise.all([log.call('startHttpServer'), other.call('startHttpServer')]);
    assert.deepEqual(
      starts.map((r) => r.result),
      [true, true],
    );
    await log.call('setHttpServerSettings', { settings: { httpServerMaxPostFileSizeInBytes: 4242 } });
    const barrier = await log.event('httpServerSettingChanged', start);
    const states = log.messages
      .slice(start, log.indexOf(barrier))
      .filter((m: RawMessage) => m.event === 'httpServerStateChanged')
      .map((m) => m.state);
    assert.deepEqual(states, ['stopped', 'stopped', 'running', 'running']);
    assert.equal((await log.call('getHttpServerState')).state, 'running');
    const token = (await log.call('getTokenForHttpServer')).token as string;
    assert.equal((await fetch(httpUrl(room, '/files/', token))).status, 200);
    // The room's own view and its server agree, and a stop leaves nothing listening.
    const port = room.httpPort;
    await log.call('stopHttpServer');
    assert.equal(await tryConnect(port), 'ECONNREFUSED');
  });

  test('overlapping starts and stops in one process: one server, one stop', async () => {
    const room = await bed.room();
    await room.stopHttpServer();
    const results = await Promise.all([
      room.startHttpServer(),
      room.startHttpServer(),
      room.startHttpServer(),
    ]);
    assert.equal(results.filter(Boolean).length, 1, 'exactly one start did the work');
    assert.equal(room.httpServerRunning, true);
    const port = room.httpPort;
    assert.equal(await tryConnect(port), 'connected');
    const stops = await Promise.all([room.stopHttpServer(), room.stopHttpServer()]);
    assert.equal(stops.filter(Boolean).length, 1);
    assert.equal(room.httpServerRunning, false);
    assert.equal(await tryConnect(port), 'ECONNREFUSED');
  });

  test('a start on a port in use fails, leaves the server stopped, and a later start on a free port works', async () => {
    const room = await bed.room();
    const api = await bed.connect(room);
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    bed.defer(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const taken = (blocker.address() as { port: number }).port;
    await api.call('setHttpServerSettings', { settings: { httpServerPort: taken } });
    await api.call('stopHttpServer');
    const error = await expectApiError(api.call('startHttpServer'), 500);
    assert.match(error.error, /EADDRINUSE|in use/);
    assert.equal((await api.call('getHttpServerState')).state, 'stopped');
    const free = await freePort();
    await api.call('setHttpServerSettings', { settings: { httpServerPort: free } });
    await api.call('startHttpServer');
    assert.equal((await api.call('getHttpServerState')).state, 'running');
    assert.equal(room.httpPort, free);
    assert.equal((await fetch(httpUrl(room, '/files/', api.tokenForHttpServer))).status, 200);
  });

  test('the connections limit applies on the next start and is enforced', async () => {
    const room = await bed.room();
    const api = await bed.connect(room);
    const token = api.tokenForHttpServer;
    await api.call('setHttpServerSettings', { settings: { httpServerConnectionsLimit: 1 } });
    assert.equal((await api.call('getHttpServerSettings')).settings[1].value, 64);
    await api.call('stopHttpServer');
    await api.call('startHttpServer');
    assert.equal((await api.call('getHttpServerSettings')).settings[1].value, 1);

    // One keep-alive connection that has been answered is surely counted by the server.
    const held: Socket = connect(room.httpPort, '127.0.0.1');
    await once(held, 'connect');
    held.write(`GET /files/?token=${token} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`);
    await once(held, 'data');
    const second = await rawRequest(room, 'GET', `/files/?token=${token}`).then(
      (r) => r.status,
      (error: NodeJS.ErrnoException) => error.code ?? 'error',
    );
    assert.notEqual(second, 200, 'a second connection is not served while the first is held');
    held.destroy();
    await once(held, 'close');
    // Once the first is gone, another is served (the server notices the close asynchronously).
    let status: number | string = 0;
    await eventually(async () => {
      status = await rawRequest(room, 'GET', `/files/?token=${token}`).then(
        (r) => r.status,
        (error: NodeJS.ErrnoException) => error.code ?? 'error',
      );
      return status === 200;
    }, 'a connection is served again');
    assert.equal(status, 200);
  });
});

test('a restart keeps files, ids, names and the HTTP settings', async () => {
  const dataDir = bed.dir('restart-');
  const first = await bed.room({ dataDir });
  const api = await bed.connect(first);
  await api.call('setHttpServerSettings', { settings: { httpServerMaxPostFileSizeInBytes: MiB } });
  const a = await uploadOk(first, api.tokenForHttpServer, 'отчёт 2024 ✓.pdf', randomBytes(5000));
  const b = await uploadOk(first, api.tokenForHttpServer, 'b.txt', 'bee');
  const before = (await api.call('getFileList')).fileList;
  const sha = first.library.find(a.reply.fileId)?.sha256;
  await first.stop();
  // A body left in tmp by an upload that never finished has no fileId: the next start removes it.
  writeFileSync(join(first.files.tmpDir, 'leftover'), 'partial body');

  const second = await bed.room({ dataDir });
  const again = await bed.connect(second);
  assert.deepEqual((await again.call('getFileList')).fileList, before);
  assert.deepEqual(before.map((f) => f.fileId).sort(), [a.reply.fileId, b.reply.fileId].sort());
  assert.equal((await again.call('getHttpServerSettings')).settings[2].value, MiB);
  const token = again.tokenForHttpServer;
  const download = await fetch(httpUrl(second, `/files/${a.reply.fileId}`, token));
  assert.equal(download.headers.get('etag'), `"${sha}"`);
  assert.match(download.headers.get('content-disposition') ?? '', /filename\*=UTF-8''/);
  await download.arrayBuffer();
  const refused = await sendRefusable(
    second,
    `/files/?token=${token}&name=x.bin`,
    { 'content-type': 'application/octet-stream', 'content-length': String(2 * MiB) },
    [randomBytes(2 * MiB)],
  );
  assert.equal(refused.status, 413);
  assert.deepEqual(listDir(second.files.filesDir), [a.reply.fileId, b.reply.fileId].map(String).sort());
  assert.deepEqual(listDir(second.files.tmpDir), []);
});

test('command-line values are not stored by setHttpServerSettings; set values are', async () => {
  const dataDir = bed.dir('overrides-');
  const first = await bed.room({ dataDir, maxPostBytes: 5000 });
  const api = await bed.connect(first);
  assert.equal((await api.call('getHttpServerSettings')).settings[2].value, 5000);
  await api.call('setHttpServerSettings', { settings: { httpServerConnectionsLimit: 10 } });
  await first.stop();

  // Without the command-line value, the default comes back; the value set over the API stays.
  const second = await bed.room({ dataDir });
  const again = await bed.connect(second);
  const settings = (await again.call('getHttpServerSettings')).settings;
  assert.deepEqual(
    settings.slice(1).map((s) => s.value),
    [10, 4 * GiB],
  );
});

test('a port set while running is used after a restart of the room', async () => {
  const dataDir = bed.dir('restart-port-');
  const first = await bed.room({ dataDir });
  const api = await bed.connect(first);
  const wanted = await freePort();
  await api.call('setHttpServerSettings', { settings: { httpServerPort: wanted } });
  assert.notEqual(first.httpPort, wanted);
  await first.stop();

  // No port on the command line: the stored one applies.
  const second = await bed.room({ dataDir, httpPort: undefined });
  assert.equal(second.httpPort, wanted);
  const again = await bed.connect(second);
  assert.equal((await again.call('getHttpServerSettings')).settings[0].value, wanted);
  assert.equal((await again.call('getAppState')).embeddedHttpPort, wanted);
  const response = await fetch(`http://127.0.0.1:${wanted}/files/?token=${again.tokenForHttpServer}`);
  assert.equal(response.status, 200);
  await response.arrayBuffer();
});
