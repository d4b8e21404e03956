import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { TestBed } from '../helpers/harness.js';
import { failure, parties, randomBody, upload, type Message, type Party } from './support.js';

/**
 * Lists, request info, history, deleting a file and clearing the history, checked against each other after each
 * step of several transfers (room-api.md §6, §8).
 */

const bed = new TestBed();
after(() => bed.close());

function strip(reply: Record<string, unknown>): Message {
  const { method: _m, requestId: _r, result: _res, ...rest } = reply;
  return rest;
}

interface Sent {
  sendId: string;
  offerId: string;
  timestamp: number;
  file: { fileId: number; fileName: string; fileSize: number };
}

/** alice sends `file` to bob; resolves once bob has the request (status 1 on both sides). */
async function offer(alice: Party, bob: Party, file: Sent['file']): Promise<Sent> {
  const mark = bob.rec.mark();
  const { sentFileRequestId: sendId } = await alice.conn.call('sendFile', {
    fileId: file.fileId,
    peerId: bob.peerId,
  });
  const sent = await alice.rec.waitFor('outgoingFileRequestSent', (m) => m.fileRequestId === sendId);
  const received = await bob.rec.next(mark, 'receivedFileRequest');
  return { sendId, offerId: String(received.fileRequestId), timestamp: sent.timestamp as number, file };
}

async function complete(alice: Party, bob: Party, sent: Sent): Promise<number> {
  await bob.conn.call('acceptIncomingFileRequest', { fileRequestId: sent.offerId });
  const done = await bob.rec.waitFor(
    'fileRequestStatusChanged',
    (m) => m.fileRequestId === sent.offerId && m.status === 3,
  );
  await alice.rec.waitFor(
    'fileRequestStatusChanged',
    (m) => m.fileRequestId === sent.sendId && m.status === 3,
  );
  return done.fileId as number;
}

const outgoingItem = (s: Sent, bob: Party, status: number) => ({
  fileRequestId: s.sendId,
  fileName: s.file.fileName,
  status,
  size: s.file.fileSize,
  timestamp: s.timestamp,
  fileId: s.file.fileId,
  peerId: bob.peerId,
  peerDn: bob.peerDn,
});
const incomingItem = (s: Sent, alice: Party, status: number) => ({
  fileRequestId: s.offerId,
  peerId: alice.peerId,
  peerDn: alice.peerDn,
  fileName: s.file.fileName,
  size: s.file.fileSize,
  status,
  timestamp: s.timestamp,
});
const outgoingInfo = (s: Sent, bob: Party, status: number) => ({
  fileRequestId: s.sendId,
  status,
  directionType: 1,
  fileName: s.file.fileName,
  fileSize: s.file.fileSize,
  timestamp: s.timestamp,
  peerId: bob.peerId,
  peerDisplayName: bob.peerDn,
  fileId: s.file.fileId,
});
const incomingInfo = (s: Sent, alice: Party, status: number, fileId?: number) => ({
  fileRequestId: s.offerId,
  status,
  directionType: 0,
  fileName: s.file.fileName,
  fileSize: s.file.fileSize,
  timestamp: s.timestamp,
  peerId: alice.peerId,
  peerDisplayName: alice.peerDn,
  ...(fileId !== undefined ? { fileId } : {}),
});
const historyEntry = (s: Sent, direction: 0 | 1, peer: Party, fileId: number) => ({
  directionType: direction,
  fileName: s.file.fileName,
  fileSize: s.file.fileSize,
  timestamp: s.timestamp,
  fileRequestId: direction === 1 ? s.sendId : s.offerId,
  fileId,
  peerId: peer.peerId,
  peerDn: peer.peerDn,
});

async function fileIds(p: Party): Promise<number[]> {
  return (await p.conn.call('getFileList')).fileList.map((f) => f.fileId).sort();
}

test('7. lists, info, history, delete and clear agree after every step', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  // alice's uploads to the hub are held to 1 MiB/s, so a 1.5 MiB body stays in status 2 long enough to look at.
  const [alice] = await parties(bed, hub, ['alice'], { maxRateBytes: 1024 * 1024 });
  const [bob] = await parties(bed, hub, ['bob']);

  // --- nothing yet ---
  for (const p of [alice, bob]) {
    assert.deepEqual((await p.conn.call('getIncomingFilesRequests')).incomingFilesRequests, []);
    assert.deepEqual((await p.conn.call('getOutgoingFilesRequests')).outgoingFilesRequests, []);
    assert.deepEqual((await p.conn.call('getFileTransferHistory')).filesRequests, []);
    assert.deepEqual((await p.conn.call('getFileList')).fileList, []);
  }
  assert.equal(await failure(alice.conn, 'getFileRequestInfo', { fileRequestId: randomUUID() }), 404);
  assert.equal(await failure(alice.conn, 'getFileRequestInfo', {}), 400);

  // --- waiting (status 1) ---
  const f1 = await upload(alice.room, alice.conn, 'one.bin', randomBody(1536 * 1024));
  const t1 = await offer(alice, bob, f1);
  assert.deepEqual((await alice.conn.call('getOutgoingFilesRequests')).outgoingFilesRequests, [
    outgoingItem(t1, bob, 1),
  ]);
  assert.deepEqual((await bob.conn.call('getIncomingFilesRequests')).incomingFilesRequests, [
    incomingItem(t1, alice, 1),
  ]);
  assert.deepEqual((await alice.conn.call('getIncomingFilesRequests')).incomingFilesRequests, []);
  assert.deepEqual((await bob.conn.call('getOutgoingFilesRequests')).outgoingFilesRequests, []);
  assert.deepEqual(
    strip(await alice.conn.call('getFileRequestInfo', { fileRequestId: t1.sendId })),
    outgoingInfo(t1, bob, 1),
  );
  assert.deepEqual(
    strip(await bob.conn.call('getFileRequestInfo', { fileRequestId: t1.offerId })),
    incomingInfo(t1, alice, 1),
  );
  // Ids are per room: one room's id is unknown to the other.
  assert.equal(await failure(bob.conn, 'getFileRequestInfo', { fileRequestId: t1.sendId }), 404);
  assert.equal(await failure(alice.conn, 'getFileRequestInfo', { fileRequestId: t1.offerId }), 404);
  assert.equal(await failure(alice.conn, 'deleteFileTransferFile', { fileId: f1.fileId }), 409);
  for (const p of [alice, bob])
    assert.deepEqual((await p.conn.call('getFileTransferHistory')).filesRequests, []);

  // --- transferring (status 2): processedPercents appears, the file may not be deleted ---
  await bob.conn.call('acceptIncomingFileRequest', { fileRequestId: t1.offerId });
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.fileRequestId === t1.sendId && m.status === 2);
  await bob.rec.waitFor('fileRequestStatusChanged', (m) => m.fileRequestId === t1.offerId && m.status === 2);
  const aliceInfo = strip(await alice.conn.call('getFileRequestInfo', { fileRequestId: t1.sendId }));
  const bobInfo = strip(await bob.conn.call('getFileRequestInfo', { fileRequestId: t1.offerId }));
  for (const [info, expected] of [
    [aliceInfo, outgoingInfo(t1, bob, 2)],
    [bobInfo, incomingInfo(t1, alice, 2)],
  ] as const) {
    const { processedPercents, ...rest } = info;
    assert.deepEqual(rest, expected);
    assert.ok(Number.isInteger(processedPercents), `processedPercents ${String(processedPercents)}`);
    assert.ok((processedPercents as number) >= 0 && (processedPercents as number) <= 100);
  }
  assert.equal(await failure(alice.conn, 'deleteFileTransferFile', { fileId: f1.fileId }), 409);
  assert.deepEqual((await alice.conn.call('getOutgoingFilesRequests')).outgoingFilesRequests, [
    outgoingItem(t1, bob, 2),
  ]);
  assert.deepEqual((await bob.conn.call('getIncomingFilesRequests')).incomingFilesRequests, [
    incomingItem(t1, alice, 2),
  ]);
  assert.equal(await failure(bob.conn, 'acceptIncomingFileRequest', { fileRequestId: t1.offerId }), 409);
  assert.equal(await failure(bob.conn, 'rejectIncomingFileRequest', { fileRequestId: t1.offerId }), 409);

  // --- done (status 3) ---
  const done = await bob.rec.waitFor(
    'fileRequestStatusChanged',
    (m) => m.fileRequestId === t1.offerId && m.status === 3,
  );
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.fileRequestId === t1.sendId && m.status === 3);
  const b1 = done.fileId as number;
  assert.deepEqual(
    strip(await alice.conn.call('getFileRequestInfo', { fileRequestId: t1.sendId })),
    outgoingInfo(t1, bob, 3),
  );
  assert.deepEqual(
    strip(await bob.conn.call('getFileRequestInfo', { fileRequestId: t1.offerId })),
    incomingInfo(t1, alice, 3, b1),
  );
  assert.deepEqual((await alice.conn.call('getFileTransferHistory')).filesRequests, [
    historyEntry(t1, 1, bob, f1.fileId),
  ]);
  assert.deepEqual((await bob.conn.call('getFileTransferHistory')).filesRequests, [
    historyEntry(t1, 0, alice, b1),
  ]);
  assert.deepEqual(await fileIds(bob), [b1]);

  // --- a second transfer: lists and history newest first ---
  const f2 = await upload(alice.room, alice.conn, 'two.txt', randomBody(4000));
  const t2 = await offer(alice, bob, f2);
  assert.ok(t2.timestamp > t1.timestamp);
  const b2 = await complete(alice, bob, t2);
  assert.deepEqual((await alice.conn.call('getFileTransferHistory')).filesRequests, [
    historyEntry(t2, 1, bob, f2.fileId),
    historyEntry(t1, 1, bob, f1.fileId),
  ]);
  assert.deepEqual((await bob.conn.call('getFileTransferHistory')).filesRequests, [
    historyEntry(t2, 0, alice, b2),
    historyEntry(t1, 0, alice, b1),
  ]);
  assert.deepEqual((await alice.conn.call('getOutgoingFilesRequests')).outgoingFilesRequests, [
    outgoingItem(t2, bob, 3),
    outgoingItem(t1, bob, 3),
  ]);
  assert.deepEqual((await bob.conn.call('getIncomingFilesRequests')).incomingFilesRequests, [
    incomingItem(t2, alice, 3),
    incomingItem(t1, alice, 3),
  ]);

  // --- f1 offered again and left waiting: alice may not delete it; bob may delete his own copy ---
  const t3 = await offer(alice, bob, f1);
  assert.equal(await failure(alice.conn, 'deleteFileTransferFile', { fileId: f1.fileId }), 409);
  let mark = bob.rec.mark();
  await bob.conn.call('deleteFileTransferFile', { fileId: b1 });
  await bob.rec.waitFor('fileDeletedFromFileTransferHistory');
  assert.deepEqual(bob.rec.sequence(mark, ['deleteFileTransferFile']), [
    { reply: 'deleteFileTransferFile', result: true },
    { event: 'fileDeletedFromFileTransferHistory', ...historyEntry(t1, 0, alice, b1), removedFromDisk: true },
  ]);
  assert.deepEqual((await bob.conn.call('getFileTransferHistory')).filesRequests, [
    historyEntry(t2, 0, alice, b2),
  ]);
  assert.deepEqual(await fileIds(bob), [b2]);
  assert.equal(existsSync(bob.room.files.pathOf(b1)), false);
  const gone = await fetch(
    `http://127.0.0.1:${bob.room.httpPort}/files/${b1}?token=${bob.conn.tokenForHttpServer}`,
  );
  assert.equal(gone.status, 404);
  await gone.arrayBuffer();
  assert.equal(await failure(bob.conn, 'deleteFileTransferFile', { fileId: b1 }), 404);
  // The request stays listed (only the history forgets it), newest first.
  assert.deepEqual((await bob.conn.call('getIncomingFilesRequests')).incomingFilesRequests, [
    incomingItem(t3, alice, 1),
    incomingItem(t2, alice, 3),
    incomingItem(t1, alice, 3),
  ]);

  // bob rejects t3: it leaves his list; alice's file is free, and deleting it removes her t1 entry.
  await bob.conn.call('rejectIncomingFileRequest', { fileRequestId: t3.offerId });
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.fileRequestId === t3.sendId && m.status === 0);
  assert.deepEqual(
    (await bob.conn.call('getIncomingFilesRequests')).incomingFilesRequests.map((r) => r.fileRequestId),
    [t2.offerId, t1.offerId],
  );
  assert.deepEqual(
    (await alice.conn.call('getOutgoingFilesRequests')).outgoingFilesRequests.map((r) => [
      r.fileRequestId,
      r.status,
    ]),
    [
      [t3.sendId, 0],
      [t2.sendId, 3],
      [t1.sendId, 3],
    ],
  );
  mark = alice.rec.mark();
  await alice.conn.call('deleteFileTransferFile', { fileId: String(f1.fileId) });
  await alice.rec.waitFor('fileDeletedFromFileTransferHistory');
  assert.deepEqual(alice.rec.sequence(mark, ['deleteFileTransferFile']), [
    { reply: 'deleteFileTransferFile', result: true },
    {
      event: 'fileDeletedFromFileTransferHistory',
      ...historyEntry(t1, 1, bob, f1.fileId),
      removedFromDisk: true,
    },
  ]);
  assert.deepEqual((await alice.conn.call('getFileTransferHistory')).filesRequests, [
    historyEntry(t2, 1, bob, f2.fileId),
  ]);
  assert.deepEqual(await fileIds(alice), [f2.fileId]);

  // A file never sent is deleted without a history event.
  const lone = await upload(alice.room, alice.conn, 'lone.txt', randomBody(10));
  mark = alice.rec.mark();
  await alice.conn.call('deleteFileTransferFile', { fileId: lone.fileId });
  await alice.conn.call('getFileList');
  assert.deepEqual(alice.rec.events(mark), []);

  // --- clearFileTransferHistory ---
  // bob, deleting files: his copy of f2 goes with the history.
  mark = bob.rec.mark();
  await bob.conn.call('clearFileTransferHistory', { deleteFilesFromDisk: true });
  await bob.rec.waitFor('fileTransferHistoryCleared');
  assert.deepEqual(bob.rec.sequence(mark, ['clearFileTransferHistory']), [
    { reply: 'clearFileTransferHistory', result: true },
    { event: 'fileTransferHistoryCleared', removedFromDisk: true },
  ]);
  assert.deepEqual((await bob.conn.call('getFileTransferHistory')).filesRequests, []);
  assert.deepEqual(await fileIds(bob), []);
  assert.equal(existsSync(bob.room.files.pathOf(b2)), false);

  // alice, deleting files, while f2 is offered again and waiting: f2 is kept.
  const t4 = await offer(alice, bob, f2);
  mark = alice.rec.mark();
  await alice.conn.call('clearFileTransferHistory', { deleteFilesFromDisk: true });
  await alice.rec.waitFor('fileTransferHistoryCleared');
  assert.deepEqual(alice.rec.sequence(mark, ['clearFileTransferHistory']), [
    { reply: 'clearFileTransferHistory', result: true },
    { event: 'fileTransferHistoryCleared', removedFromDisk: true },
  ]);
  assert.deepEqual((await alice.conn.call('getFileTransferHistory')).filesRequests, []);
  assert.deepEqual(await fileIds(alice), [f2.fileId]);

  // t4 completes: a new history entry; then a clear without deleting keeps the files on both sides.
  const b4 = await complete(alice, bob, t4);
  assert.deepEqual((await alice.conn.call('getFileTransferHistory')).filesRequests, [
    historyEntry(t4, 1, bob, f2.fileId),
  ]);
  assert.deepEqual((await bob.conn.call('getFileTransferHistory')).filesRequests, [
    historyEntry(t4, 0, alice, b4),
  ]);
  for (const [p, params] of [
    [alice, { deleteFilesFromDisk: false }],
    [bob, {}],
  ] as const) {
    mark = p.rec.mark();
    await p.conn.call('clearFileTransferHistory', params);
    await p.rec.next(mark, 'fileTransferHistoryCleared');
    assert.deepEqual(p.rec.sequence(mark), [{ event: 'fileTransferHistoryCleared', removedFromDisk: false }]);
    assert.deepEqual((await p.conn.call('getFileTransferHistory')).filesRequests, []);
  }
  assert.deepEqual(await fileIds(alice), [f2.fileId]);
  assert.deepEqual(await fileIds(bob), [b4]);
  // Info of a request whose history entry is gone still answers (requests are not history).
  assert.deepEqual(
    strip(await bob.conn.call('getFileRequestInfo', { fileRequestId: t4.offerId })),
    incomingInfo(t4, alice, 3, b4),
  );
});
