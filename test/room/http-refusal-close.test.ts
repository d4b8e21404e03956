import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { TestBed } from '../helpers/harness.js';
import { eventually, listDir, multipartFraming, uploadMultipart, waitUntil } from '../helpers/http.js';
import { CHUNK, RawConnection, chunked, head, type ParsedResponse } from '../helpers/raw-http.js';
import { buildHttpServer } from '../../src/room/http-server.js';
import { OriginPolicy } from '../../src/room/origin-policy.js';
import { silentLogger } from '../../src/common/logger.js';
import { DEFAULT_LINGER_BOUNDS } from '../../src/common/lingering-close.js';

/**
 * A refusal sent while the client is still sending its body (a quota, a limit, a token, a route) reaches every
 * client: the room closes such a connection in stages (a lingering close), reading and discarding the rest of the
 * body within bounds, instead of resetting it under the client's feet. The clients here are raw sockets, so that
 * what the server does to the connection (an orderly end, a reset) is seen as it is.
 */

const bed = new TestBed();
after(() => bed.close());

const MiB = 1024 * 1024;

async function roomWithToken(options: Parameters<TestBed['room']>[0] = {}) {
  const room = await bed.room(options);
  const api = await bed.connect(room);
  return { room, api, token: api.tokenForHttpServer };
}

function assertJsonRefusal(response: ParsedResponse | undefined, status: number): void {
  assert.ok(response, `a ${status} response arrived`);
  assert.equal(response.status, status);
  assert.match(response.headers['content-type'] ?? '', /^application\/json/);
  assert.equal((JSON.parse(response.body) as { errorCode: number }).errorCode, status);
  assert.equal(response.headers.connection, 'close', 'the client is told to stop sending');
}

describe('refusals while the body is still coming', () => {
  const framing = multipartFraming('big.bin');
  /** How each kind of upload frames its body: the request's path and headers, what opens and closes the body. */
  const cases: {
    name: string;
    request: (token: string) => [string, Record<string, string>];
    frame?: (chunk: Buffer) => Buffer;
    opening?: Buffer;
    closing?: Buffer;
    /** Body bytes sent before the refusal is awaited (a refusal midway needs the quota's worth first). */
    before: number;
  }[] = [
    {
      name: 'refused by its declared length',
      request: (token) => [
        `/files/?token=${token}&name=big.bin`,
        { 'content-type': 'application/octet-stream', 'content-length': String(4 * MiB) },
      ],
      before: 0,
    },
    {
      name: 'refused midway, a raw body',
      request: (token) => [
        `/files/?token=${token}&name=big.bin`,
        { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
      ],
      frame: chunked,
      closing: Buffer.from('0\r\n\r\n'),
      before: 2 * MiB,
    },
    {
      name: 'refused midway, a multipart body',
      request: (token) => [
        `/files/?token=${token}`,
        { 'content-type': framing.contentType, 'transfer-encoding': 'chunked' },
      ],
      frame: chunked,
      opening: chunked(framing.head),
      closing: Buffer.concat([chunked(framing.tail), Buffer.from('0\r\n\r\n')]),
      before: 2 * MiB,
    },
  ];

  for (const { name, request, frame, opening, closing, before } of cases) {
    test(`${name}: a client that sends the rest of its body after the 507 is not reset, on a reused connection`, async () => {
      const { room, token } = await roomWithToken({ quotaBytes: MiB });
      // Half-open allowed: the client sends its whole body even after the room's end (as a client that reads the
      // answer only once it has sent its request does).
      const connection = await RawConnection.open(room.httpPort, true);
      // A first upload keeps the connection open (keep-alive), as an HTTP client's pool reuses it.
      await connection.write(
        head(`/files/?token=${token}&name=small.txt`, {
          'content-type': 'application/octet-stream',
          'content-length': '5',
        }) + 'small',
      );
      await waitUntil(() => connection.responses().length === 1, 'the first upload is answered');
      assert.equal(connection.responses()[0].status, 200);

      const [path, headers] = request(token);
      await connection.write(head(path, headers));
      if (opening) await connection.write(opening);
      await connection.writeBody(before, frame);
      await waitUntil(() => connection.responses().length === 2, 'the room refuses the upload');
      assertJsonRefusal(connection.responses()[1], 507);
      // The rest of the body comes after the answer: the room has sent it, and still reads what comes.
      const sentWhole =
        (await connection.writeBody(4 * MiB - before, frame)) &&
        (!closing || (await connection.write(closing)));
      connection.socket.end();
      await waitUntil(() => connection.closed, 'the connection is closed');

      assert.equal(connection.error, undefined, `no reset under the client (${connection.error?.message})`);
      assert.ok(sentWhole, 'the whole body could be sent');
      assert.ok(connection.ended, 'the room ended the connection in order');
      await waitUntil(() => listDir(room.files.tmpDir).length === 0, 'the tmp dir is empty');
      assert.equal(room.library.list().length, 1, 'only the first upload is kept');
    });
  }

  test("fetch reads the refusal of an upload sent on its pool's reused connection", async () => {
    const { room, api, token } = await roomWithToken();
    await api.call('setHttpServerSettings', { settings: { httpServerMaxPostFileSizeInBytes: 1.25 * MiB } });
    for (let round = 0; round < 3; round += 1) {
      // Each round: two uploads that fit (the pool keeps their connection), then one over the limit on it (Node
      // 24's fetch reported EPIPE for it, the reset of a room that closed at once, before the lingering close).
      for (const fits of [`a-${round}.bin`, `b-${round}.bin`]) {
        assert.equal((await uploadMultipart(room, token, fits, randomBytes(MiB))).status, 200);
      }
      const refused = await uploadMultipart(room, token, `big-${round}.bin`, randomBytes(1.5 * MiB));
      assert.equal(refused.status, 413);
      assert.equal(((await refused.json()) as { errorCode: number }).errorCode, 413);
    }
  });

  test('a client that keeps sending after the refusal is cut once a bounded amount has been read', async () => {
    const { room, token } = await roomWithToken();
    const connection = await RawConnection.open(room.httpPort);
    // No route: the 404 is sent before the body, which declares a gigabyte.
    await connection.write(
      head(`/no-such-route?token=${token}`, {
        'content-type': 'application/octet-stream',
        'content-length': String(1024 * MiB),
      }),
    );
    const limit = DEFAULT_LINGER_BOUNDS.maxBytes + 64 * MiB;
    while (connection.written < limit && (await connection.write(randomBytes(CHUNK)))) {
      /* keeps sending */
    }
    await waitUntil(() => connection.closed, 'the room cuts the connection');
    assertJsonRefusal(connection.responses()[0], 404);
    // What the kernels of both ends buffer comes on top of what the room read and dropped.
    assert.ok(connection.written < limit, `cut after ${connection.written} bytes, not ${limit}`);
  });

  test('a client that stops sending after the refusal is closed after a short silence', async () => {
    const room = await bed.room();
    // The room's server, built here to see its connections.
    const app = buildHttpServer({
      host: '127.0.0.1',
      auth: room.auth,
      files: room.files,
      library: room.library,
      origins: new OriginPolicy('127.0.0.1', () => [], []),
      logger: silentLogger,
      maxPostBytes: () => 64 * MiB,
      quotaBytes: () => room.quotaBytes,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    bed.defer(() => app.close());
    const port = (app.server.address() as AddressInfo).port;
    // Half-open allowed: the client does not answer the room's end with its own, so only the room's bound closes.
    const connection = await RawConnection.open(port, true);
    await connection.write(
      head('/files/?token=nope&name=x.bin', {
        'content-type': 'application/octet-stream',
        'content-length': String(64 * MiB),
      }),
    );
    await connection.writeBody(MiB);
    await waitUntil(() => connection.ended, 'the room has sent its answer and its end');
    assertJsonRefusal(connection.responses()[0], 401);
    const connections = () => promisify(app.server.getConnections.bind(app.server))();
    assert.equal(await connections(), 1);
    await eventually(
      async () => (await connections()) === 0,
      'the room closes the silent connection',
      30_000,
    );
  });

  test('a small body refused on a route that keeps the connection is read in place: the connection stays', async () => {
    const { room, token } = await roomWithToken();
    const connection = await RawConnection.open(room.httpPort);
    const body = randomBytes(1000);
    // 415: a type no parser takes; the body is small, so the connection is kept for the next request.
    await connection.write(
      head(`/files/?token=${token}`, {
        'content-type': 'application/x-unknown',
        'content-length': String(body.length),
      }),
    );
    await connection.write(body);
    await connection.write(
      `GET /files/?token=${token} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`,
    );
    await waitUntil(() => connection.closed, 'both requests are answered');
    const [refused, list] = connection.responses();
    assert.equal(refused.status, 415);
    assert.notEqual(refused.headers.connection, 'close');
    assert.equal(list.status, 200);
  });
});
