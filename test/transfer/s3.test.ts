import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { runCli } from '../helpers/child.js';
import { tempDir } from '../helpers/harness.js';
import { Cluster, downloadSha256, randomFile, uploadFile } from '../helpers/cluster.js';
import { S3_ENV, S3Server } from '../helpers/s3.js';
import type { RoomConnection } from '../../src/client/index.js';

type Api = RoomConnection & { tokenForHttpServer: string };

const PREFIX = 'hub';

/** `roomfiles hub` with its bodies in the bucket of `s3`, in place of the cluster's default hub. */
async function startHubOnS3(cluster: Cluster, s3: S3Server, form: 'flags' | 'env'): Promise<void> {
  const location = `s3://${s3.bucket}/${PREFIX}`;
  if (form === 'flags') {
    await cluster.startHub({
      extra: ['--blobs', location, '--s3-endpoint', s3.endpoint, '--s3-force-path-style'],
      env: S3_ENV,
    });
  } else {
    await cluster.startHub({
      env: {
        ...S3_ENV,
        ROOMFILES_BLOBS: location,
        ROOMFILES_S3_ENDPOINT: s3.endpoint,
        ROOMFILES_S3_FORCE_PATH_STYLE: 'true',
      },
    });
  }
}

/** Bytes of the parts the bucket holds under `prefix`. */
async function bytesUnder(s3: S3Server, prefix: string): Promise<number> {
  const client = s3.client();
  try {
    const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
    return (page.Contents ?? []).reduce((sum, item) => sum + (item.Size ?? 0), 0);
  } finally {
    client.destroy();
  }
}

async function health(cluster: Cluster): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${cluster.hubPort}/health`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * Resolves once the request reaches `status`: it is looked up, then awaited as an event for a few seconds at a
 * time (so no long timer outlives the test), looked up again, and so on until `timeoutMs`.
 */
async function untilStatus(api: Api, fileRequestId: string, status: number, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const event = api.waitFor(
      'fileRequestStatusChanged',
      (e) => e.fileRequestId === fileRequestId && e.status === status,
      3000,
    );
    event.catch(() => undefined);
    const info = await api.call('getFileRequestInfo', { fileRequestId });
    if (info.status === status) return;
    assert.notEqual(info.status, 0, `request ${fileRequestId} failed instead of reaching status ${status}`);
    if (Date.now() > deadline)
      assert.fail(`request ${fileRequestId} is in status ${info.status}, not ${status}`);
    if (
      await event.then(
        () => true,
        () => false,
      )
    )
      return;
  }
}

/** How many objects the bucket holds under `prefix`. */
async function objectsUnder(s3: S3Server, prefix: string): Promise<number> {
  const client = s3.client();
  try {
    const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
    return page.KeyCount ?? 0;
  } finally {
    client.destroy();
  }
}

/** Two rooms on a hub whose bodies are in S3; alice has a file of `size` random bytes stored, not sent yet. */
async function setUp(form: 'flags' | 'env', size: number, aliceArgs: string[]) {
  const s3 = await S3Server.start();
  const cluster = new Cluster();
  await cluster.createAccounts(['alice', 'bob']);
  await startHubOnS3(cluster, s3, form);
  await cluster.startRoom('alice', aliceArgs);
  const bobRoom = await cluster.startRoom('bob');
  const alice = await cluster.connect('alice');
  const bob = await cluster.connect('bob');
  const path = join(cluster.root.path, 'big.bin');
  const sha256 = await randomFile(path, size);
  const fileId = await uploadFile(
    cluster.rooms.get('alice')!.httpPort,
    alice.tokenForHttpServer,
    path,
    'big.bin',
  );
  const close = async () => {
    await cluster.close();
    await s3.close();
  };
  return { s3, cluster, alice, bob, bobHttp: bobRoom.httpPort, sha256, fileId, close };
}

/** alice sends her file to bob, who accepts it at once. */
async function send(alice: Api, bob: Api, fileId: number) {
  const received = bob.waitFor('receivedFileRequest');
  const sent = await alice.call('sendFile', { fileId, peerId: 'bob@files.local' });
  const offer = await received;
  await bob.call('acceptIncomingFileRequest', { fileRequestId: offer.fileRequestId });
  return { sentId: sent.sentFileRequestId, offerId: offer.fileRequestId };
}

test(
  'a hub on S3 (--blobs s3://… --s3-endpoint --s3-force-path-style): 200 MiB streams to the recipient while the sender uploads, byte-identical',
  { timeout: 180_000 },
  async () => {
    const SIZE = 200 * 1024 * 1024;
    // Held to a rate that makes the upload last a few seconds: long enough to see bob receive during it.
    const { s3, cluster, alice, bob, bobHttp, sha256, fileId, close } = await setUp('flags', SIZE, [
      '--max-rate',
      '50MiB',
    ]);
    try {
      const { sentId, offerId } = await send(alice, bob, fileId);
      await bob.waitFor('incomingFileRequestDownloadingProgress', (e) => e.processedPercents >= 10, 90_000);
      const received = (await cluster.hubStats()).receivedByBlob[sha256] ?? 0;
      assert.ok(received < SIZE, `the hub was still receiving the body (${received} of ${SIZE} bytes)`);
      assert.ok(
        (await objectsUnder(s3, `${PREFIX}/uploads/${sha256}/alice/`)) > 0,
        'parts are in the bucket',
      );
      assert.equal(
        await objectsUnder(s3, `${PREFIX}/complete/`),
        0,
        'the body is not complete in the bucket yet',
      );

      await untilStatus(alice, sentId, 3);
      await untilStatus(bob, offerId, 3);
      const info = await bob.call('getFileRequestInfo', { fileRequestId: offerId });
      assert.equal(await downloadSha256(bobHttp, bob.tokenForHttpServer, info.fileId!), sha256);
      const { status, body } = await health(cluster);
      assert.equal(status, 200);
      assert.deepEqual(body.blobs, { reachable: true });
      // Delivered, the body is needed no more: it leaves the bucket, and nothing was ever kept on the hub's disk.
      assert.equal(await objectsUnder(s3, `${PREFIX}/`), 0, 'nothing left in the bucket');
      assert.equal(existsSync(join(cluster.hubData, 'blobs')), false, 'no body directory at the hub');
    } finally {
      await close();
    }
  },
);

test(
  'the S3 endpoint unreachable for 10 s (ROOMFILES_BLOBS, ROOMFILES_S3_ENDPOINT): the upload waits and resumes, nothing is marked complete that is not stored',
  { timeout: 180_000 },
  async () => {
    // Smaller than a part: the whole body can reach the hub while the bucket is away, and still must not count.
    const SIZE = 6 * 1024 * 1024;
    const { s3, cluster, alice, bob, bobHttp, sha256, fileId, close } = await setUp('env', SIZE, [
      '--max-rate',
      '2MiB',
    ]);
    try {
      assert.deepEqual((await health(cluster)).body.blobs, { reachable: true });
      const { sentId, offerId } = await send(alice, bob, fileId);
      // The first part is stored (bob has it): then the endpoint goes away, with most of the body still to come.
      await bob.waitFor('incomingFileRequestDownloadingProgress', (e) => e.processedPercents >= 1, 60_000);
      await s3.stop();
      const outage = health(cluster);
      // The fault itself lasts 10 s (what is awaited here is its length, not an event).
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      const during = await outage;
      assert.equal(during.status, 503, 'a hub that cannot reach its bucket says so');
      assert.deepEqual(during.body.blobs, { reachable: false });
      assert.equal((await cluster.hubStats()).receivedByBlob[sha256] !== undefined, true);
      for (const [api, id] of [
        [alice, sentId],
        [bob, offerId],
      ] as const) {
        const { status } = await api.call('getFileRequestInfo', { fileRequestId: id });
        assert.equal(status, 2, `still transferring while the bucket is away (status ${status})`);
      }

      await s3.start();
      await untilStatus(alice, sentId, 3);
      await untilStatus(bob, offerId, 3);
      const info = await bob.call('getFileRequestInfo', { fileRequestId: offerId });
      assert.equal(await downloadSha256(bobHttp, bob.tokenForHttpServer, info.fileId!), sha256);
      for (const api of [alice, bob]) {
        const history = await api.call('getFileTransferHistory');
        assert.equal(history.filesRequests.length, 1, 'one history entry per side');
      }
      assert.equal((await health(cluster)).status, 200);
    } finally {
      await close();
    }
  },
);

test('a --blobs location that is not one is refused in one sentence, before the hub listens', async () => {
  const data = tempDir('roomfiles-hub-');
  try {
    const result = await runCli([
      'hub',
      '--listen',
      '127.0.0.1:0',
      '--data',
      data.path,
      '--blobs',
      's3://Bad_Bucket/x',
    ]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr.trim(), /^[^\n]*--blobs: not an S3 location \(s3:\/\/bucket\/prefix\)[^\n]*$/);
    assert.doesNotMatch(result.stdout, /listening/);
  } finally {
    data.cleanup();
  }
});

test(
  'kill -9 of a hub on S3 mid-upload: the hub started again resumes from the last part stored, byte-identical',
  { timeout: 180_000 },
  async () => {
    const SIZE = 48 * 1024 * 1024;
    const { s3, cluster, alice, bob, bobHttp, sha256, fileId, close } = await setUp('flags', SIZE, [
      '--max-rate',
      '8MiB',
    ]);
    try {
      const { sentId, offerId } = await send(alice, bob, fileId);
      await bob.waitFor('incomingFileRequestDownloadingProgress', (e) => e.processedPercents >= 25, 60_000);
      const down = Promise.all([
        alice.waitFor('serverDisconnected', () => true, 30_000),
        bob.waitFor('serverDisconnected', () => true, 30_000),
      ]);
      await cluster.hub!.kill();
      await down;
      const stored = await bytesUnder(s3, `${PREFIX}/uploads/${sha256}/alice/`);
      assert.ok(
        stored > 0 && stored < SIZE,
        `the bucket held part of the body when the hub died (${stored})`,
      );

      await startHubOnS3(cluster, s3, 'flags');
      await untilStatus(alice, sentId, 3);
      await untilStatus(bob, offerId, 3);
      const info = await bob.call('getFileRequestInfo', { fileRequestId: offerId });
      assert.equal(await downloadSha256(bobHttp, bob.tokenForHttpServer, info.fileId!), sha256);
      const received = (await cluster.hubStats()).receivedByBlob[sha256] ?? 0;
      assert.ok(
        received <= SIZE - stored,
        `the new hub received ${received} bytes: no more than the ${SIZE - stored} not stored before`,
      );
      for (const api of [alice, bob]) {
        const history = await api.call('getFileTransferHistory');
        assert.equal(history.filesRequests.length, 1, 'one history entry per side');
      }
    } finally {
      await close();
    }
  },
);
