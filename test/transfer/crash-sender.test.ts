import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RATE, SIZE, assertCompleted, reconnect, setUp, untilStatus } from './crash-support.js';

test(
  'kill -9 of the sender mid-transfer: the upload resumes, no byte is sent twice',
  { timeout: 180_000 },
  async () => {
    const { cluster, bob, sha256, sentId, offerId } = await setUp();
    try {
      await bob.waitFor('incomingFileRequestDownloadingProgress', (e) => e.processedPercents >= 25, 60_000);
      await cluster.rooms.get('alice')!.proc.kill();
      const atKill = (await cluster.hubStats()).receivedByBlob[sha256] ?? 0;
      assert.ok(
        atKill > 0 && atKill < SIZE,
        `the hub held part of the body when the sender died (${atKill})`,
      );

      await cluster.startRoom('alice', RATE);
      const alice = await reconnect(cluster, 'alice');
      await untilStatus(alice, sentId, 3);
      await untilStatus(bob, offerId, 3);
      await assertCompleted(alice, bob, sentId, sha256);
      const total = (await cluster.hubStats()).receivedByBlob[sha256];
      assert.equal(total, SIZE, 'the hub received every byte exactly once');
    } finally {
      await cluster.close();
    }
  },
);
