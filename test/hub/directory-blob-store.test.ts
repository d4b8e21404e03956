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
