import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join, relative } from 'node:path';
import { TestBed } from '../helpers/harness.js';
import {
  httpUrl,
  listDir,
  multipartFraming,
  rawRequest,
  sendRefusable,
  sha256,
  uploadMultipart,
  uploadOk,
  waitUntil,
  type UploadReply,
} from '../helpers/http.js';
import type { Room } from '../../src/room/room.js';
import { buildHttpServer, DEFAULT_IDLE_TIMEOUT_MS } from '../../src/room/http-server.js';
import { OriginPolicy } from '../../src/room/origin-policy.js';
import { silentLogger } from '../../src/common/logger.js';
import { ManualClock } from '../../src/common/clock.js';

const bed = new TestBed();
after(() => bed.close());

const MiB = 1024 * 1024;

async function roomWithToken(options: Parameters<TestBed['room']>[0] = {}) {
  const room = await bed.room(options);
  const api = await bed.connect(room);
  return { room, api, token: api.tokenForHttpServer };
}

async function json(response: Response): Promise<Record<string, unknown>> {
  const type = response.headers.get('content-type') ?? '';
  assert.match(type, /^application\/json/, `expected a JSON body, got ${type}`);
  return (await response.json()) as Record<string, unknown>;
}

/** Every file under a directory, relative to it. */
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path).map((p) => join(name, p)) : [name];
  });
}

/** The data directory holds the database, numeric bodies under files/, and nothing else. */
function assertOnlyNumericBodies(room: Room): void {
  for (const path of walk(room.dataDir)) {
    if (/^room\.db(-wal|-shm)?$/.test(path)) continue;
    assert.match(path, /^files\/[1-9][0-9]*$/, `unexpected file ${path} in the data dir`);
  }
  assert.equal(relative(room.dataDir, room.files.filesDir), 'files');
}

function assertNothingKept(room: Room): void {
  assert.deepEqual(listDir(room.files.filesDir), [], 'files dir must be empty');
  assert.deepEqual(listDir(room.files.tmpDir), [], 'tmp dir must be empty');
  assert.equal(room.library.list().length, 0, 'no file may be recorded');
  assert.equal(room.files.usedBytes(), 0, 'nothing may stay counted against the quota');
}

function assertJsonError(
  response: { status: number; body: Buffer; headers: Record<string, unknown> },
  status: number,
) {
  assert.equal(response.status, status);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const body = JSON.parse(response.body.toString()) as { error: unknown; errorCode: unknown };
  assert.equal(typeof body.error, 'string');
  assert.ok((body.error as string).length > 0);
  assert.equal(body.errorCode, status);
  return body;
}

describe('token', () => {
  test('a request without a token gets 401 with a JSON error', async () => {
    const { room } = await roomWithToken();
    for (const [method, path] of [
      ['GET', '/files/'],
      ['GET', '/files/123'],
      ['DELETE', '/files/123'],
      ['GET', '/frames/x'],
    ] as const) {
      const response = await fetch(httpUrl(room, path), { method });
      assert.equal(response.status, 401, `${method} ${path}`);
      const body = await json(response);
      assert.equal(typeof body.error, 'string');
      assert.equal(body.errorCode, 401);
    }
  });

  test('an unknown token gets 401, and an upload with it keeps nothing', async () => {
    const { room } = await roomWithToken();
    const bad = randomBytes(16).toString('hex');
    const list = await fetch(httpUrl(room, '/files/', bad));
    assert.equal(list.status, 401);
    assert.equal((await json(list)).errorCode, 401);
    const upload = await uploadMultipart(room, bad, 'a.txt', 'secret');
    assert.equal(upload.status, 401);
    assert.equal((await json(upload)).errorCode, 401);
    assertNothingKept(room);
  });

  test('Authorization: Bearer is accepted in place of the query token', async () => {
    const { room, token } = await roomWithToken();
    const ok = await fetch(httpUrl(room, '/files/'), { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { fileList: [] });
    const wrong = await fetch(httpUrl(room, '/files/'), { headers: { authorization: `Bearer x${token}` } });
    assert.equal(wrong.status, 401);
    assert.equal((await json(wrong)).errorCode, 401);
  });

  test('an expired token (over 5 minutes old) gets 401', async () => {
    const clock = new ManualClock();
    const { room, api, token } = await roomWithToken({ clock });
    assert.equal((await fetch(httpUrl(room, '/files/', token))).status, 200);
    clock.advance(5 * 60_000 - 1000);
    assert.equal((await fetch(httpUrl(room, '/files/', token))).status, 200);
    clock.advance(2000);
    const expired = await fetch(httpUrl(room, '/files/', token));
    assert.equal(expired.status, 401);
    assert.equal((await json(expired)).errorCode, 401);
    const fresh = (await api.call('getTokenForHttpServer')).token;
    assert.equal((await fetch(httpUrl(room, '/files/', fresh))).status, 200);
  });

  test('a token from getTokenForHttpServer works; clearTokens revokes it', async () => {
    const { room, api } = await roomWithToken();
    const { token } = await api.call('getTokenForHttpServer');
    assert.equal((await fetch(httpUrl(room, '/files/', token))).status, 200);
    await api.call('clearTokens');
    const revoked = await fetch(httpUrl(room, '/files/', token));
    assert.equal(revoked.status, 401);
    assert.equal((await json(revoked)).errorCode, 401);
  });
});

describe('upload', () => {
  test('multipart to /files/ and /files: 200, FileId header, {fileId,fileName,fileSize}', async () => {
    const { room, token } = await roomWithToken();
    const ids: number[] = [];
    for (const path of ['/files/', '/files']) {
      const body = randomBytes(1000);
      const response = await uploadMultipart(room, token, 'hello.bin', body, path);
      assert.equal(response.status, 200, path);
      const reply = (await json(response)) as unknown as UploadReply;
      assert.deepEqual(Object.keys(reply).sort(), ['fileId', 'fileName', 'fileSize']);
      assert.ok(
        Number.isInteger(reply.fileId) && reply.fileId > 0 && reply.fileId < 2 ** 31,
        `${reply.fileId}`,
      );
      assert.equal(response.headers.get('fileid'), String(reply.fileId));
      assert.equal(reply.fileName, 'hello.bin');
      assert.equal(reply.fileSize, 1000);
      const stored = await fetch(httpUrl(room, `/files/${reply.fileId}`, token));
      assert.deepEqual(Buffer.from(await stored.arrayBuffer()), body);
      ids.push(reply.fileId);
    }
    assert.notEqual(ids[0], ids[1]);
    assertOnlyNumericBodies(room);
  });

  test('raw upload with application/octet-stream and ?name=', async () => {
    const { room, token } = await roomWithToken();
    const body = randomBytes(4321);
    const response = await fetch(httpUrl(room, '/files/', token, { name: 'raw data.bin' }), {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
    });
    assert.equal(response.status, 200);
    const reply = (await json(response)) as unknown as UploadReply;
    assert.equal(response.headers.get('fileid'), String(reply.fileId));
    assert.deepEqual([reply.fileName, reply.fileSize], ['raw data.bin', 4321]);
    const stored = await fetch(httpUrl(room, `/files/${reply.fileId}`, token));
    assert.deepEqual(Buffer.from(await stored.arrayBuffer()), body);
    assert.equal(room.library.find(reply.fileId)?.sha256, sha256(body));
  });

  test('an upload that is neither multipart nor octet-stream, or is malformed, is refused with a JSON error', async () => {
    const { room, token } = await roomWithToken();
    const response = await rawRequest(
      room,
      'POST',
      `/files/?token=${token}`,
      { 'content-type': 'text/plain' },
      'x',
    );
    assertJsonError(response, 415);
    const noPart = new FormData();
    noPart.append('note', 'just a field');
    const fields = await fetch(httpUrl(room, '/files/', token), { method: 'POST', body: noPart });
    assert.equal(fields.status, 400);
    assert.equal((await json(fields)).errorCode, 400);
    // Malformed multipart bodies are the client's error (400), not a failure of the room (500).
    const malformed: [string, string][] = [
      ['multipart/form-data', 'no boundary'],
      ['multipart/form-data; boundary=abc', 'garbage'],
      [
        'multipart/form-data; boundary=abc',
        '--abc\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nhel',
      ],
    ];
    for (const [type, body] of malformed) {
      assertJsonError(
        await rawRequest(room, 'POST', `/files/?token=${token}`, { 'content-type': type }, body),
        400,
      );
    }
    assertNothingKept(room);
  });

  test('UTF-8 names survive multipart and raw uploads, and downloads name them with filename*', async () => {
    const { room, token } = await roomWithToken();
    const name = 'отчёт 2024 ✓.pdf';
    const multi = await uploadOk(room, token, name, 'pdf body');
    assert.equal(multi.reply.fileName, name);
    const raw = await fetch(httpUrl(room, '/files/', token, { name }), {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: 'raw pdf body',
    });
    assert.equal(((await raw.json()) as UploadReply).fileName, name);
    const list = await fetch(httpUrl(room, '/files/', token));
    const names = ((await list.json()) as { fileList: UploadReply[] }).fileList.map((f) => f.fileName);
    assert.deepEqual(names, [name, name]);

    const download = await fetch(httpUrl(room, `/files/${multi.reply.fileId}`, token));
    const disposition = download.headers.get('content-disposition') ?? '';
    assert.match(disposition, /^attachment;/);
    assert.ok(
      disposition.includes(`filename*=UTF-8''${encodeURIComponent(name).replace(/'/g, '%27')}`),
      disposition,
    );
    await download.arrayBuffer();
    assertOnlyNumericBodies(room);
  });

  test('a name with quotes, as browsers encode it in multipart (%22), is stored with its quotes', async () => {
    const { room, token } = await roomWithToken();
    // fetch's FormData encodes file names as browsers do: `"` becomes %22 on the wire.
    const form = new FormData();
    form.append('file', new Blob(['quoted']), 'a "b".txt');
    const response = await fetch(httpUrl(room, '/files/', token), { method: 'POST', body: form });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as UploadReply).fileName, 'a "b".txt');
  });

  test('names are sanitized (§6) and bodies are stored under their id only', async () => {
    const { room, token } = await roomWithToken();
    const cases: [string, string][] = [
      ['../../etc/passwd', 'etcpasswd'],
      ['..\\..\\windows\\system.ini', 'windowssystem.ini'],
      ['...hidden', 'hidden'],
      ['/', 'file'],
    ];
    for (const [given, expected] of cases) {
      const { reply } = await uploadOk(room, token, given, `body of ${given}`);
      assert.equal(reply.fileName, expected, `multipart ${JSON.stringify(given)}`);
      assert.equal(room.library.find(reply.fileId)?.fileName, expected);
    }
    const rawCases: [string, string][] = [
      ['../../etc/passwd', 'etcpasswd'],
      ['a\u0000b\u0001c\u001fd\u007fe\u0085f\ng.txt', 'abcdefg.txt'],
      ['..', 'file'],
      ['', 'file'],
      ['я'.repeat(200), 'я'.repeat(127)],
      ['x'.repeat(300), 'x'.repeat(255)],
      ['a'.repeat(254) + '✓', 'a'.repeat(254)],
    ];
    for (const [given, expected] of rawCases) {
      const response = await fetch(httpUrl(room, '/files/', token, { name: given }), {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: 'x',
      });
      assert.equal(response.status, 200);
      const reply = (await response.json()) as UploadReply;
      assert.equal(reply.fileName, expected, `raw ${JSON.stringify(given)}`);
      assert.ok(Buffer.byteLength(reply.fileName) <= 255);
    }
    // A raw upload without any name is named `file`.
    const unnamed = await rawRequest(
      room,
      'POST',
      `/files/?token=${token}`,
      { 'content-type': 'application/octet-stream' },
      'x',
    );
    assert.equal(JSON.parse(unnamed.body.toString()).fileName, 'file');

    assertOnlyNumericBodies(room);
    const ids = listDir(room.files.filesDir).map(Number).sort();
    assert.deepEqual(
      ids,
      room.library
        .list()
        .map((f) => f.fileId)
        .sort(),
    );
  });
});

describe('download', () => {
  async function stored(size = 1000) {
    const { room, token } = await roomWithToken();
    const body = randomBytes(size);
    const { reply } = await uploadOk(room, token, 'data.bin', body);
    const path = `/files/${reply.fileId}?token=${token}`;
    return { room, token, body, reply, path, etag: `"${sha256(body)}"` };
  }

  test('GET: attachment, Content-Length, ETag = quoted sha256, Accept-Ranges', async () => {
    const { room, body, path, etag } = await stored();
    const response = await rawRequest(room, 'GET', path);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, body);
    assert.match(String(response.headers['content-disposition']), /^attachment; filename="?data\.bin"?($|;)/);
    assert.equal(response.headers['content-length'], '1000');
    assert.equal(response.headers.etag, etag);
    assert.equal(response.headers['accept-ranges'], 'bytes');
  });

  test('the Authorization header works for downloads too', async () => {
    const { room, token, body, reply } = await stored(10);
    const response = await rawRequest(room, 'GET', `/files/${reply.fileId}`, {
      authorization: `Bearer ${token}`,
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, body);
  });

  test('Range: bytes=100-199 → 206 with exactly those bytes', async () => {
    const { room, body, path, etag } = await stored();
    const response = await rawRequest(room, 'GET', path, { range: 'bytes=100-199' });
    assert.equal(response.status, 206);
    assert.equal(response.headers['content-range'], 'bytes 100-199/1000');
    assert.equal(response.headers['content-length'], '100');
    assert.equal(response.headers.etag, etag);
    assert.deepEqual(response.body, body.subarray(100, 200));
  });

  test('suffix and open-ended ranges', async () => {
    const { room, body, path } = await stored();
    const suffix = await rawRequest(room, 'GET', path, { range: 'bytes=-50' });
    assert.equal(suffix.status, 206);
    assert.equal(suffix.headers['content-range'], 'bytes 950-999/1000');
    assert.deepEqual(suffix.body, body.subarray(950));
    const open = await rawRequest(room, 'GET', path, { range: 'bytes=990-' });
    assert.equal(open.status, 206);
    assert.equal(open.headers['content-range'], 'bytes 990-999/1000');
    assert.deepEqual(open.body, body.subarray(990));
  });

  test('an unsatisfiable range → 416 with Content-Range and a JSON error', async () => {
    const { room, path } = await stored();
    const response = await rawRequest(room, 'GET', path, { range: 'bytes=5000-6000' });
    assertJsonError(response, 416);
    assert.equal(response.headers['content-range'], 'bytes */1000');
  });

  test('HEAD gives the headers without a body', async () => {
    const { room, path, etag } = await stored();
    const response = await rawRequest(room, 'HEAD', path);
    assert.equal(response.status, 200);
    assert.equal(response.body.length, 0);
    assert.equal(response.headers['content-length'], '1000');
    assert.equal(response.headers.etag, etag);
    assert.equal(response.headers['accept-ranges'], 'bytes');
    assert.match(String(response.headers['content-disposition']), /^attachment;/);
    const ranged = await rawRequest(room, 'HEAD', path, { range: 'bytes=0-9' });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers['content-length'], '10');
    assert.equal(ranged.body.length, 0);
  });

  test('If-None-Match with the ETag → 304 without a body', async () => {
    const { room, path, etag } = await stored();
    const response = await rawRequest(room, 'GET', path, { 'if-none-match': etag });
    assert.equal(response.status, 304);
    assert.equal(response.body.length, 0);
    assert.equal(response.headers.etag, etag);
    const listed = await rawRequest(room, 'GET', path, { 'if-none-match': `"other", ${etag}` });
    assert.equal(listed.status, 304);
    const other = await rawRequest(room, 'GET', path, { 'if-none-match': '"something-else"' });
    assert.equal(other.status, 200);
    assert.equal(other.body.length, 1000);
  });

  test('If-Range with the ETag keeps the range; a stale one gets the whole body', async () => {
    const { room, body, path, etag } = await stored();
    const fresh = await rawRequest(room, 'GET', path, { range: 'bytes=0-9', 'if-range': etag });
    assert.equal(fresh.status, 206);
    assert.deepEqual(fresh.body, body.subarray(0, 10));
    const stale = await rawRequest(room, 'GET', path, { range: 'bytes=0-9', 'if-range': '"stale"' });
    assert.equal(stale.status, 200);
    assert.deepEqual(stale.body, body);
  });

  test('If-Match: the ETag passes, another fails with 412', async () => {
    const { room, body, path, etag } = await stored();
    const ok = await rawRequest(room, 'GET', path, { 'if-match': etag });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, body);
    assertJsonError(await rawRequest(room, 'GET', path, { 'if-match': '"stale"' }), 412);
  });

  test('unknown, non-numeric and out-of-range ids → 404 with a JSON error', async () => {
    const { room, token } = await roomWithToken();
    for (const id of ['12345', 'abc', '0', '-1', '2147483648', '99999999999', '1e3', '%2e%2e']) {
      assertJsonError(await rawRequest(room, 'GET', `/files/${id}?token=${token}`), 404);
      assertJsonError(await rawRequest(room, 'DELETE', `/files/${id}?token=${token}`), 404);
    }
    assertJsonError(await rawRequest(room, 'GET', `/nothing-here?token=${token}`), 404);
  });
});

describe('list and delete', () => {
  test('GET /files/ equals getFileList; DELETE removes the file', async () => {
    const { room, api, token } = await roomWithToken();
    const a = await uploadOk(room, token, 'a.txt', 'aaa');
    const b = await uploadOk(room, token, 'b.txt', 'bbbb');
    const viaHttp = (await (await fetch(httpUrl(room, '/files', token))).json()) as { fileList: unknown[] };
    const viaSlash = (await (await fetch(httpUrl(room, '/files/', token))).json()) as { fileList: unknown[] };
    const viaApi = await api.call('getFileList');
    assert.equal(viaApi.fileList.length, 2);
    assert.deepEqual(viaHttp.fileList, viaApi.fileList);
    assert.deepEqual(viaSlash.fileList, viaApi.fileList);
    for (const entry of viaApi.fileList) {
      assert.deepEqual(Object.keys(entry).sort(), ['fileId', 'fileName', 'fileSize', 'timestamp']);
      assert.equal(typeof entry.fileId, 'number');
    }

    const deleted = await fetch(httpUrl(room, `/files/${a.reply.fileId}`, token), { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    await deleted.arrayBuffer();
    const gone = await fetch(httpUrl(room, `/files/${a.reply.fileId}`, token));
    assert.equal(gone.status, 404);
    assert.equal((await json(gone)).errorCode, 404);
    const left = await api.call('getFileList');
    assert.deepEqual(
      left.fileList.map((f) => f.fileId),
      [b.reply.fileId],
    );
    assert.deepEqual(listDir(room.files.filesDir), [String(b.reply.fileId)]);
    const again = await fetch(httpUrl(room, `/files/${a.reply.fileId}`, token), { method: 'DELETE' });
    assert.equal(again.status, 404);
    assert.equal((await json(again)).errorCode, 404);
  });
});

test('GET /frames/… → 404 "video frames are not available"', async () => {
  const { room, token } = await roomWithToken();
  for (const path of ['/frames/', '/frames/0', '/frames/peer/1.jpg']) {
    const response = await fetch(httpUrl(room, path, token));
    assert.equal(response.status, 404, path);
    assert.deepEqual(await json(response), { error: 'video frames are not available', errorCode: 404 });
  }
});

describe('limits', () => {
  async function limitedRoom(options: Parameters<TestBed['room']>[0] = {}) {
    const { room, api, token } = await roomWithToken(options);
    await api.call('setHttpServerSettings', { settings: { httpServerMaxPostFileSizeInBytes: MiB } });
    return { room, api, token };
  }

  function* chunksOf(total: number, size = 64 * 1024): Generator<Buffer> {
    for (let sent = 0; sent < total; sent += size) yield randomBytes(Math.min(size, total - sent));
  }

  test('413 with Content-Length: refused early, nothing kept', async () => {
    const { room, api, token } = await limitedRoom();
    const framing = multipartFraming('big.bin');
    const body = 2 * MiB;
    const response = await sendRefusable(
      room,
      `/files/?token=${token}`,
      {
        'content-type': framing.contentType,
        'content-length': String(framing.head.length + body + framing.tail.length),
      },
      [framing.head, ...chunksOf(body), framing.tail],
    );
    assertJsonError(response, 413);
    const raw = await sendRefusable(
      room,
      `/files/?token=${token}&name=big.bin`,
      { 'content-type': 'application/octet-stream', 'content-length': String(body) },
      chunksOf(body),
    );
    assertJsonError(raw, 413);
    assert.deepEqual((await api.call('getFileList')).fileList, []);
    assertNothingKept(room);
  });

  test('413 while streaming a chunked body without Content-Length, nothing kept', async () => {
    const { room, api, token } = await limitedRoom();
    const framing = multipartFraming('big.bin');
    const multi = await sendRefusable(
      room,
      `/files/?token=${token}`,
      { 'content-type': framing.contentType },
      [framing.head, ...chunksOf(2 * MiB), framing.tail],
    );
    assertJsonError(multi, 413);
    const raw = await sendRefusable(
      room,
      `/files/?token=${token}&name=big.bin`,
      { 'content-type': 'application/octet-stream' },
      chunksOf(2 * MiB),
    );
    assertJsonError(raw, 413);
    assert.deepEqual((await api.call('getFileList')).fileList, []);
    await waitUntil(() => listDir(room.files.tmpDir).length === 0, 'the tmp dir is empty');
    assertNothingKept(room);
    // The server is still serving, and a file right at the limit is accepted.
    const { reply } = await uploadOk(room, token, 'exact.bin', randomBytes(MiB));
    assert.equal(reply.fileSize, MiB);
  });

  test('507 when an upload would exceed the room quota; uploads that fit succeed', async () => {
    const { room, api, token } = await roomWithToken({ quotaBytes: 3 * MiB });
    const first = await uploadOk(room, token, 'one.bin', randomBytes(MiB));
    const second = await uploadOk(room, token, 'two.bin', randomBytes(MiB));
    // With Content-Length: refused before the body is read.
    const early = await uploadMultipart(room, token, 'three.bin', randomBytes(1.5 * MiB));
    assert.equal(early.status, 507);
    assert.equal((await json(early)).errorCode, 507);
    // Without Content-Length: refused while streaming.
    const framing = multipartFraming('four.bin');
    const streamed = await sendRefusable(
      room,
      `/files/?token=${token}`,
      { 'content-type': framing.contentType },
      [framing.head, ...chunksOf(1.5 * MiB), framing.tail],
    );
    assertJsonError(streamed, 507);
    await waitUntil(() => listDir(room.files.tmpDir).length === 0, 'the tmp dir is empty');
    const ids = (await api.call('getFileList')).fileList.map((f) => f.fileId).sort();
    assert.deepEqual(ids, [first.reply.fileId, second.reply.fileId].sort());
    assert.deepEqual(listDir(room.files.filesDir), ids.map(String).sort());
    assert.equal(room.files.usedBytes(), 2 * MiB);
    // What is left of the quota is still usable.
    await uploadOk(room, token, 'fits.bin', randomBytes(MiB - 1000));
  });
});

describe('cut-off uploads', () => {
  /** Sends the first half of a body, waits until the room is writing it, then destroys the socket. */
  async function cutOff(room: Room, path: string, headers: Record<string, string>, firstHalf: Buffer[]) {
    const req = httpRequest({
      host: '127.0.0.1',
      port: room.httpPort,
      method: 'POST',
      path,
      headers,
      agent: false,
    });
    req.on('error', () => undefined);
    req.flushHeaders();
    for (const chunk of firstHalf) req.write(chunk);
    await waitUntil(() => listDir(room.files.tmpDir).length > 0, 'the room is writing the upload');
    req.destroy();
    await waitUntil(() => listDir(room.files.tmpDir).length === 0, 'the partial upload is removed');
    await waitUntil(() => room.files.usedBytes() === 0, 'the quota is released');
  }

  test('a multipart upload cut off midway leaves no file, no fileId, an empty tmp dir', async () => {
    const { room, api, token } = await roomWithToken();
    const framing = multipartFraming('cut.bin');
    const half = randomBytes(2 * MiB);
    await cutOff(
      room,
      `/files/?token=${token}`,
      {
        'content-type': framing.contentType,
        'content-length': String(framing.head.length + 4 * MiB + framing.tail.length),
      },
      [framing.head, half],
    );
    // A further request on a fresh connection is served normally.
    assert.deepEqual(await (await fetch(httpUrl(room, '/files/', token))).json(), {
      fileList: [],
    });
    assert.deepEqual((await api.call('getFileList')).fileList, []);
    assertNothingKept(room);
  });

  test('a chunked multipart upload cut off midway leaves nothing', async () => {
    const { room, api, token } = await roomWithToken();
    const framing = multipartFraming('cut.bin');
    await cutOff(room, `/files/?token=${token}`, { 'content-type': framing.contentType }, [
      framing.head,
      randomBytes(MiB),
    ]);
    assert.deepEqual((await api.call('getFileList')).fileList, []);
    assertNothingKept(room);
  });

  test('a raw upload cut off midway leaves nothing', async () => {
    const { room, api, token } = await roomWithToken();
    await cutOff(
      room,
      `/files/?token=${token}&name=cut.bin`,
      { 'content-type': 'application/octet-stream', 'content-length': String(4 * MiB) },
      [randomBytes(2 * MiB)],
    );
    assert.deepEqual((await api.call('getFileList')).fileList, []);
    assertNothingKept(room);
    const { reply } = await uploadOk(room, token, 'after.bin', 'still works');
    assert.deepEqual(listDir(room.files.filesDir), [String(reply.fileId)]);
  });
});

describe('stalled connections', () => {
  test('an upload that stalls is cut after the idle timeout and leaves nothing', async () => {
    const room = await bed.room();
    const api = await bed.connect(room);
    // The room's own server uses DEFAULT_IDLE_TIMEOUT_MS; the same server built with a short one.
    assert.ok(DEFAULT_IDLE_TIMEOUT_MS > 0);
    const app = buildHttpServer({
      host: '127.0.0.1',
      auth: room.auth,
      files: room.files,
      library: room.library,
      origins: new OriginPolicy('127.0.0.1', () => [], []),
      logger: silentLogger,
      maxPostBytes: () => 64 * MiB,
      quotaBytes: () => room.quotaBytes,
      idleTimeoutMs: 300,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    bed.defer(() => app.close());
    const port = (app.server.address() as { port: number }).port;
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: `/files/?token=${api.tokenForHttpServer}&name=stalled.bin`,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(4 * MiB) },
      agent: false,
    });
    let closed = false;
    req.on('error', () => undefined);
    req.on('close', () => (closed = true));
    req.write(randomBytes(MiB));
    await waitUntil(() => listDir(room.files.tmpDir).length > 0, 'the upload is being written');
    // Nothing more is sent: the server cuts the connection and drops the partial body.
    await waitUntil(() => closed, 'the server closes the stalled connection');
    await waitUntil(() => listDir(room.files.tmpDir).length === 0, 'the partial body is removed');
    assertNothingKept(room);
  });

  test('an upload with a bad token is answered 401 and the connection is closed, not drained whole', async () => {
    const { room } = await roomWithToken();
    const response = await sendRefusable(
      room,
      '/files/?token=nope&name=x.bin',
      { 'content-type': 'application/octet-stream', 'content-length': String(64 * MiB) },
      [randomBytes(MiB)],
    );
    assertJsonError(response, 401);
    assert.equal(response.headers.connection, 'close');
    assertNothingKept(room);
  });
});

describe('browser access (CORS)', () => {
  test("the room's own web origin may read responses, with FileId exposed; a foreign origin may not", async () => {
    const { room, token } = await roomWithToken();
    const own = `http://127.0.0.1:${room.webPort}`;
    const preflight = await rawRequest(room, 'OPTIONS', '/files/', {
      origin: own,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization',
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], own);
    assert.match(String(preflight.headers['access-control-allow-headers']), /Authorization/i);
    assert.match(String(preflight.headers['access-control-allow-methods']), /POST/);

    const { reply } = await uploadOk(room, token, 'c.txt', 'cors');
    const download = await rawRequest(room, 'GET', `/files/${reply.fileId}?token=${token}`, { origin: own });
    assert.equal(download.headers['access-control-allow-origin'], own);
    assert.match(String(download.headers['access-control-expose-headers']), /FileId/);
    assert.match(String(download.headers['access-control-expose-headers']), /Content-Disposition/);

    const foreign = await rawRequest(room, 'GET', `/files/?token=${token}`, {
      origin: 'http://evil.example',
    });
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);
    const foreignPreflight = await rawRequest(room, 'OPTIONS', '/files/', {
      origin: `http://evil.example:${room.webPort}`,
      'access-control-request-method': 'DELETE',
    });
    assert.equal(foreignPreflight.headers['access-control-allow-origin'], undefined);
  });
});

describe('route schemas', () => {
  test('a request that fails its route schema gets 400 in the contract shape and keeps nothing', async () => {
    const { room, token } = await roomWithToken();
    // Two names for one raw upload: the querystring schema wants one string.
    const response = await rawRequest(
      room,
      'POST',
      `/files/?token=${token}&name=a.txt&name=b.txt`,
      { 'content-type': 'application/octet-stream' },
      'body',
    );
    const body = assertJsonError(response, 400);
    assert.match(String(body.error), /name/);
    assertNothingKept(room);
  });

  test('the token is checked before the schema: a bad request without a token is 401', async () => {
    const { room } = await roomWithToken();
    assertJsonError(await rawRequest(room, 'GET', '/files/abc'), 401);
    assertJsonError(
      await rawRequest(
        room,
        'POST',
        '/files/?name=a&name=b',
        { 'content-type': 'application/octet-stream' },
        'x',
      ),
      401,
    );
  });

  test('a trailing slash names the same route: /files/<id>/ downloads and deletes the file', async () => {
    const { room, token } = await roomWithToken();
    const { reply } = await uploadOk(room, token, 'slash.txt', 'slash body');
    const download = await rawRequest(room, 'GET', `/files/${reply.fileId}/?token=${token}`);
    assert.equal(download.status, 200);
    assert.equal(download.body.toString(), 'slash body');
    const deleted = await rawRequest(room, 'DELETE', `/files/${reply.fileId}/?token=${token}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(JSON.parse(deleted.body.toString()), { result: true });
    assert.equal(room.library.find(reply.fileId), undefined);
  });
});

describe('browser access (CORS) in detail', () => {
  test('a preflight of an admitted origin is answered without a token, with every header the page needs', async () => {
    const { room } = await roomWithToken();
    const own = `http://127.0.0.1:${room.webPort}`;
    const preflight = await rawRequest(room, 'OPTIONS', `/files/12`, {
      origin: own,
      'access-control-request-method': 'DELETE',
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.body.length, 0);
    assert.equal(preflight.headers['access-control-allow-origin'], own);
    assert.match(String(preflight.headers.vary), /Origin/);
    assert.deepEqual(String(preflight.headers['access-control-allow-methods']).split(/,\s*/), [
      'GET',
      'HEAD',
      'POST',
      'DELETE',
    ]);
    assert.deepEqual(String(preflight.headers['access-control-allow-headers']).split(/,\s*/), [
      'Authorization',
      'Content-Type',
      'Range',
    ]);
  });

  test('an upload from an admitted origin exposes FileId; requests without an Origin get no CORS headers', async () => {
    const { room, token } = await roomWithToken();
    const own = `http://127.0.0.1:${room.webPort}`;
    const upload = await rawRequest(
      room,
      'POST',
      `/files/?token=${token}&name=c.txt`,
      { origin: own, 'content-type': 'application/octet-stream' },
      'cors',
    );
    assert.equal(upload.status, 200);
    assert.equal(upload.headers['access-control-allow-origin'], own);
    assert.deepEqual(String(upload.headers['access-control-expose-headers']).split(/,\s*/), [
      'FileId',
      'Content-Disposition',
      'ETag',
      'Content-Range',
    ]);
    const plain = await rawRequest(room, 'GET', `/files/?token=${token}`);
    assert.equal(plain.status, 200);
    for (const header of Object.keys(plain.headers)) assert.doesNotMatch(header, /^access-control-/);
  });

  test('a 401 to an admitted origin carries its CORS headers: the page reads it and renews its token', async () => {
    const { room } = await roomWithToken();
    const own = `http://127.0.0.1:${room.webPort}`;
    const refused = await rawRequest(room, 'GET', '/files/?token=stale', { origin: own });
    assertJsonError(refused, 401);
    assert.equal(refused.headers['access-control-allow-origin'], own);
  });

  test('a preflight of a foreign origin is not answered as one: no CORS header of any kind', async () => {
    const { room } = await roomWithToken();
    const foreign = await rawRequest(room, 'OPTIONS', '/files/', {
      origin: 'http://evil.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization',
    });
    assert.notEqual(foreign.status, 204);
    for (const header of Object.keys(foreign.headers)) assert.doesNotMatch(header, /^access-control-/);
  });
});
