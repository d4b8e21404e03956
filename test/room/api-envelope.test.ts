// The WebSocket transport (room-api.md §1) and the message envelope (§2) of a room's API port, driven over raw
// WebSockets so that every byte the room sends can be checked.
import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import WebSocket, { type ClientOptions } from 'ws';
import { TestBed } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import type { Room } from '../../src/room/room.js';
import type { ApiConnection } from '../../src/room/api-connection.js';

const bed = new TestBed();
after(() => bed.close());

type Message = Record<string, unknown>;

/**
 * A raw WebSocket client: it queues what the room sends (text and binary frames kept apart) and lets a test
 * wait for the next reply, a named event, a number of pings or the close, never for a fixed time.
 */
class RawSocket {
  private readonly inbox: { text: string; binary: boolean }[] = [];
  private readonly waiters = new Set<() => void>();
  pings = 0;
  closeInfo: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      this.inbox.push({ text: String(data), binary: isBinary });
      this.wake();
    });
    ws.on('ping', () => {
      this.pings += 1;
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString() };
      this.wake();
    });
    ws.on('error', () => undefined);
  }

  static open(port: number, options: ClientOptions = {}): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false, ...options });
      const socket = new RawSocket(ws);
      bed.defer(() => ws.terminate());
      ws.once('open', () => resolve(socket));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** An upgrade that the room must refuse: resolves with the HTTP status and body it answered with. */
  static refusal(port: number, options: ClientOptions = {}): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false, ...options });
      ws.on('error', () => undefined);
      ws.once('open', () => {
        ws.terminate();
        reject(new Error('the upgrade was accepted'));
      });
      ws.once('unexpected-response', (req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves with the first non-undefined value of `pick`, re-checked each time something arrives. */
  until<T>(pick: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
    return waitFor(what, pick, { wake: this.waiters, timeoutMs });
  }

  private take(match: (message: Message) => boolean): Message | undefined {
    for (let i = 0; i < this.inbox.length; i++) {
      const { text, binary } = this.inbox[i];
      assert.equal(binary, false, `the room sent a binary frame: ${text}`);
      const message = JSON.parse(text) as Message;
      if (match(message)) {
        this.inbox.splice(i, 1);
        return message;
      }
    }
    if (this.closeInfo) throw new Error(`connection closed (${this.closeInfo.code})`);
    return undefined;
  }

  /** The next message that is not an event. */
  reply(): Promise<Message> {
    return this.until(() => this.take((m) => m.method !== 'event'), 'a reply');
  }

  event(name: string): Promise<Message> {
    return this.until(() => this.take((m) => m.method === 'event' && m.event === name), `event ${name}`);
  }

  send(payload: string | object): void {
    this.ws.send(typeof payload === 'string' ? payload : JSON.stringify(payload));
  }

  ask(payload: string | object): Promise<Message> {
    this.send(payload);
    return this.reply();
  }

  closed(): Promise<{ code: number; reason: string }> {
    return this.until(() => this.closeInfo, 'the close');
  }
}

/** A raw connection that has authorized (unprotected room: admin). */
async function authorized(room: Room, options: ClientOptions = {}): Promise<RawSocket> {
  const socket = await RawSocket.open(room.apiPort, options);
  const reply = await socket.ask({ method: 'auth', type: 'unsecured' });
  assert.equal(reply.result, true, JSON.stringify(reply));
  return socket;
}

/** The connection answers a valid request: what must still hold after every failure. */
async function stillServes(socket: RawSocket, requestId = 'alive'): Promise<void> {
  const reply = await socket.ask({ method: 'getAppState', requestId });
  assert.equal(reply.method, 'getAppState');
  assert.equal(reply.requestId, requestId);
  assert.equal(reply.result, true, JSON.stringify(reply));
  assert.equal(typeof reply.appState, 'number');
}

/** The room-side connection that appears while `open` runs (to wait for its close event). */
async function serverSideOf<T>(
  room: Room,
  open: () => Promise<T>,
): Promise<{ value: T; conn: ApiConnection }> {
  const before = new Set(room.connections);
  const value = await open();
  const added = [...room.connections].filter((c) => !before.has(c));
  assert.equal(added.length, 1, 'exactly one new connection on the room');
  return { value, conn: added[0] };
}

function serverClosed(conn: ApiConnection): Promise<void> {
  if (conn.socket.readyState === conn.socket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => conn.socket.once('close', () => resolve()));
}

/** A failure reply of the shape room-api.md §2 fixes: `error` a non-empty string, nothing else unexpected. */
function assertFailure(
  reply: Message,
  expected: { method: string; requestId: string; errorCode: number },
  errorMentions?: string,
): void {
  const { error, ...rest } = reply;
  assert.equal(typeof error, 'string', `error must be a string: ${JSON.stringify(reply)}`);
  assert.ok((error as string).length > 0);
  assert.deepEqual(rest, { ...expected, result: false });
  if (errorMentions !== undefined) {
    assert.ok(
      (error as string).includes(errorMentions),
      `error "${String(error)}" should name "${errorMentions}"`,
    );
  }
}

describe('envelope (room-api.md §2)', () => {
  test('input that is not a JSON object, or has no string method, gets the method-less 400 reply', async () => {
    const room = await bed.room();
    const socket = await authorized(room);
    const inputs = [
      '{not json',
      '',
      '{"method":"getAppState"',
      '[1,2,3]',
      '[]',
      '42',
      '"getAppState"',
      'null',
      'true',
      '{}',
      '{"params":{"method":"getAppState"}}',
      '{"method":""}',
      '{"method":5}',
      '{"method":null}',
      '{"method":true}',
      '{"method":["getAppState"]}',
      '{"method":{"name":"getAppState"}}',
      // §2 gives this reply exactly, with requestId "" even when the message carried one.
      '{"requestId":"r1"}',
      '{"method":"","requestId":"r2"}',
    ];
    for (const [i, input] of inputs.entries()) {
      const reply = await socket.ask(input);
      assertFailure(reply, { method: '', requestId: '', errorCode: 400 });
      await stillServes(socket, `after-${i}`);
    }
  });

  test('the failure reply for a non-object has exactly the fields of §2', async () => {
    const room = await bed.room();
    const socket = await authorized(room);
    const reply = await socket.ask('[{"method":"getAppState"}]');
    assert.deepEqual(Object.keys(reply).sort(), ['error', 'errorCode', 'method', 'requestId', 'result']);
    assert.deepEqual(
      { ...reply, error: 'x' },
      {
        method: '',
        requestId: '',
        result: false,
        error: 'x',
        errorCode: 400,
      },
    );
  });

  test('an unknown method gets 404 with the method echoed and named', async () => {
    const room = await bed.room();
    const socket = await authorized(room);
    for (const name of [
      'noSuchMethod',
      'GetAppState',
      'getappstate',
      'constructor',
      '__proto__',
      'toString',
    ]) {
      const reply = await socket.ask({ method: name, requestId: 'u1' });
      assertFailure(reply, { method: name, requestId: 'u1', errorCode: 404 }, name);
      await stillServes(socket);
    }
  });

  test('an unknown method is named in the reply even before auth', async () => {
    const room = await bed.room();
    const socket = await RawSocket.open(room.apiPort);
    const reply = await socket.ask({ method: 'fooBar' });
    assert.equal(reply.method, 'fooBar');
    assert.equal(reply.result, false);
    // An unknown name is not "a method other than auth" (§2's 401 row): it is unknown (404) for everyone.
    assert.equal(reply.errorCode, 404, JSON.stringify(reply));
    // The connection stays, still unauthorized: setUsedApiVersion answers, getAppState is a 401.
    assert.equal((await socket.ask({ method: 'setUsedApiVersion', version: '2' })).result, true);
    assert.equal((await socket.ask({ method: 'getAppState' })).errorCode, 401);
  });

  test('a missing parameter gets 400 naming it; the connection keeps serving', async () => {
    const room = await bed.room();
    const socket = await authorized(room);
    const cases: [object, string][] = [
      [{ method: 'getFileRequestInfo' }, 'fileRequestId'],
      [{ method: 'acceptIncomingFileRequest' }, 'fileRequestId'],
      [{ method: 'rejectIncomingFileRequest' }, 'fileRequestId'],
      [{ method: 'deleteFileTransferFile' }, 'fileId'],
      [{ method: 'sendFileToConference' }, 'fileId'],
      [{ method: 'sendFile', peerId: 'bob@files.local' }, 'fileId'],
      [{ method: 'connectToServer' }, 'server'],
      [{ method: 'login', password: 'x' }, 'login'],
      [{ method: 'login', login: 'alice@files.local' }, 'password'],
      [{ method: 'setHttpServerSettings' }, 'settings'],
      [{ method: 'setUsedApiVersion' }, 'version'],
      [{ method: 'call' }, 'peerId'],
      [{ method: 'inviteToConference' }, 'peerId'],
      [{ method: 'createConference' }, 'title'],
    ];
    for (const [i, [request, param]] of cases.entries()) {
      const method = (request as { method: string }).method;
      const reply = await socket.ask({ ...request, requestId: `m${i}` });
      assertFailure(reply, { method, requestId: `m${i}`, errorCode: 400 }, param);
      await stillServes(socket);
    }
  });

  test('a mistyped parameter gets 400 naming it; the connection keeps serving', async () => {
    const room = await bed.room();
    const socket = await authorized(room);
    const cases: [object, string][] = [
      [{ method: 'getFileRequestInfo', fileRequestId: 5 }, 'fileRequestId'],
      [{ method: 'getFileRequestInfo', fileRequestId: '' }, 'fileRequestId'],
      [{ method: 'getFileRequestInfo', fileRequestId: null }, 'fileRequestId'],
      [{ method: 'deleteFileTransferFile', fileId: 'abc' }, 'fileId'],
      [{ method: 'deleteFileTransferFile', fileId: 1.5 }, 'fileId'],
      [{ method: 'deleteFileTransferFile', fileId: -1 }, 'fileId'],
      [{ method: 'deleteFileTransferFile', fileId: [1] }, 'fileId'],
      [{ method: 'sendFile', fileId: true, peerId: 'bob' }, 'fileId'],
      [{ method: 'sendFile', fileId: 1, peerId: 7 }, 'peerId'],
      [{ method: 'connectToServer', server: 42 }, 'server'],
      [{ method: 'connectToServer', server: 'h', port: 'x' }, 'port'],
      [{ method: 'connectToServer', server: 'h', port: 70000 }, 'port'],
      [{ method: 'login', login: 'a@b', password: 1 }, 'password'],
      [{ method: 'login', login: 'a@b', password: 'p', encryptPassword: 'yes' }, 'encryptPassword'],
      [{ method: 'setHttpServerSettings', settings: 'fast' }, 'settings'],
      [{ method: 'setHttpServerSettings', settings: { httpServerPort: 'x' } }, 'httpServerPort'],
      [{ method: 'setHttpServerSettings', settings: { noSuchSetting: 1 } }, 'noSuchSetting'],
      [{ method: 'clearFileTransferHistory', deleteFilesFromDisk: 'yes' }, 'deleteFilesFromDisk'],
      [{ method: 'setUsedApiVersion', version: true }, 'version'],
      [{ method: 'hangUp', forAll: 1 }, 'forAll'],
      [{ method: 'auth', type: 'magic' }, 'type'],
      [{ method: 'auth', type: 'secured', credentials: 1234 }, 'credentials'],
      [{ method: 'auth', role: 'root' }, 'role'],
    ];
    for (const [i, [request, param]] of cases.entries()) {
      const method = (request as { method: string }).method;
      const reply = await socket.ask({ ...request, requestId: `t${i}` });
      assertFailure(reply, { method, requestId: `t${i}`, errorCode: 400 }, param);
      await stillServes(socket);
    }
  });

  test('an unsupported API version is a 400; versions 1 and 2 are accepted before auth', async () => {
    const room = await bed.room();
    const socket = await RawSocket.open(room.apiPort);
    for (const version of ['1', '2', 1, 2]) {
      const reply = await socket.ask({ method: 'setUsedApiVersion', version });
      assert.deepEqual(reply, { method: 'setUsedApiVersion', requestId: '', result: true });
    }
    const bad = await socket.ask({ method: 'setUsedApiVersion', version: '3' });
    assertFailure(bad, { method: 'setUsedApiVersion', requestId: '', errorCode: 400 }, '3');
    const auth = await socket.ask({ method: 'auth', type: 'unsecured' });
    assert.equal(auth.result, true);
    await stillServes(socket);
  });

  test('every method but auth and setUsedApiVersion is refused with 401 before auth', async () => {
    const room = await bed.room();
    const socket = await RawSocket.open(room.apiPort);
    const methods = [
      'getAppState',
      'getSystemInfo',
      'getSettings',
      'getMonitorsInfo',
      'getConnected',
      'getLogin',
      'getTokenForHttpServer',
      'clearTokens',
      'logout',
      'getFileList',
      'getFileTransferAvailability',
      'getIncomingFilesRequests',
      'getOutgoingFilesRequests',
      'getFileTransferHistory',
      'getHttpServerSettings',
      'getHttpServerState',
      'stopHttpServer',
      'getConferences',
    ];
    for (const method of methods) {
      const reply = await socket.ask({ method, requestId: method });
      assertFailure(reply, { method, requestId: method, errorCode: 401 });
      // The same connection still answers: the public method works, and the refusal did not close it.
      const version = await socket.ask({ method: 'setUsedApiVersion', version: '2' });
      assert.equal(version.result, true);
    }
    // A method with missing parameters is still refused for the missing auth, not described.
    const early = await socket.ask({ method: 'getFileRequestInfo' });
    assertFailure(early, { method: 'getFileRequestInfo', requestId: '', errorCode: 401 });
    assert.equal((await socket.ask({ method: 'auth', type: 'unsecured' })).result, true);
    await stillServes(socket);
    assert.equal(room.httpServerRunning, true, 'the refused stopHttpServer did nothing');
  });

  test('requestId is echoed as a string, numbers as strings, "" when absent or not a string', async () => {
    const room = await bed.room();
    const socket = await authorized(room);
    const cases: [unknown, string][] = [
      ['abc', 'abc'],
      ['', ''],
      ['7', '7'],
      [7, '7'],
      [0, '0'],
      [12.5, '12.5'],
      [undefined, ''],
      [null, ''],
      [{}, ''],
      [true, ''],
    ];
    for (const [raw, echoed] of cases) {
      const request =
        raw === undefined ? { method: 'getAppState' } : { method: 'getAppState', requestId: raw };
      const ok = await socket.ask(request);
      assert.equal(ok.requestId, echoed, `success for ${JSON.stringify(raw)}`);
      assert.equal(ok.result, true);
      const failed = await socket.ask({ ...request, method: 'noSuchMethod' });
      assert.equal(failed.requestId, echoed, `failure for ${JSON.stringify(raw)}`);
      assert.equal(failed.result, false);
    }
  });

  test('replies echo the method exactly, with fields at top level', async () => {
    const room = await bed.room();
    const socket = await authorized(room);
    const state = await socket.ask({ method: 'getAppState', requestId: '1' });
    assert.deepEqual(state, {
      method: 'getAppState',
      requestId: '1',
      appState: state.appState,
      embeddedHttpPort: room.httpPort,
      result: true,
    });
    for (const method of [
      'getFileList',
      'getHttpServerState',
      'getLogin',
      'getMonitorsInfo',
      'getSettings',
    ]) {
      const reply = await socket.ask({ method });
      assert.equal(reply.method, method);
      assert.equal(reply.requestId, '');
      assert.equal(reply.result, true, JSON.stringify(reply));
    }
    const token = await socket.ask({ method: 'getTokenForHttpServer' });
    assert.deepEqual(Object.keys(token).sort(), ['method', 'requestId', 'result', 'token']);
  });

  test('key order and whitespace do not matter (the Qt client sorts keys)', async () => {
    const room = await bed.room();
    const socket = await RawSocket.open(room.apiPort);
    const auth = await socket.ask(
      '\n{ "requestId" : "a1" ,\r\n\t"type":"unsecured",  "method" : "auth" }  \n',
    );
    assert.equal(auth.method, 'auth');
    assert.equal(auth.requestId, 'a1');
    assert.equal(auth.result, true);
    const info = await socket.ask(
      '{"fileRequestId":"00000000-0000-4000-8000-000000000000","method":"getFileRequestInfo"}',
    );
    assertFailure(info, { method: 'getFileRequestInfo', requestId: '', errorCode: 404 });
    await stillServes(socket);
  });

  test('replies come in the order requests were sent, one text frame each', async () => {
    const room = await bed.room();
    const socket = await authorized(room);
    const sent = Array.from({ length: 40 }, (_, i) =>
      i % 3 === 0
        ? { method: 'noSuchMethod', requestId: String(i) }
        : { method: 'getAppState', requestId: String(i) },
    );
    for (const request of sent) socket.send(request);
    for (const request of sent) {
      const reply = await socket.reply();
      assert.equal(reply.requestId, request.requestId);
      assert.equal(reply.method, request.method);
    }
  });
});

describe('transport (room-api.md §1)', () => {
  test('a message over 64 KiB closes that connection with 1009; exactly 64 KiB is served; others are unaffected', async () => {
    const room = await bed.room();
    const bystander = await authorized(room);
    const socket = await authorized(room);

    // Exactly 65536 bytes: at the limit, still served.
    const base = JSON.stringify({ method: 'getAppState', requestId: 'big', pad: '' });
    const exact = JSON.stringify({
      method: 'getAppState',
      requestId: 'big',
      pad: 'x'.repeat(64 * 1024 - base.length),
    });
    assert.equal(Buffer.byteLength(exact), 64 * 1024);
    const reply = await socket.ask(exact);
    assert.equal(reply.result, true);

    const tooBig = JSON.stringify({
      method: 'getAppState',
      requestId: 'big',
      pad: 'x'.repeat(64 * 1024 - base.length + 1),
    });
    assert.equal(Buffer.byteLength(tooBig), 64 * 1024 + 1);
    socket.send(tooBig);
    const closed = await socket.closed();
    assert.equal(closed.code, 1009);

    await stillServes(bystander);
    const fresh = await authorized(room);
    await stillServes(fresh);
  });

  test('no permessage-deflate, even when the client offers it', async () => {
    const room = await bed.room();
    const socket = await RawSocket.open(room.apiPort, { perMessageDeflate: true });
    assert.equal(socket.ws.extensions, '');
    assert.equal((await socket.ask({ method: 'auth', type: 'unsecured' })).result, true);
  });

  test('a peer that answers no pongs is dropped after two missed pongs; one that answers stays', async () => {
    const room = await bed.room({ pingIntervalMs: 100 });
    const silent = await serverSideOf(room, () => authorized(room, { autoPong: false }));
    const alive = await authorized(room);

    const closed = await silent.value.closed();
    await serverClosed(silent.conn);
    assert.ok(silent.value.pings >= 2, `dropped after ${silent.value.pings} ping(s): it must miss two pongs`);
    assert.ok(silent.value.pings <= 3, `still kept after ${silent.value.pings} missed pongs`);
    assert.notEqual(closed.code, 1000);
    assert.equal(room.connections.has(silent.conn), false);

    // The answering peer has seen more pings than it took to drop the silent one, and is still served.
    const seen = alive.pings;
    await alive.until(() => (alive.pings >= seen + 4 ? true : undefined), 'four more pings');
    assert.equal(alive.ws.readyState, WebSocket.OPEN);
    await stillServes(alive);
  });

  test('an abrupt TCP close is a normal disconnect; the room keeps serving others', async () => {
    const room = await bed.room();
    const other = await authorized(room);

    // Terminated right after authorizing.
    const a = await serverSideOf(room, () => authorized(room));
    a.value.ws.terminate();
    await serverClosed(a.conn);
    assert.equal(room.connections.has(a.conn), false);
    assert.equal(a.conn.authorized, false);

    // Destroyed with requests in flight: the replies have nowhere to go.
    const b = await serverSideOf(room, () => authorized(room));
    for (let i = 0; i < 20; i++) b.value.send({ method: 'getFileList', requestId: String(i) });
    (b.value.ws as unknown as { _socket: import('node:net').Socket })._socket.destroy();
    await serverClosed(b.conn);

    // Destroyed in the middle of a frame (header says 100 bytes, 3 arrive).
    const c = await serverSideOf(room, () => authorized(room));
    const raw = (c.value.ws as unknown as { _socket: import('node:net').Socket })._socket;
    raw.write(Buffer.from([0x81, 0x80 | 100, 1, 2, 3, 4, 0x7b, 0x22, 0x6d]));
    raw.destroy();
    await serverClosed(c.conn);

    // Reset (RST) during the upgrade handshake itself.
    await new Promise<void>((resolve, reject) => {
      const socket = tcpConnect(room.apiPort, '127.0.0.1', () => {
        socket.write(
          'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
          () => {
            socket.resetAndDestroy();
            resolve();
          },
        );
      });
      socket.on('error', reject);
    });

    await stillServes(other);
    const fresh = await authorized(room);
    await stillServes(fresh);
  });

  test('a refused upgrade reset by the client does not take the room down', async () => {
    const room = await bed.room();
    const other = await authorized(room);
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve, reject) => {
        const socket = tcpConnect(room.apiPort, '127.0.0.1', () => {
          socket.write(
            'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
              'Origin: http://evil.example\r\n' +
              'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
            () => {
              socket.resetAndDestroy();
              resolve();
            },
          );
        });
        socket.on('error', reject);
      });
    }
    await stillServes(other);
  });

  test('Origin: none, or this room’s own ports on loopback, is accepted', async () => {
    const room = await bed.room();
    const origins = [
      undefined,
      `http://127.0.0.1:${room.webPort}`,
      `http://localhost:${room.webPort}`,
      `http://localhost:${room.apiPort}`,
      `http://127.0.0.1:${room.apiPort}`,
      `http://127.0.0.1:${room.httpPort}`,
      `http://[::1]:${room.webPort}`,
      `HTTP://LOCALHOST:${room.webPort}`,
    ];
    for (const origin of origins) {
      const socket = await authorized(room, origin === undefined ? {} : { origin });
      await stillServes(socket);
      socket.ws.close();
    }
  });

  test('any other Origin is refused with 403 before the upgrade', async () => {
    const room = await bed.room();
    const origins = [
      `http://evil.example:${room.webPort}`,
      `http://evil.example:${room.apiPort}`,
      'http://127.0.0.1:9',
      'http://localhost',
      `http://127.0.0.1.evil.example:${room.webPort}`,
      `http://localhost.evil.example:${room.webPort}`,
      `ftp://127.0.0.1:${room.webPort}`,
      `file://127.0.0.1:${room.webPort}`,
      'null',
      'not a url',
      'https://app.example',
    ];
    for (const origin of origins) {
      const refused = await RawSocket.refusal(room.apiPort, { origin });
      assert.equal(refused.status, 403, `origin ${origin}`);
    }
    assert.equal(room.connections.size, 0, 'no connection was opened');
    await stillServes(await authorized(room));
  });

  test('--allow-origin admits a listed origin and nothing more', async () => {
    const room = await bed.room({
      allowOrigins: ['https://app.example', 'http://Tools.Example:8080/', 'https://default-port.example:443'],
    });
    for (const origin of [
      'https://app.example',
      'http://tools.example:8080',
      'https://default-port.example',
      `http://127.0.0.1:${room.webPort}`,
    ]) {
      const socket = await authorized(room, { origin });
      await stillServes(socket);
    }
    for (const origin of [
      'https://evil.example',
      'http://app.example',
      'https://app.example:444',
      'http://tools.example',
    ]) {
      const refused = await RawSocket.refusal(room.apiPort, { origin });
      assert.equal(refused.status, 403, `origin ${origin}`);
    }
  });

  test('a plain HTTP request to the API port gets a JSON 426', async () => {
    const room = await bed.room();
    for (const method of ['GET', 'POST']) {
      const response = await fetch(`http://127.0.0.1:${room.apiPort}/`, { method });
      assert.equal(response.status, 426);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const body = (await response.json()) as { error: unknown; errorCode: unknown };
      assert.equal(typeof body.error, 'string');
      assert.equal(body.errorCode, 426);
    }
    await stillServes(await authorized(room));
  });
});
