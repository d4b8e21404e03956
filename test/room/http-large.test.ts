import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, createWriteStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { TestBed } from '../helpers/harness.js';
import {
  fileSize,
  httpUrl,
  listDir,
  multipartFraming,
  sha256OfFile,
  writeRandomFile,
  type UploadReply,
} from '../helpers/http.js';
import type { Room } from '../../src/room/room.js';

const bed = new TestBed();
after(() => bed.close());

const SIZE = 65 * 1024 * 1024 + 12_345;

function response(req: ReturnType<typeof httpRequest>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
}

async function readJson(res: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString());
}

/** Streams `path` as a multipart body (hand-built framing, Content-Length known) over node:http. */
async function uploadStreaming(room: Room, token: string, path: string, name: string) {
  const framing = multipartFraming(name);
  const req = httpRequest({
    host: '127.0.0.1',
    port: room.httpPort,
    method: 'POST',
    path: `/files/?token=${token}`,
    headers: {
      'content-type': framing.contentType,
      'content-length': String(framing.head.length + fileSize(path) + framing.tail.length),
    },
  });
  const answered = response(req);
  req.write(framing.head);
  await pipeline(createReadStream(path), req, { end: false });
  req.end(framing.tail);
  const res = await answered;
  const body = (await readJson(res)) as UploadReply;
  assert.equal(res.statusCode, 200, JSON.stringify(body));
  assert.equal(res.headers.fileid, String(body.fileId));
  return body;
}

async function downloadStreaming(room: Room, token: string, fileId: number, to: string) {
  const req = httpRequest({
    host: '127.0.0.1',
    port: room.httpPort,
    method: 'GET',
    path: `/files/${fileId}?token=${token}`,
  });
  const answered = response(req);
  req.end();
  const res = await answered;
  assert.equal(res.statusCode, 200);
  await pipeline(res, createWriteStream(to));
  return res.headers;
}

test('a file over 64 MiB round-trips by streaming, sha256 = ETag on both sides', async () => {
  const dir = bed.dir('large-');
  const source = join(dir, 'source.bin');
  const expected = await writeRandomFile(source, SIZE);
  const room = await bed.room();
  const api = await bed.connect(room);
  const token = api.tokenForHttpServer;

  const uploaded = await uploadStreaming(room, token, source, 'large.bin');
  assert.deepEqual([uploaded.fileName, uploaded.fileSize], ['large.bin', SIZE]);
  assert.equal(room.library.find(uploaded.fileId)?.sha256, expected);
  assert.equal(await sha256OfFile(room.pathOfFile(uploaded.fileId)), expected);
  assert.deepEqual(listDir(room.files.tmpDir), []);

  const target = join(dir, 'downloaded.bin');
  const headers = await downloadStreaming(room, token, uploaded.fileId, target);
  assert.equal(headers['content-length'], String(SIZE));
  assert.equal(headers.etag, `"${expected}"`);
  assert.equal(fileSize(target), SIZE);
  assert.equal(await sha256OfFile(target), expected);
});

test('fetch with a streamed (duplex: half) raw body of over 64 MiB', async () => {
  const dir = bed.dir('large-');
  const source = join(dir, 'source.bin');
  const expected = await writeRandomFile(source, SIZE);
  const room = await bed.room();
  const api = await bed.connect(room);
  const token = api.tokenForHttpServer;

  const upload = await fetch(httpUrl(room, '/files/', token, { name: 'streamed.bin' }), {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: Readable.toWeb(createReadStream(source)) as ReadableStream<Uint8Array>,
    duplex: 'half',
  });
  assert.equal(upload.status, 200);
  const reply = (await upload.json()) as UploadReply;
  assert.equal(reply.fileSize, SIZE);

  const download = await fetch(httpUrl(room, `/files/${reply.fileId}`, token));
  assert.equal(download.headers.get('etag'), `"${expected}"`);
  const target = join(dir, 'downloaded.bin');
  await pipeline(Readable.fromWeb(download.body! as never), createWriteStream(target));
  assert.equal(await sha256OfFile(target), expected);
});
