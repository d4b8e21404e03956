import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventMessage } from '../../src/protocol/envelope.js';
import { legacyShapesOf } from '../../src/room/legacy-companions.js';
import { legacyItem } from '../../src/room/legacy-views.js';
import type { RequestRecord } from '../../src/room/store.js';
import { assertLegacyEvent, assertLegacyItem } from './support.js';

/** The legacy shapes as pure functions of a request record and a current event (room-api.md §10). */

const base: RequestRecord = {
  fileRequestId: 'r-1',
  direction: 0,
  status: 1,
  statusReason: null,
  fileName: 'a.txt',
  fileSize: 1000,
  sha256: 'x',
  fileId: null,
  peerId: 'alice@files.local',
  peerDn: 'Alice',
  confId: null,
  timestamp: 1_700_000_000_000,
  hubId: 'h',
  processed: 0,
  account: 'bob@files.local',
  legacyId: 7,
  peersCount: null,
};

test('legacy items: bytes, speed and fileId by status; peersCount by kind of request', () => {
  const waiting = legacyItem(base, undefined);
  assertLegacyItem(waiting);
  assert.deepEqual(
    {
      fileId: waiting.fileId,
      processedSize: waiting.processedSize,
      speed: waiting.speed,
      peersCount: waiting.peersCount,
    },
    { fileId: null, processedSize: 0, speed: 0, peersCount: 1 },
  );
  // Moving: the last progress event's numbers, else the bytes last saved with no speed.
  const moving = { ...base, status: 2 as const, processed: 300 };
  assert.deepEqual(legacyItem(moving, { processedSize: 450, speed: 90 }).processedSize, 450);
  assert.deepEqual(legacyItem(moving, { processedSize: 450, speed: 90 }).speed, 90);
  assert.deepEqual(legacyItem(moving, undefined).processedSize, 300);
  assert.deepEqual(legacyItem(moving, undefined).speed, 0);
  // Done: the whole size and the received file; failed: what had moved, no speed even with a sample left.
  const done = legacyItem(
    { ...base, status: 3, fileId: 42, processed: 999 },
    { processedSize: 999, speed: 5 },
  );
  assert.deepEqual([done.fileId, done.processedSize, done.speed], [42, 1000, 0]);
  const failed = legacyItem({ ...base, status: 0, statusReason: 'failed', processed: 120 }, undefined);
  assert.deepEqual([failed.fileId, failed.processedSize, failed.speed], [null, 120, 0]);
  // A conference send: its counted recipients, 0 when it was never counted; no peer.
  const conference = {
    ...base,
    direction: 1 as const,
    fileId: 5,
    peerId: null,
    peerDn: null,
    confId: 'c#vcs',
  };
  assert.equal(legacyItem({ ...conference, peersCount: 3 }, undefined).peersCount, 3);
  assert.equal(legacyItem(conference, undefined).peersCount, 0);
  assert.equal(legacyItem(conference, undefined).fileId, 5, 'an outgoing request always names its file');
  assertLegacyItem(legacyItem(conference, undefined));
});

test('legacy companions: none for an unknown request; fileTransferFileDeleted only with the deleted file', () => {
  const status = eventMessage('fileRequestStatusChanged', { fileRequestId: 'gone', status: 2 });
  assert.deepEqual(
    legacyShapesOf(status as never, () => undefined, {}),
    { companions: [] },
  );

  const deleted = eventMessage('fileDeletedFromFileTransferHistory', { fileId: 9 });
  assert.deepEqual(
    legacyShapesOf(deleted as never, () => undefined, {}),
    { companions: [] },
  );
  const file = {
    fileId: 9,
    fileName: 'z',
    fileSize: 3,
    sha256: 's',
    timestamp: 11,
    source: 'upload' as const,
  };
  const shapes = legacyShapesOf(deleted, () => undefined, { deletedFile: file });
  assert.deepEqual(shapes.companions, [
    {
      method: 'event',
      event: 'fileTransferFileDeleted',
      file: { fileId: 9, fileName: 'z', fileSize: 3, timestamp: 11 },
    },
  ]);
});

test('status companions: fileAccepted and fileRejected on the sender side of a user request only', () => {
  const outgoing = { ...base, direction: 1 as const, fileId: 5, status: 2 as const };
  const find = (record: RequestRecord) => () => record;
  const names = (record: RequestRecord, fields: Record<string, unknown>) =>
    legacyShapesOf(
      eventMessage('fileRequestStatusChanged', {
        fileRequestId: 'r-1',
        directionType: record.direction,
        ...fields,
      }) as never,
      find(record),
      {},
    ).companions.map((m) => {
      const { method: _m, ...rest } = m;
      assertLegacyEvent(rest);
      return m.event;
    });
  assert.deepEqual(names(outgoing, { status: 2 }), ['fileAccepted', 'fileStatus']);
  assert.deepEqual(names({ ...outgoing, status: 0 }, { status: 0, statusReason: 'rejected' }), [
    'fileRejected',
    'fileStatus',
  ]);
  assert.deepEqual(names({ ...outgoing, status: 0 }, { status: 0, statusReason: 'expired' }), ['fileStatus']);
  assert.deepEqual(names({ ...outgoing, confId: 'c#vcs', peerId: null, peerDn: null }, { status: 2 }), [
    'fileStatus',
  ]);
  assert.deepEqual(
    names({ ...base, status: 2 }, { status: 2 }),
    ['fileStatus'],
    'incoming: fileAccepted came already',
  );
  assert.deepEqual(names({ ...base, status: 0 }, { status: 0, statusReason: 'rejected' }), ['fileStatus']);
});
