import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ManualClock } from '../../src/common/clock.js';
import { TransferFailedError, type RoomClient } from '../../src/client/index.js';
import type { Hub } from '../../src/hub/hub.js';
import type { Room } from '../../src/room/room.js';
import { TestBed } from '../helpers/harness.js';
import { corruptTail, randomFile } from '../helpers/cluster.js';
import { conferenceOfTwo, logged } from './support.js';

/**
 * The helper sendFileToConference(path) (docs/sdk.md "Send a file"): it resolves once the hub holds the file
 * (status 3) — each participant accepts or rejects on their own, so a participant's rejection does not fail it —
 * and it rejects with a TransferFailedError carrying the statusReason when the send itself ends in status 0.
 */

const bed = new TestBed();
after(() => bed.close());

const MINUTE = 60_000;

interface InConference {
  hub: Hub;
  aliceRoom: Room;
  alice: RoomClient;
  bob: RoomClient;
  confId: string;
}

/** alice (her room uploading at `aliceRate` bytes/s) creates a conference and bob joins it. */
async function conference(
  hubOptions: Parameters<TestBed['hub']>[0],
  aliceRate: number,
): Promise<InConference> {
  const hub = await bed.hub({ accounts: ['alice', 'bob'], ...hubOptions });
  const {
    rooms: [aliceRoom],
    clients: [alice],
  } = await logged(bed, ['alice'], { hub, room: { maxRateBytes: aliceRate } });
  const {
    clients: [bob],
  } = await logged(bed, ['bob'], { hub });
  const confId = await conferenceOfTwo(alice, bob);
  return { hub, aliceRoom, alice, bob, confId };
}

/** Awaits a promise that must reject with a TransferFailedError; returns it. */
async function transferFailure(promise: Promise<unknown>): Promise<TransferFailedError> {
  let failure: unknown;
  try {
    await promise;
  } catch (error) {
    failure = error;
  }
  assert.ok(failure !== undefined, 'sendFileToConference resolved; a TransferFailedError was expected');
  assert.ok(failure instanceof TransferFailedError, `not a TransferFailedError: ${String(failure)}`);
  return failure;
}

test('the only other participant rejects: the helper still resolves at status 3 (each participant decides alone)', async () => {
  // alice uploads at 1 MiB/s: bob's rejection reaches the hub while the 2 MiB body is still on its way.
  const { alice, bob, confId } = await conference({}, 1024 * 1024);
  const path = join(bed.dir('conf-reject-'), 'unwanted.bin');
  await randomFile(path, 2 * 1024 * 1024);
  let rejectedAt = 0;
  const rejected = bob
    .waitFor('receivedFileRequest', (e) => e.fileName === 'unwanted.bin', 15_000)
    .then(async (offer) => {
      await bob.rejectIncomingFileRequest({ fileRequestId: offer.fileRequestId });
      rejectedAt = performance.now();
      return offer;
    });
  const statuses: number[] = [];
  const result = await alice.sendFileToConference(path, { onStatus: (s) => statuses.push(s) });
  const resolvedAt = performance.now();
  const offer = await rejected;
  assert.ok(rejectedAt > 0 && rejectedAt < resolvedAt, 'bob rejected before the helper resolved');
  assert.equal(offer.confId, confId);
  assert.deepEqual(statuses, [2, 3]);
  const info = await alice.getFileRequestInfo({ fileRequestId: result.fileRequestId });
  assert.equal(info.status, 3);
  assert.equal(info.confId, confId);
  // bob's side: the rejected request is gone from his list.
  const incoming = (await bob.getIncomingFilesRequests()).incomingFilesRequests;
  assert.equal(
    incoming.some((r) => r.fileRequestId === offer.fileRequestId),
    false,
  );
});

test('the send expires before its body reached the hub: TransferFailedError with statusReason "expired"', async () => {
  const clock = new ManualClock();
  // alice uploads at 256 KiB/s: the 2 MiB body is far from whole when the hub's clock passes the offer TTL.
  const { alice, confId } = await conference({ clock, offerTtlMs: 10 * MINUTE }, 256 * 1024);
  const path = join(bed.dir('conf-expire-'), 'too-slow.bin');
  await randomFile(path, 2 * 1024 * 1024);
  const statuses: number[] = [];
  const failure = await transferFailure(
    alice.sendFileToConference(path, {
      onStatus: (status) => {
        statuses.push(status);
        if (status === 2) clock.advance(10 * MINUTE + 1000);
      },
    }),
  );
  assert.equal(failure.statusReason, 'expired');
  assert.equal(failure.fileName, 'too-slow.bin');
  assert.equal(failure.peerId, undefined, 'a conference send names no peer');
  assert.equal(failure.confId, confId);
  assert.equal(failure.message, `the offer of too-slow.bin to conference ${confId} expired`);
  assert.deepEqual(statuses, [2, 0]);
  const info = await alice.getFileRequestInfo({ fileRequestId: failure.fileRequestId });
  assert.equal(info.status, 0);
  assert.equal(info.statusReason, 'expired');
  assert.equal(info.confId, confId);
});

test('the body fails its checksum at the hub: TransferFailedError with statusReason "failed"', async () => {
  // alice uploads at 1 MiB/s: the end of the 4 MiB file is read from disk well after the send started.
  const { alice, aliceRoom, confId } = await conference({}, 1024 * 1024);
  const path = join(bed.dir('conf-corrupt-'), 'damaged.bin');
  await randomFile(path, 4 * 1024 * 1024);
  const statuses: number[] = [];
  let corrupted: Promise<void> | undefined;
  const failure = await transferFailure(
    alice.sendFileToConference(path, {
      onStatus: (status, event) => {
        statuses.push(status);
        // The room's stored copy changes in place (same size) once the upload to the hub is under way: what
        // reaches the hub no longer matches the sha256 offered.
        if (status === 2) corrupted = corruptTail(aliceRoom.files.pathOf(event.fileId!));
      },
    }),
  );
  await corrupted;
  assert.equal(failure.statusReason, 'failed');
  assert.equal(failure.fileName, 'damaged.bin');
  // The hub's reason in words comes with it (statusReasonText [ext]).
  assert.ok(
    failure.message.startsWith(`the transfer of damaged.bin to conference ${confId} failed: `),
    failure.message,
  );
  assert.match(failure.message, /sha256|integrity/);
  assert.deepEqual(statuses, [2, 0]);
  const info = await alice.getFileRequestInfo({ fileRequestId: failure.fileRequestId });
  assert.equal(info.status, 0);
  assert.equal(info.statusReason, 'failed');
  assert.equal(
    `the transfer of damaged.bin to conference ${confId} failed: ${info.statusReasonText}`,
    failure.message,
  );
  assert.equal(info.confId, confId);
});
