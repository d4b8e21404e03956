import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryBlobStore } from '../../src/hub/directory-blob-store.js';
import { blobStoreContract } from './blob-store-contract.js';

/** The directory blob store against the contract every blob store passes; reopening is a restarted hub. */
blobStoreContract('directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'roomfiles-blobs-'));
  return {
    store: new DirectoryBlobStore(dir),
    reopen: async () => new DirectoryBlobStore(dir),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
});

test('an upload cut off keeps every byte that arrived before the cut, also those still queued for the disk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'roomfiles-blobs-'));
  try {
    const store = new DirectoryBlobStore(dir);
    const upload = { sha256: 'a'.repeat(64), uploader: 'alice' };
    await store.create(upload);
    // Twelve 512 KiB chunks arrive faster than the disk takes them (the sink queues up to 4 MiB), then the
    // sender's connection breaks: none of the 6 MiB that arrived may be lost, or the sender sends it again.
    const piece = randomBytes(512 << 10);
    async function* cutAfterTwelve() {
      for (let i = 0; i < 12; i += 1) yield piece;
      throw new Error('connection reset');
    }
    await assert.rejects(
      store.append(upload, 0, cutAfterTwelve(), () => undefined),
      (error: Error) => {
        assert.match(error.message, /connection reset/);
        return true;
      },
    );
    assert.equal(await store.held(upload), 12 * piece.length);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
