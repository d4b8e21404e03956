import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { DirectoryBlobStore } from '../../src/hub/blob-store.js';

test('a reader following a body that is removed mid-upload ends with an error instead of waiting forever', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'roomfiles-blobs-'));
  const store = new DirectoryBlobStore(dir);
  const body = randomBytes(256 * 1024);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const source = new PassThrough();
  let written = 0;
  let grew!: () => void;
  const grown = new Promise<void>((resolve) => (grew = resolve));
  const upload = store.append(sha256, 'alice', 0, body.length, source, (bytes) => {
    written += bytes;
    grew();
  });
  source.write(body.subarray(0, 64 * 1024));
  await grown;

  const reader = store.read(sha256, 'alice', 0, body.length, new AbortController().signal);
  const read: Buffer[] = [];
  const ended = (async () => {
    for await (const chunk of reader) {
      read.push(chunk as Buffer);
      // Once the reader has everything written so far, the send that needed the body goes away.
      if (Buffer.concat(read).length >= written) void store.remove(sha256);
    }
  })();
  await assert.rejects(ended, /the body was removed/);
  assert.ok(Buffer.concat(read).equals(body.subarray(0, Buffer.concat(read).length)));

  source.end(body.subarray(64 * 1024));
  await upload.catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});
