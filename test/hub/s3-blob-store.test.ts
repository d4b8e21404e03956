import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { Bodies } from '../../src/hub/bodies.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBlobStore } from '../../src/hub/blob-store-config.js';
import { DirectoryBlobStore } from '../../src/hub/directory-blob-store.js';
import { S3BlobStore, parseS3Url, type S3BlobStoreOptions } from '../../src/hub/s3-blob-store.js';
import { freePort } from '../helpers/child.js';
import { S3Server } from '../helpers/s3.js';
import { blobStoreContract } from './blob-store-contract.js';

let server: S3Server;
before(async () => {
  server = await S3Server.start();
});
after(() => server.close());

/**
 * The S3 blob store against the contract every blob store passes, on s3rver (loopback): each test has a prefix of
 * its own in the bucket, reopening is a new store (a restarted hub) on the same prefix. Parts are small here so
 * that the contract's bodies span many of them.
 */
blobStoreContract('S3', async () => {
  const prefix = `test-${randomBytes(6).toString('hex')}/`;
  const open = () =>
    new S3BlobStore({ client: server.client(), bucket: server.bucket, prefix, partSize: 64 * 1024 });
  const store = open();
  return {
    store,
    reopen: async () => open(),
    dispose: async () => {
      for (const sha256 of await store.list()) await store.remove(sha256);
    },
  };
});

const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A store on a prefix of its own, removed after the test. */
function storeOn(prefix: string, options: Partial<S3BlobStoreOptions> = {}): S3BlobStore {
  return new S3BlobStore({ client: server.client(), bucket: server.bucket, prefix, ...options });
}

test(
  'a reader on another hub process follows an upload through the bucket alone, as its parts are stored',
  { timeout: 60_000 },
  async () => {
    const prefix = `follow-${randomBytes(6).toString('hex')}/`;
    // Two stores, two Bodies: nothing shared but the bucket, as between two hub processes.
    const writer = new Bodies(storeOn(prefix, { partSize: 256 * 1024, flushAfterMs: 100 }));
    const reader = new Bodies(storeOn(prefix, { followPollMs: 50 }));
    const body = randomBytes(4 << 20);
    const upload = { sha256: sha256Of(body), uploader: 'alice' };
    try {
      const source = new PassThrough();
      const uploading = writer.append(upload, 0, body.length, source, () => undefined);
      source.write(body.subarray(0, 1 << 20));

      const received: Buffer[] = [];
      let receivedBytes = 0;
      let gotFirstMiB!: () => void;
      const firstMiB = new Promise<void>((resolve) => (gotFirstMiB = resolve));
      const reading = (async () => {
        for await (const chunk of reader.read(upload, 0, body.length, new AbortController().signal)) {
          received.push(chunk as Buffer);
          receivedBytes += (chunk as Buffer).length;
          if (receivedBytes >= 1 << 20) gotFirstMiB();
        }
      })();
      // The reader has the first MiB while the sender has not sent the rest: it streams, it does not wait.
      await firstMiB;
      assert.equal(await writer.isComplete(upload.sha256), false);
      source.end(body.subarray(1 << 20));
      assert.deepEqual(await uploading, { held: body.length, complete: true });
      await reading;
      assert.ok(Buffer.concat(received).equals(body), 'byte-identical');
      assert.equal(reader.relayed.fromStore, body.length, 'every byte came from the bucket');
      assert.equal(reader.relayed.fromMemory, 0);
    } finally {
      await writer.remove(upload.sha256);
    }
  },
);

test(
  'memory stays flat: an upload holds at most one part ahead of what is stored, in parts of the set size',
  { timeout: 60_000 },
  async () => {
    const prefix = `flat-${randomBytes(6).toString('hex')}/`;
    const partSize = 1 << 20;
    const store = storeOn(prefix, { partSize });
    const chunk = randomBytes(64 * 1024);
    const chunks = 48 * 16; // 48 MiB
    const hash = createHash('sha256');
    for (let i = 0; i < chunks; i += 1) hash.update(chunk);
    const upload = { sha256: hash.digest('hex'), uploader: 'alice' };
    let pulled = 0;
    let held = 0;
    let mostAhead = 0;
    async function* source() {
      for (let i = 0; i < chunks; i += 1) {
        mostAhead = Math.max(mostAhead, pulled - held);
        pulled += chunk.length;
        yield chunk;
      }
    }
    try {
      await store.create(upload);
      assert.equal(
        await store.append(upload, 0, source(), (bytes) => (held += bytes.length)),
        chunks * chunk.length,
      );
      assert.ok(mostAhead <= partSize, `${mostAhead} bytes read ahead of the store, more than a part`);
      const sizes: number[] = [];
      const listing = await server
        .client()
        .send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: `${prefix}uploads/` }));
      for (const item of listing.Contents ?? []) sizes.push(item.Size ?? 0);
      assert.deepEqual(sizes, new Array(48).fill(partSize), 'a steady sender fills whole parts');
    } finally {
      await store.remove(upload.sha256);
    }
  },
);

test('--blobs locations: s3://bucket/prefix is the S3 store on that bucket and prefix, anything else a directory', () => {
  assert.deepEqual(parseS3Url('s3://roomfiles'), { bucket: 'roomfiles', prefix: '' });
  assert.deepEqual(parseS3Url('s3://roomfiles/'), { bucket: 'roomfiles', prefix: '' });
  assert.deepEqual(parseS3Url('s3://my.bucket-1/hub/a/'), { bucket: 'my.bucket-1', prefix: 'hub/a/' });
  for (const bad of ['s3://', 's3://Upper/x', 's3://a', 'http://roomfiles/x', 's3://bad_bucket/x']) {
    assert.throws(() => parseS3Url(bad), /not an S3 location/, bad);
  }
  const s3 = openBlobStore('s3://roomfiles/hub', '/unused', {
    endpoint: server.endpoint,
    forcePathStyle: true,
  });
  assert.ok(s3 instanceof S3BlobStore);
  assert.deepEqual([s3.bucket, s3.prefix], ['roomfiles', 'hub/']);
  const dir = mkdtempSync(join(tmpdir(), 'roomfiles-blobs-'));
  try {
    assert.ok(openBlobStore(join(dir, 'elsewhere'), '/unused') instanceof DirectoryBlobStore);
    assert.ok(openBlobStore(undefined, join(dir, 'default')) instanceof DirectoryBlobStore);
    assert.ok(existsSync(join(dir, 'elsewhere')) && existsSync(join(dir, 'default')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the store says whether its bucket answers: a missing bucket or a closed endpoint does not', async () => {
  assert.equal(await storeOn('health/').reachable(), true);
  const missing = new S3BlobStore({ client: server.client(), bucket: 'no-such-bucket', prefix: '' });
  assert.equal(await missing.reachable(), false);
  const closed = openBlobStore('s3://roomfiles', '', {
    endpoint: `http://127.0.0.1:${await freePort()}`,
    forcePathStyle: true,
  });
  assert.equal(await closed.reachable!(), false);
});

test(
  'a sender dribbling bytes makes few parts: each early part doubles the wait for the next',
  { timeout: 60_000 },
  async () => {
    const prefix = `dribble-${randomBytes(6).toString('hex')}/`;
    const flushAfterMs = 10;
    const store = storeOn(prefix, { flushAfterMs });
    const bytes = randomBytes(300);
    const upload = { sha256: sha256Of(bytes), uploader: 'alice' };
    const started = Date.now();
    // A byte every 5 ms: without the doubling, a part every 10 ms.
    async function* dribble() {
      for (const byte of bytes) {
        yield Buffer.from([byte]);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    try {
      await store.create(upload);
      assert.equal(await store.append(upload, 0, dribble(), () => undefined), bytes.length);
      const elapsed = Date.now() - started;
      const listing = await server
        .client()
        .send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: `${prefix}uploads/` }));
      const parts = listing.KeyCount ?? 0;
      // 10, 20, 40, 80, 160 ms, then one every 320 ms, and the last at the end.
      const bound = 6 + Math.ceil(elapsed / (flushAfterMs * 2 ** 5));
      assert.ok(parts <= bound, `${parts} parts in ${elapsed} ms (at most ${bound})`);
      const read: Buffer[] = [];
      for await (const chunk of store.read(upload, 0, bytes.length)) read.push(chunk);
      assert.ok(Buffer.concat(read).equals(bytes));
    } finally {
      await store.remove(upload.sha256);
    }
  },
);

test(
  'a manifest in the bucket that does not add up is never read as a body, and the body can still be removed',
  { timeout: 60_000 },
  async () => {
    const prefix = `manifest-${randomBytes(6).toString('hex')}/`;
    const store = storeOn(prefix);
    const body = randomBytes(1000);
    const upload = { sha256: sha256Of(body), uploader: 'alice' };
    await store.create(upload);
    await store.append(upload, 0, Readable.from([body]), () => undefined);
    await store.finish(upload);
    const client = server.client();
    for (const forged of [
      '{"size":1000,"uploader":"../x","parts":[[0,1000]]}',
      '{"size":5000,"uploader":"alice","parts":[[0,1000]]}',
      '{"size":1000,"uploader":"alice","parts":[[10,1000]]}',
      'not json',
    ]) {
      await client.send(
        new PutObjectCommand({
          Bucket: server.bucket,
          Key: `${prefix}complete/${upload.sha256}`,
          Body: forged,
        }),
      );
      await assert.rejects(async () => {
        for await (const chunk of store.read(upload, 0, 1000)) void chunk;
      }, forged);
    }
    await store.remove(upload.sha256);
    assert.equal(await store.has(upload.sha256), false);
    assert.deepEqual(await store.list(), []);
    assert.equal(await store.held(upload), 0);
  },
);
