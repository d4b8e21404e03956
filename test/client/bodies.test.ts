import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, stat, truncate, writeFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { RoomApiError, type RoomClient, type TransferProgress } from '../../src/client/index.js';
import type { Room } from '../../src/room/room.js';
import { TestBed } from '../helpers/harness.js';
import { randomFile } from '../helpers/cluster.js';
import { apiError, clientOf, countingProxy, sha256OfFile } from './support.js';

/** Bodies: upload from a path or a stream with progress, download byte for byte, resume of a partial download. */

const bed = new TestBed();
after(() => bed.close());

const SIZE = 3 * 1024 * 1024 + 123;
let room: Room;
let client: RoomClient;
let dir: string;
let source: string;
let sourceSha: string;
let fileId: number;

before(async () => {
  room = await bed.room();
  client = await clientOf(bed, room);
  dir = bed.dir('bodies-');
  source = join(dir, 'source.bin');
  sourceSha = await randomFile(source, SIZE);
  fileId = await client.upload(source);
});

function checkProgress(progress: TransferProgress[], size: number, from = 0): void {
  assert.ok(progress.length > 0, 'no progress reported');
  let last = from;
  for (const p of progress) {
    assert.ok(p.bytes > last, `progress went from ${last} to ${p.bytes}`);
    assert.equal(p.total, size);
    last = p.bytes;
  }
  assert.equal(last, size, 'progress did not reach the size');
}

/** A client of `room` whose HTTP requests pass through a proxy that counts them (and may cut a body). */
async function throughProxy(options?: Parameters<typeof countingProxy>[2]) {
  const proxy = await countingProxy(bed, room.httpPort, options);
  const viaProxy = await clientOf(bed, room);
  viaProxy.httpPort = proxy.port;
  return { proxy, viaProxy };
}

/** A resumable download to `out` that records every progress report. */
async function downloadResuming(via: RoomClient, out: string) {
  const progress: TransferProgress[] = [];
  const result = await via.download(fileId, {
    to: out,
    resume: true,
    onProgress: (p) => progress.push({ ...p }),
  });
  return { result, progress };
}

test('upload(path): the file name is the base name; progress reaches the size', async () => {
  const progress: TransferProgress[] = [];
  const id = await client.upload(source, { onProgress: (p) => progress.push({ ...p }) });
  checkProgress(progress, SIZE);
  const entry = (await client.getFileList()).fileList.find((f) => f.fileId === id);
  assert.deepEqual(
    { fileName: entry?.fileName, fileSize: entry?.fileSize },
    { fileName: 'source.bin', fileSize: SIZE },
  );
  const named = await client.upload(source, { name: 'renamed.bin' });
  assert.equal(
    (await client.getFileList()).fileList.find((f) => f.fileId === named)?.fileName,
    'renamed.bin',
  );
});

test('upload({stream, size}, {name}): streamed, the UTF-8 name kept, progress reaches the size', async () => {
  const name = 'Отчёт «итог» 2024 — 报告 📄 "quoted".bin';
  const progress: TransferProgress[] = [];
  const id = await client.upload(
    { stream: createReadStream(source, { highWaterMark: 64 * 1024 }), size: SIZE },
    { name, onProgress: (p) => progress.push({ ...p }) },
  );
  checkProgress(progress, SIZE);
  assert.ok(progress.length >= SIZE / (64 * 1024), 'the stream was not reported chunk by chunk');
  const entry = (await client.getFileList()).fileList.find((f) => f.fileId === id);
  assert.equal(entry?.fileName, name);
  assert.equal(entry?.fileSize, SIZE);
  const out = join(dir, 'from-stream.bin');
  assert.equal((await client.download(id, { to: out })).sha256, sourceSha);

  // A stream without a name is called "file"; an empty one works.
  const empty = await client.upload({ stream: Readable.from([]), size: 0 });
  const emptyEntry = (await client.getFileList()).fileList.find((f) => f.fileId === empty);
  assert.deepEqual({ n: emptyEntry?.fileName, s: emptyEntry?.fileSize }, { n: 'file', s: 0 });
});

test('upload of a stream that fails midway, or is shorter than announced, rejects and leaves no file', async () => {
  const before = (await client.getFileList()).fileList.length;
  const failing = new Readable({
    read() {
      this.push(randomBytes(1024));
      if (this.readableLength > 0) this.destroy(new Error('disk read error'));
    },
  });
  await assert.rejects(
    client.upload({ stream: failing, size: 1 << 20 }, { name: 'broken.bin' }),
    /disk read error/,
  );
  await assert.rejects(
    client.upload({ stream: Readable.from([Buffer.alloc(10)]), size: 100 }, { name: 'short.bin' }),
    /10 bytes, not the 100 announced/,
  );
  assert.equal((await client.getFileList()).fileList.length, before);
});

test('download(fileId, {to}): byte-identical, sha256 reported, progress to the size, no .part left', async () => {
  const out = join(dir, 'copy.bin');
  const progress: TransferProgress[] = [];
  const result = await client.download(fileId, { to: out, onProgress: (p) => progress.push({ ...p }) });
  assert.deepEqual(result, { path: out, size: SIZE, sha256: sourceSha, resumedFrom: 0 });
  assert.equal(await sha256OfFile(out), sourceSha);
  checkProgress(progress, SIZE);
  assert.equal(existsSync(`${out}.part`), false);
  assert.equal(existsSync(`${out}.part.etag`), false);
  await apiError(client.download(2 ** 31 - 3, { to: join(dir, 'none.bin') }), 'download', 404);
});

test('resume: a download cut midway continues from the byte where it stopped, and only the rest is sent', async () => {
  const { proxy, viaProxy } = await throughProxy({ cutAfter: Math.floor(SIZE * 0.4) });
  const out = join(dir, 'resumed.bin');

  let receivedBeforeCut = 0;
  await assert.rejects(
    viaProxy.download(fileId, { to: out, onProgress: (p) => (receivedBeforeCut = p.bytes) }),
  );
  // Once the download has rejected, the .part holds every byte received, and no more are still being written.
  const partSize = (await stat(`${out}.part`)).size;
  assert.equal(partSize, receivedBeforeCut, 'the .part is not what was received before the cut');
  assert.ok(partSize > 0 && partSize <= Math.floor(SIZE * 0.4), `.part holds ${partSize} bytes`);
  assert.equal(existsSync(out), false);
  assert.equal((await readFile(`${out}.part.etag`, 'utf8')).trim(), `"${sourceSha}"`);

  const { result, progress } = await downloadResuming(viaProxy, out);
  assert.equal(result.sha256, sourceSha);
  assert.equal(result.size, SIZE);
  assert.equal(result.resumedFrom, partSize, 'the result says where the download resumed');
  assert.equal(await sha256OfFile(out), sourceSha);
  checkProgress(progress, SIZE, partSize);

  const resumed = proxy.log.requests[1];
  assert.equal(resumed.range, `bytes=${partSize}-`);
  assert.equal(resumed.ifRange, `"${sourceSha}"`);
  assert.equal(resumed.status, 206);
  assert.equal(proxy.log.bodyBytes[1], SIZE - partSize, 'more than the rest was sent');
  assert.equal(existsSync(`${out}.part`), false);
});

test('resume from a .part made by hand (first 40 %, with its ETag hint): only the rest is requested', async () => {
  const { proxy, viaProxy } = await throughProxy();
  const out = join(dir, 'by-hand.bin');
  const partSize = Math.floor(SIZE * 0.4);
  await copyFile(source, `${out}.part`);
  await truncate(`${out}.part`, partSize);
  await writeFile(`${out}.part.etag`, `"${sourceSha}"`);
  const { result, progress } = await downloadResuming(viaProxy, out);
  assert.equal(result.sha256, sourceSha);
  assert.equal(progress[0].bytes > partSize, true);
  assert.deepEqual(
    proxy.log.requests.map((r) => [r.range, r.status]),
    [[`bytes=${partSize}-`, 206]],
  );
  assert.equal(proxy.log.bodyBytes[0], SIZE - partSize);
  // Without resume, an existing .part is thrown away and the whole file is fetched.
  await copyFile(source, `${out}.part`);
  await truncate(`${out}.part`, partSize);
  await viaProxy.download(fileId, { to: out });
  assert.equal(proxy.log.requests[1].range, undefined);
  assert.equal(proxy.log.bodyBytes[1], SIZE);
});

test('a .part of another file (a different ETag hint) starts over from zero, in one request', async () => {
  const { proxy, viaProxy } = await throughProxy();
  const out = join(dir, 'other.bin');
  const other = randomBytes(SIZE / 2);
  await writeFile(`${out}.part`, other.subarray(0, 1000));
  await writeFile(`${out}.part.etag`, `"${createHash('sha256').update(other).digest('hex')}"`);
  const { result, progress } = await downloadResuming(viaProxy, out);
  assert.equal(result.sha256, sourceSha);
  assert.equal(await sha256OfFile(out), sourceSha);
  checkProgress(progress, SIZE);
  assert.equal(proxy.log.requests.length, 1);
  assert.equal(proxy.log.requests[0].status, 200);
  assert.equal(proxy.log.bodyBytes[0], SIZE);
});

test('a .part without a hint that turns out wrong, or longer than the file, is fetched again whole', async () => {
  const { proxy, viaProxy } = await throughProxy();
  const out = join(dir, 'no-hint.bin');
  await writeFile(`${out}.part`, randomBytes(5000));
  const result = await viaProxy.download(fileId, { to: out, resume: true });
  assert.equal(result.sha256, sourceSha);
  assert.deepEqual(
    proxy.log.requests.map((r) => [r.range, r.status]),
    [
      ['bytes=5000-', 206],
      [undefined, 200],
    ],
  );

  const longer = join(dir, 'longer.bin');
  await writeFile(`${longer}.part`, Buffer.concat([await readFile(source), Buffer.from('trailing')]));
  await writeFile(`${longer}.part.etag`, `"${sourceSha}"`);
  const fixed = await viaProxy.download(fileId, { to: longer, resume: true });
  assert.equal(fixed.sha256, sourceSha);
  assert.equal((await stat(longer)).size, SIZE);
});

test('download errors are RoomApiErrors with the HTTP status', async () => {
  const stopped = await bed.room();
  const other = await clientOf(bed, stopped);
  const error = await apiError(other.download(123, { to: join(dir, 'x') }), 'download', 404);
  assert.ok(error instanceof RoomApiError);
  assert.match(error.error, /123/);
});
