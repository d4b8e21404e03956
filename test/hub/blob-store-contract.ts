import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { BlobError, type BlobStore, type UploadRef } from '../../src/hub/blob-store.js';
import { Bodies } from '../../src/hub/bodies.js';

/**
 * What every blob store must do (src/hub/blob-store.ts), whatever holds the bytes: a directory now, S3 later.
 * A test file calls `blobStoreContract` with a factory for its implementation. The second half runs the hub's
 * bodies (verification, resume, the relay to readers following an upload) over the store under test.
 */
export interface BlobStoreUnderTest {
  /** A store on empty storage of its own. */
  store: BlobStore;
  /** The same storage opened anew, as a restarted hub would. */
  reopen: () => Promise<BlobStore>;
  /** Removes the storage. */
  dispose(): Promise<void>;
}

export type BlobStoreFactory = () => Promise<BlobStoreUnderTest>;

function bodyOf(size: number): { bytes: Buffer; sha256: string } {
  const bytes = randomBytes(size);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

async function collect(chunks: AsyncIterable<Buffer> | Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Appends `bytes` at `offset` in pieces; resolves to what the store reported and the chunks it handed on. */
async function appendAll(store: BlobStore, upload: UploadRef, offset: number, bytes: Buffer) {
  const handed: Buffer[] = [];
  const pieces = [bytes.subarray(0, bytes.length >> 1), bytes.subarray(bytes.length >> 1)];
  const held = await store.append(upload, offset, Readable.from(pieces), (chunk) => handed.push(chunk));
  return { held, handed: Buffer.concat(handed) };
}

/** A source that fails after sending `bytes`: a sender whose connection broke. */
async function* failingAfter(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
  throw new Error('connection reset');
}

const UNKNOWN = 'f'.repeat(64);

export function blobStoreContract(name: string, factory: BlobStoreFactory): void {
  const withStore = (body: (under: BlobStoreUnderTest) => Promise<void>) => async () => {
    const under = await factory();
    try {
      await body(under);
    } finally {
      await under.dispose();
    }
  };

  describe(`blob store contract: ${name}`, () => {
    test(
      'an unknown body: not held, nothing to read, nothing listed',
      withStore(async ({ store }) => {
        const upload = { sha256: UNKNOWN, uploader: 'alice' };
        assert.equal(await store.has(UNKNOWN), false);
        assert.equal(await store.held(upload), 0);
        assert.equal((await collect(store.read(upload, 0, 100))).length, 0);
        assert.deepEqual(await store.list(), []);
      }),
    );

    test(
      'an upload is created once, appended at the offset it holds, and hands on every chunk as it is held',
      withStore(async ({ store }) => {
        const body = bodyOf(300_000);
        const upload = { sha256: body.sha256, uploader: 'alice' };
        assert.equal(await store.create(upload), 0);
        const first = await appendAll(store, upload, 0, body.bytes.subarray(0, 100_000));
        assert.equal(first.held, 100_000);
        assert.deepEqual(first.handed, body.bytes.subarray(0, 100_000));
        assert.equal(await store.create(upload), 100_000, 'create finds the upload under way');
        const second = await appendAll(store, upload, 100_000, body.bytes.subarray(100_000));
        assert.equal(second.held, 300_000);
        assert.deepEqual(second.handed, body.bytes.subarray(100_000));
        assert.equal(await store.held(upload), 300_000);
        assert.equal(await store.has(body.sha256), false, 'not the body until finished');
        assert.deepEqual(await store.list(), [body.sha256]);
      }),
    );

    test(
      'an append at any other offset than the one held is refused with that offset, and writes nothing',
      withStore(async ({ store }) => {
        const body = bodyOf(1000);
        const upload = { sha256: body.sha256, uploader: 'alice' };
        await store.create(upload);
        await appendAll(store, upload, 0, body.bytes.subarray(0, 400));
        for (const offset of [0, 399, 401]) {
          await assert.rejects(
            store.append(upload, offset, Readable.from([body.bytes.subarray(offset)]), () => undefined),
            (error) => error instanceof BlobError && error.kind === 'offset' && error.held === 400,
          );
        }
        assert.equal(await store.held(upload), 400);
        assert.deepEqual(await collect(store.read(upload, 0, 1000)), body.bytes.subarray(0, 400));
      }),
    );

    test(
      'a body in flight is readable, any range of it, while its upload continues',
      withStore(async ({ store }) => {
        const body = bodyOf(200_000);
        const upload = { sha256: body.sha256, uploader: 'alice' };
        await store.create(upload);
        const source = new PassThrough();
        let held = 0;
        let grew!: () => void;
        const grown = new Promise<void>((resolve) => (grew = resolve));
        const appending = store.append(upload, 0, source, (chunk) => {
          held += chunk.length;
          if (held >= 120_000) grew();
        });
        source.write(body.bytes.subarray(0, 120_000));
        await grown;
        assert.deepEqual(
          await collect(store.read(upload, 0, body.bytes.length)),
          body.bytes.subarray(0, 120_000),
          'reading ends where what is held ends',
        );
        assert.deepEqual(
          await collect(store.read(upload, 50_000, 70_000)),
          body.bytes.subarray(50_000, 70_000),
        );
        source.end(body.bytes.subarray(120_000));
        assert.equal(await appending, 200_000);
        assert.deepEqual(await collect(store.read(upload, 150_000, 200_000)), body.bytes.subarray(150_000));
      }),
    );

    test(
      'an upload cut off keeps every byte it handed on; reopened, the store resumes from there',
      withStore(async ({ store, reopen }) => {
        const body = bodyOf(500_000);
        const upload = { sha256: body.sha256, uploader: 'alice' };
        await store.create(upload);
        const handed: Buffer[] = [];
        await assert.rejects(
          store.append(upload, 0, failingAfter(body.bytes.subarray(0, 200_000)), (chunk) =>
            handed.push(chunk),
          ),
          /connection reset/,
        );
        const kept = Buffer.concat(handed).length;
        assert.equal(await store.held(upload), kept);

        const again = await reopen();
        assert.equal(await again.held(upload), kept);
        assert.equal(await again.create(upload), kept);
        assert.equal(
          (await appendAll(again, upload, kept, body.bytes.subarray(kept))).held,
          body.bytes.length,
        );
        await again.finish(upload);
        assert.equal(await again.has(body.sha256), true);
        assert.deepEqual(await collect(again.read(upload, 0, body.bytes.length)), body.bytes);
      }),
    );

    test(
      "two accounts' uploads of one body never mix; a finished one is the body for every reader",
      withStore(async ({ store }) => {
        const body = bodyOf(100_000);
        const alice = { sha256: body.sha256, uploader: 'alice' };
        const bob = { sha256: body.sha256, uploader: 'bob' };
        await store.create(alice);
        await store.create(bob);
        await appendAll(store, alice, 0, body.bytes);
        await appendAll(store, bob, 0, Buffer.alloc(30_000, 1));
        assert.equal(await store.held(alice), 100_000);
        assert.deepEqual(await collect(store.read(bob, 0, 100_000)), Buffer.alloc(30_000, 1));

        await store.finish(alice);
        assert.equal(await store.has(body.sha256), true);
        assert.deepEqual(await collect(store.read(alice, 0, 100_000)), body.bytes);
        assert.deepEqual(await collect(store.read(bob, 0, 100_000)), body.bytes, 'the body, not the upload');
        assert.deepEqual(await store.list(), [body.sha256]);

        await store.discard(bob);
        assert.equal(await store.held(bob), 0);
        assert.equal(await store.has(body.sha256), true, 'discarding an upload leaves the body');
      }),
    );

    test(
      'remove takes the body and its uploads, but those it is told to keep',
      withStore(async ({ store }) => {
        const body = bodyOf(10_000);
        const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((uploader) => ({
          sha256: body.sha256,
          uploader,
        }));
        const other = bodyOf(5000);
        const dave = { sha256: other.sha256, uploader: 'dave' };
        for (const upload of [alice, bob, carol]) {
          await store.create(upload);
          await appendAll(store, upload, 0, body.bytes);
        }
        await store.finish(alice);
        await store.create(dave);
        await appendAll(store, dave, 0, other.bytes);

        await store.remove(body.sha256, new Set(['carol']));
        assert.equal(await store.has(body.sha256), false);
        assert.equal(await store.held(bob), 0);
        assert.equal(await store.held(carol), body.bytes.length, 'kept: still writing');
        assert.equal(await store.held(dave), other.bytes.length, 'another body is untouched');
        assert.deepEqual((await store.list()).sort(), [body.sha256, other.sha256].sort());

        await store.remove(body.sha256);
        assert.equal(await store.held(carol), 0);
        assert.deepEqual(await store.list(), [other.sha256]);
      }),
    );
  });

  describe(`the hub's bodies over the blob store: ${name}`, () => {
    test(
      'an upload in two parts is verified at its last byte; a reader that keeps up gets it from memory',
      withStore(async ({ store }) => {
        const bodies = new Bodies(store);
        const body = bodyOf(3 << 20);
        const upload = { sha256: body.sha256, uploader: 'alice' };
        const reading = collect(bodies.read(upload, 0, body.bytes.length, new AbortController().signal));
        const half = 1 << 20;
        const first = await bodies.append(
          upload,
          0,
          body.bytes.length,
          Readable.from([body.bytes.subarray(0, half)]),
          () => undefined,
        );
        assert.deepEqual(first, { held: half, complete: false });
        assert.equal(await bodies.held(upload, body.bytes.length), half);
        const second = await bodies.append(
          upload,
          half,
          body.bytes.length,
          Readable.from([body.bytes.subarray(half)]),
          () => undefined,
        );
        assert.deepEqual(second, { held: body.bytes.length, complete: true });
        assert.equal(await store.has(body.sha256), true);
        assert.deepEqual(await reading, body.bytes);
        assert.ok(bodies.relayed.fromMemory > 0, 'relayed from memory as it arrived');

        const fromStore = bodies.relayed.fromStore;
        const late = await collect(
          bodies.read(upload, 1000, body.bytes.length, new AbortController().signal),
        );
        assert.deepEqual(late, body.bytes.subarray(1000));
        assert.equal(
          bodies.relayed.fromStore - fromStore,
          body.bytes.length - 1000,
          'a late reader reads the store',
        );
      }),
    );

    test(
      'after a restart the upload resumes where the store says, and the whole body is still verified',
      withStore(async ({ store, reopen }) => {
        const body = bodyOf(400_000);
        const upload = { sha256: body.sha256, uploader: 'alice' };
        const before = new Bodies(store);
        const cut = new PassThrough();
        // An HTTP request cut off reports it to whoever reads it, not as an unhandled 'error' event.
        cut.on('error', () => undefined);
        const appending = before.append(upload, 0, body.bytes.length, cut, () => undefined);
        cut.write(body.bytes.subarray(0, 150_000));
        cut.destroy(new Error('connection reset'));
        await assert.rejects(appending);

        const after = new Bodies(await reopen());
        const held = await after.held(upload, body.bytes.length);
        assert.ok(held <= 150_000);
        const result = await after.append(
          upload,
          held,
          body.bytes.length,
          Readable.from([body.bytes.subarray(held)]),
          () => undefined,
        );
        assert.deepEqual(result, { held: body.bytes.length, complete: true });
        assert.equal(await after.isComplete(body.sha256), true);
      }),
    );

    test(
      'a body that is not what was offered is discarded at its last byte, and nothing of it is kept',
      withStore(async ({ store }) => {
        const bodies = new Bodies(store);
        const offered = bodyOf(100_000);
        const upload = { sha256: offered.sha256, uploader: 'alice' };
        const wrong = Buffer.from(offered.bytes);
        wrong[99_999] ^= 1;
        await assert.rejects(
          bodies.append(upload, 0, wrong.length, Readable.from([wrong]), () => undefined),
          (error) => error instanceof BlobError && error.kind === 'mismatch',
        );
        assert.equal(await store.has(offered.sha256), false);
        assert.equal(await store.held(upload), 0);
        assert.equal(await bodies.held(upload, offered.bytes.length), 0, 'a new upload starts from nothing');
        assert.deepEqual(await store.list(), []);
      }),
    );

    test(
      'bytes past the size offered are refused before they are written; a second writer is refused while one writes',
      withStore(async ({ store }) => {
        const bodies = new Bodies(store);
        const body = bodyOf(50_000);
        const upload = { sha256: body.sha256, uploader: 'alice' };
        await assert.rejects(
          bodies.append(upload, 0, 40_000, Readable.from([body.bytes]), () => undefined),
          (error) => error instanceof BlobError && error.kind === 'too_large',
        );
        assert.ok((await store.held(upload)) <= 40_000);

        const other = bodyOf(50_000);
        const second = { sha256: other.sha256, uploader: 'alice' };
        const source = new PassThrough();
        let wrote!: () => void;
        const written = new Promise<void>((resolve) => (wrote = resolve));
        const first = bodies.append(second, 0, 50_000, source, () => wrote());
        source.write(other.bytes.subarray(0, 10_000));
        await written;
        await assert.rejects(
          bodies.append(
            second,
            10_000,
            50_000,
            Readable.from([other.bytes.subarray(10_000)]),
            () => undefined,
          ),
          (error) => error instanceof BlobError && error.kind === 'busy',
        );
        source.end(other.bytes.subarray(10_000));
        assert.deepEqual(await first, { held: 50_000, complete: true });
        await assert.rejects(
          bodies.append(
            { sha256: body.sha256, uploader: 'bob' },
            5,
            50_000,
            Readable.from([body.bytes]),
            () => undefined,
          ),
          (error) => error instanceof BlobError && error.kind === 'offset' && error.held === 0,
        );
      }),
    );

    test(
      'a reader following a body that is removed mid-upload ends with an error instead of waiting forever',
      withStore(async ({ store }) => {
        const bodies = new Bodies(store);
        const body = randomBytes(256 * 1024);
        const sha256 = createHash('sha256').update(body).digest('hex');
        const upload = { sha256, uploader: 'alice' };
        const source = new PassThrough();
        let written = 0;
        let grew!: () => void;
        const grown = new Promise<void>((resolve) => (grew = resolve));
        const uploading = bodies.append(upload, 0, body.length, source, (bytes) => {
          written += bytes;
          grew();
        });
        source.write(body.subarray(0, 64 * 1024));
        await grown;

        const reader = bodies.read(upload, 0, body.length, new AbortController().signal);
        const read: Buffer[] = [];
        const ended = (async () => {
          for await (const chunk of reader) {
            read.push(chunk as Buffer);
            // Once the reader has everything written so far, the send that needed the body goes away.
            if (Buffer.concat(read).length >= written) void bodies.remove(sha256);
          }
        })();
        await assert.rejects(ended, /the body was removed/);
        assert.ok(Buffer.concat(read).equals(body.subarray(0, Buffer.concat(read).length)));

        source.end(body.subarray(64 * 1024));
        await uploading.catch(() => undefined);
      }),
    );
  });
  describe(`reading one upload's own bytes: ${name}`, () => {
    test(
      "with uploadOnly a read gives this upload's bytes, never the verified body of another account",
      withStore(async ({ store }) => {
        const body = bodyOf(20_000);
        const alice = { sha256: body.sha256, uploader: 'alice' };
        await store.create(alice);
        await appendAll(store, alice, 0, body.bytes);
        await store.finish(alice);
        const claim = randomBytes(5_000);
        const mallory = { sha256: body.sha256, uploader: 'mallory' };
        await store.create(mallory);
        await appendAll(store, mallory, 0, claim);
        assert.deepEqual(await collect(store.read(mallory, 0, 5_000, { uploadOnly: true })), claim);
        assert.deepEqual(await collect(store.read(mallory, 0, 5_000)), body.bytes.subarray(0, 5_000));
        const nobody = { sha256: body.sha256, uploader: 'nobody' };
        assert.equal((await collect(store.read(nobody, 0, 5_000, { uploadOnly: true }))).length, 0);
      }),
    );
  });
}
