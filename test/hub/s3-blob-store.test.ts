import { after, before } from 'node:test';
import { randomBytes } from 'node:crypto';
import { S3BlobStore } from '../../src/hub/s3-blob-store.js';
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
