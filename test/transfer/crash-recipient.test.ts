import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SIZE, assertCompleted, reconnect, setUp, untilStatus } from './crash-support.js';

test(
  'kill -9 of the recipient mid-transfer: the download resumes from its partial file',
  { timeout: 180_000 },
  async () => {
    const { cluster, alice, bob, sha256, sentId, offerId } = await setUp();
    try {
      await bob.waitFor('incomingFileRequestDownloadingProgress', (e) => e.processedPercents >= 25, 60_000);
      await cluster.rooms.get('bob')!.proc.kill();
      const sentAtKill = (await cluster.hubStats()).bytesSent;

      await cluster.startRoom('bob');
      const bob2 = await reconnect(cluster, 'bob');
      await untilStatus(bob2, offerId, 3);
      await untilStatus(alice, sentId, 3);
      await assertCompleted(alice, bob2, sentId, sha256);
      const resent = (await cluster.hubStats()).bytesSent - sentAtKill;
      assert.ok(
        resent < SIZE * 0.8,
        `after the restart the hub sent ${resent} bytes, less than the whole file`,
      );
      void bob;
    } finally {
      await cluster.close();
    }
  },
);
