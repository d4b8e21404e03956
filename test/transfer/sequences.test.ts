import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { ManualClock } from '../../src/common/clock.js';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { eventually } from '../helpers/http.js';
import {
  Recorder,
  checkProgress,
  download,
  failure,
  parties,
  randomBody,
  restartRoom,
  upload,
  type Message,
  type Party,
  offerFile,
} from './support.js';

/**
 * Whole transfers between rooms, asserting every event each side receives, in order, with every field
 * (room-api.md §6, §8, §9).
 */

const bed = new TestBed();
after(() => bed.close());

const DAY = 24 * 60 * 60_000;

/** Fields of fileRequestStatusChanged / getFileRequestInfo for an outgoing request to a user. */
function outgoingInfo(
  fileRequestId: string,
  to: Party,
  file: { fileName: string; fileSize: number; fileId: number },
  timestamp: number,
  status: number,
): Message {
  return {
    fileRequestId,
    status,
    directionType: 1,
    fileName: file.fileName,
    fileSize: file.fileSize,
    timestamp,
    peerId: to.peerId,
    peerDisplayName: to.peerDn,
    fileId: file.fileId,
  };
}

/** Fields of receivedFileRequest / incomingFileRequestAccepted / …Rejected. */
function incomingFields(
  fileRequestId: string,
  from: Party,
  file: { fileName: string; fileSize: number },
  timestamp: number,
): Message {
  return {
    fileRequestId,
    peerId: from.peerId,
    peerDn: from.peerDn,
    fileName: file.fileName,
    fileSize: file.fileSize,
    timestamp,
  };
}

function incomingInfo(
  fileRequestId: string,
  from: Party,
  file: { fileName: string; fileSize: number },
  timestamp: number,
  status: number,
  fileId?: number,
): Message {
  return {
    fileRequestId,
    status,
    directionType: 0,
    fileName: file.fileName,
    fileSize: file.fileSize,
    timestamp,
    peerId: from.peerId,
    peerDisplayName: from.peerDn,
    ...(fileId !== undefined ? { fileId } : {}),
  };
}

test('1. a user send, accepted: every event on both sides, then list, history and the body agree', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  // The upload is held to about 4 MiB/s so that progress has several steps to report.
  const [alice] = await parties(bed, hub, ['alice'], { maxRateBytes: 4 * 1024 * 1024 });
  const [bob] = await parties(bed, hub, ['bob']);
  const body = randomBody(2 * 1024 * 1024 + 123);
  const file = await upload(alice.room, alice.conn, 'report.pdf', body);
  assert.deepEqual(file, { fileId: file.fileId, fileName: 'report.pdf', fileSize: body.length });

  const aMark = alice.rec.mark();
  const bMark = bob.rec.mark();
  const sent = await alice.conn.call('sendFile', { fileId: file.fileId, peerId: 'bob@files.local' });
  const sendId = sent.sentFileRequestId;
  assert.match(sendId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const received = await bob.rec.waitFor('receivedFileRequest');
  const offerId = String(received.fileRequestId);
  const sentEvent = await alice.rec.waitFor('outgoingFileRequestSent');
  const timestamp = sentEvent.timestamp as number;
  assert.ok(Math.abs(timestamp - Date.now()) < 60_000, 'timestamp in milliseconds');

  // Waiting: lists and info on both sides.
  assert.deepEqual((await bob.conn.call('getFileRequestInfo', { fileRequestId: offerId })).status, 1);

  await bob.conn.call('acceptIncomingFileRequest', { fileRequestId: offerId });
  const bobDone = await bob.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3);
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3);
  const bobFileId = bobDone.fileId as number;
  assert.ok(Number.isInteger(bobFileId) && bobFileId > 0 && bobFileId < 2 ** 31);

  assert.deepEqual(alice.rec.sequence(aMark, ['sendFile']), [
    { reply: 'sendFile', sentFileRequestId: sendId, result: true },
    {
      event: 'outgoingFileRequestSent',
      fileRequestId: sendId,
      peerId: bob.peerId,
      peerDn: bob.peerDn,
      fileName: 'report.pdf',
      fileSize: body.length,
      fileId: file.fileId,
      timestamp,
    },
    { event: 'fileRequestStatusChanged', ...outgoingInfo(sendId, bob, file, timestamp, 2) },
    { event: 'outgoingFileRequestUploadingProgress' },
    { event: 'fileRequestStatusChanged', ...outgoingInfo(sendId, bob, file, timestamp, 3) },
  ]);
  checkProgress(
    alice.rec.progress(sendId, 'outgoingFileRequestUploadingProgress'),
    {
      event: 'outgoingFileRequestUploadingProgress',
      fileRequestId: sendId,
      fileName: 'report.pdf',
      fileId: file.fileId,
      fileSize: body.length,
      peerId: bob.peerId,
      peerDisplayName: bob.peerDn,
      timestamp,
    },
    body.length,
  );
  assert.ok(
    alice.rec.progress(sendId, 'outgoingFileRequestUploadingProgress').length >= 3,
    'a throttled upload reports several steps',
  );

  assert.deepEqual(bob.rec.sequence(bMark, ['acceptIncomingFileRequest']), [
    { event: 'receivedFileRequest', ...incomingFields(offerId, alice, file, timestamp) },
    { reply: 'acceptIncomingFileRequest', result: true },
    { event: 'incomingFileRequestAccepted', ...incomingFields(offerId, alice, file, timestamp) },
    { event: 'fileRequestStatusChanged', ...incomingInfo(offerId, alice, file, timestamp, 2) },
    { event: 'incomingFileRequestDownloadingProgress' },
    { event: 'fileRequestStatusChanged', ...incomingInfo(offerId, alice, file, timestamp, 3, bobFileId) },
  ]);
  checkProgress(
    bob.rec.progress(offerId, 'incomingFileRequestDownloadingProgress'),
    {
      event: 'incomingFileRequestDownloadingProgress',
      fileRequestId: offerId,
      fileName: 'report.pdf',
      fileSize: body.length,
      peerId: alice.peerId,
      peerDisplayName: alice.peerDn,
      timestamp,
    },
    body.length,
  );

  // The file is now bob's: listed, in the history, downloadable byte for byte.
  const bobFiles = (await bob.conn.call('getFileList')).fileList;
  assert.equal(bobFiles.length, 1);
  assert.deepEqual(bobFiles[0], {
    fileId: bobFileId,
    fileName: 'report.pdf',
    fileSize: body.length,
    timestamp: bobFiles[0].timestamp,
  });
  assert.ok(Number.isInteger(bobFiles[0].timestamp));
  assert.equal(Buffer.compare(await download(bob.room, bob.conn, bobFileId), body), 0);

  assert.deepEqual((await bob.conn.call('getFileTransferHistory')).filesRequests, [
    {
      directionType: 0,
      fileName: 'report.pdf',
      fileSize: body.length,
      timestamp,
      fileRequestId: offerId,
      fileId: bobFileId,
      peerId: alice.peerId,
      peerDn: alice.peerDn,
    },
  ]);
  assert.deepEqual((await alice.conn.call('getFileTransferHistory')).filesRequests, [
    {
      directionType: 1,
      fileName: 'report.pdf',
      fileSize: body.length,
      timestamp,
      fileRequestId: sendId,
      fileId: file.fileId,
      peerId: bob.peerId,
      peerDn: bob.peerDn,
    },
  ]);
  assert.deepEqual((await bob.conn.call('getIncomingFilesRequests')).incomingFilesRequests, [
    {
      fileRequestId: offerId,
      peerId: alice.peerId,
      peerDn: alice.peerDn,
      fileName: 'report.pdf',
      size: body.length,
      status: 3,
      timestamp,
    },
  ]);
  assert.deepEqual((await alice.conn.call('getOutgoingFilesRequests')).outgoingFilesRequests, [
    {
      fileRequestId: sendId,
      fileName: 'report.pdf',
      status: 3,
      size: body.length,
      timestamp,
      fileId: file.fileId,
      peerId: bob.peerId,
      peerDn: bob.peerDn,
    },
  ]);
  const {
    method: _m,
    requestId: _r,
    result: _res,
    ...bobInfo
  } = await bob.conn.call('getFileRequestInfo', {
    fileRequestId: offerId,
  });
  assert.deepEqual(bobInfo, incomingInfo(offerId, alice, file, timestamp, 3, bobFileId));
  const {
    method: _m2,
    requestId: _r2,
    result: _res2,
    ...aliceInfo
  } = await alice.conn.call('getFileRequestInfo', { fileRequestId: sendId });
  assert.deepEqual(aliceInfo, outgoingInfo(sendId, bob, file, timestamp, 3));
  // Nothing more arrived after status 3 on either side.
  assert.equal(alice.rec.events(aMark).at(-1)!.status, 3);
  assert.equal(bob.rec.events(bMark).at(-1)!.status, 3);
});

test('2. a user send, rejected: incomingFileRequestRejected, status 0 "rejected" for the sender, no history', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const body = randomBody(200 * 1024);
  const file = await upload(alice.room, alice.conn, 'notes.txt', body);
  const { aMark, bMark, sendId, received } = await offerFile(alice, bob, file.fileId, { callId: 'bob' });
  const offerId = String(received.fileRequestId);
  const timestamp = received.timestamp as number;
  assert.equal(
    (await bob.conn.call('getIncomingFilesRequests')).incomingFilesRequests.length,
    1,
    'the waiting request is listed',
  );
  await bob.conn.call('rejectIncomingFileRequest', { fileRequestId: offerId });
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 0);

  assert.deepEqual(bob.rec.sequence(bMark, ['rejectIncomingFileRequest']), [
    { event: 'receivedFileRequest', ...incomingFields(offerId, alice, file, timestamp) },
    { reply: 'rejectIncomingFileRequest', result: true },
    { event: 'incomingFileRequestRejected', ...incomingFields(offerId, alice, file, timestamp) },
  ]);
  assert.deepEqual(alice.rec.sequence(aMark, ['sendFile']), [
    { reply: 'sendFile', sentFileRequestId: sendId, result: true },
    {
      event: 'outgoingFileRequestSent',
      fileRequestId: sendId,
      peerId: bob.peerId,
      peerDn: bob.peerDn,
      fileName: 'notes.txt',
      fileSize: body.length,
      fileId: file.fileId,
      timestamp,
    },
    {
      event: 'fileRequestStatusChanged',
      ...outgoingInfo(sendId, bob, file, timestamp, 0),
      statusReason: 'rejected',
    },
  ]);
  assert.deepEqual((await bob.conn.call('getIncomingFilesRequests')).incomingFilesRequests, []);
  // [ext] the reason is kept: getFileRequestInfo tells it as the status event did.
  const {
    method: _m,
    requestId: _r,
    result: _res,
    ...ended
  } = await alice.conn.call('getFileRequestInfo', {
    fileRequestId: sendId,
  });
  assert.deepEqual(ended, { ...outgoingInfo(sendId, bob, file, timestamp, 0), statusReason: 'rejected' });
  assert.deepEqual((await bob.conn.call('getFileTransferHistory')).filesRequests, []);
  assert.deepEqual((await alice.conn.call('getFileTransferHistory')).filesRequests, []);
  assert.deepEqual((await bob.conn.call('getFileList')).fileList, []);
  const outgoing = (await alice.conn.call('getOutgoingFilesRequests')).outgoingFilesRequests;
  assert.deepEqual(outgoing, [
    {
      fileRequestId: sendId,
      fileName: 'notes.txt',
      status: 0,
      size: body.length,
      timestamp,
      fileId: file.fileId,
      peerId: bob.peerId,
      peerDn: bob.peerDn,
    },
  ]);
  // The rejected request cannot be answered again.
  assert.equal(await failure(bob.conn, 'rejectIncomingFileRequest', { fileRequestId: offerId }), 409);
  assert.equal(await failure(bob.conn, 'acceptIncomingFileRequest', { fileRequestId: offerId }), 409);
  // The sender's file is free again: it can be deleted.
  await alice.conn.call('deleteFileTransferFile', { fileId: file.fileId });
});

test("2b. a rejection made while the sender's room is stopped reaches it when it starts again", async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const file = await upload(alice.room, alice.conn, 'away.txt', randomBody(20_000));
  const { sentFileRequestId: sendId } = await alice.conn.call('sendFile', {
    fileId: file.fileId,
    peerId: 'bob',
  });
  const received = await bob.rec.waitFor('receivedFileRequest');
  await alice.rec.waitFor('outgoingFileRequestSent');
  const dataDir = alice.room.dataDir;
  await alice.room.stop();
  await bob.conn.call('rejectIncomingFileRequest', { fileRequestId: String(received.fileRequestId) });
  await bob.rec.waitFor('incomingFileRequestRejected');

  const again = await restartRoom(bed, dataDir, 'alice');
  const status = await again.waitFor('fileRequestStatusChanged');
  assert.deepEqual(status, {
    event: 'fileRequestStatusChanged',
    ...outgoingInfo(sendId, bob, file, received.timestamp as number, 0),
    statusReason: 'rejected',
  });
  const conn = await bed.connect(again.room);
  assert.deepEqual(
    (await conn.call('getOutgoingFilesRequests')).outgoingFilesRequests.map((r) => [
      r.fileRequestId,
      r.status,
    ]),
    [[sendId, 0]],
  );
  assert.deepEqual(
    again.seen.filter((m) => /ileRequest/.test(String(m.event))),
    [status],
    'one status event, nothing else about files',
  );
});

test('3a. an offline recipient gets the offer when its room first logs in, and can accept it', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice] = await parties(bed, hub, ['alice']);
  const body = randomBody(300 * 1024);
  const file = await upload(alice.room, alice.conn, 'late.bin', body);
  const { sentFileRequestId: sendId } = await alice.conn.call('sendFile', {
    fileId: file.fileId,
    peerId: 'bob@files.local',
  });
  const sentEvent = await alice.rec.waitFor('outgoingFileRequestSent');
  const timestamp = sentEvent.timestamp as number;

  // Bob's room starts connected to the hub but not logged in; it logs in over the API.
  const bobRoom = await bed.room({ hub, name: 'bob' });
  const bobConn = await bed.connect(bobRoom);
  const rec = new Recorder(bobConn);
  const bob: Party = {
    name: 'bob',
    room: bobRoom,
    conn: bobConn,
    rec,
    peerId: 'bob@files.local',
    peerDn: 'Bob',
  };
  await bobConn.call('login', { login: 'bob', password: 'pw-bob' });
  const received = await rec.waitFor('receivedFileRequest');
  const offerId = String(received.fileRequestId);
  assert.deepEqual(
    rec.events().filter((m) => m.event === 'receivedFileRequest'),
    [{ event: 'receivedFileRequest', ...incomingFields(offerId, alice, file, timestamp) }],
  );
  const login = rec.events().findIndex((m) => m.event === 'login');
  assert.deepEqual(rec.events()[login], { event: 'login', result: 0, peerId: bob.peerId, peerDn: 'Bob' });
  assert.ok(login < rec.events().findIndex((m) => m.event === 'receivedFileRequest'));

  const bMark = rec.mark();
  await bobConn.call('acceptIncomingFileRequest', { fileRequestId: offerId });
  const done = await rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3);
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3);
  assert.deepEqual(rec.sequence(bMark), [
    { event: 'incomingFileRequestAccepted', ...incomingFields(offerId, alice, file, timestamp) },
    { event: 'fileRequestStatusChanged', ...incomingInfo(offerId, alice, file, timestamp, 2) },
    { event: 'incomingFileRequestDownloadingProgress' },
    {
      event: 'fileRequestStatusChanged',
      ...incomingInfo(offerId, alice, file, timestamp, 3, done.fileId as number),
    },
  ]);
  assert.deepEqual(alice.rec.statuses(sendId), [2, 3]);
  assert.equal(Buffer.compare(await download(bobRoom, bobConn, done.fileId as number), body), 0);
});

test('3b. a recipient whose room was stopped gets the offer when the room starts again with its data', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const dataDir = bob.room.dataDir;
  await bob.room.stop();
  const body = randomBody(256 * 1024);
  const file = await upload(alice.room, alice.conn, 'while-away.bin', body);
  const { sentFileRequestId: sendId } = await alice.conn.call('sendFile', {
    fileId: file.fileId,
    peerId: 'bob',
  });
  assert.equal((await alice.rec.waitFor('outgoingFileRequestSent')).peerId, 'bob@files.local');

  // The same room again (same data directory, saved server and credentials): it logs in by itself.
  const { room, seen, waitFor } = await restartRoom(bed, dataDir, 'bob');
  await loggedIn(room);
  const conn = await bed.connect(room);
  const rec = new Recorder(conn);
  const received = await waitFor('receivedFileRequest');
  const offerId = String(received.fileRequestId);
  assert.deepEqual(
    seen.filter((m) => /ileRequest/.test(String(m.event))),
    [{ event: 'receivedFileRequest', ...incomingFields(offerId, alice, file, received.timestamp as number) }],
  );
  await conn.call('acceptIncomingFileRequest', { fileRequestId: offerId });
  const done = await rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3);
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3);
  assert.deepEqual(alice.rec.statuses(sendId), [2, 3]);
  assert.equal(Buffer.compare(await download(room, conn, done.fileId as number), body), 0);
});

test('5. an offer past seven days expires on both sides; accepting it afterwards is refused', async () => {
  const clock = new ManualClock();
  const hub = await bed.hub({ accounts: ['alice', 'bob'], clock });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const body = randomBody(64 * 1024);
  const file = await upload(alice.room, alice.conn, 'stale.txt', body);
  const { aMark, bMark, sendId, received } = await offerFile(alice, bob, file.fileId, { peerId: 'bob' });
  await alice.rec.waitFor('outgoingFileRequestSent');
  const offerId = String(received.fileRequestId);
  const timestamp = received.timestamp as number;
  assert.equal(timestamp, clock.now(), "the request's time is the hub's");

  clock.advance(7 * DAY - 1000);
  // Not yet: the hub's sweep (run again here and awaited) leaves the offer waiting.
  await hub.expiry.expire();
  assert.equal(
    (await hub.repo.getOffer((await hub.repo.offersForRecipient('bob'))[0].offerId))!.state,
    'waiting',
  );
  clock.advance(2000);
  await bob.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 0);
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 0);

  assert.deepEqual(bob.rec.sequence(bMark), [
    { event: 'receivedFileRequest', ...incomingFields(offerId, alice, file, timestamp) },
    {
      event: 'fileRequestStatusChanged',
      ...incomingInfo(offerId, alice, file, timestamp, 0),
      statusReason: 'expired',
    },
  ]);
  assert.deepEqual(alice.rec.sequence(aMark), [
    {
      event: 'outgoingFileRequestSent',
      fileRequestId: sendId,
      peerId: bob.peerId,
      peerDn: bob.peerDn,
      fileName: 'stale.txt',
      fileSize: body.length,
      fileId: file.fileId,
      timestamp,
    },
    {
      event: 'fileRequestStatusChanged',
      ...outgoingInfo(sendId, bob, file, timestamp, 0),
      statusReason: 'expired',
    },
  ]);
  assert.equal(await failure(bob.conn, 'acceptIncomingFileRequest', { fileRequestId: offerId }), 409);
  assert.equal(await failure(bob.conn, 'rejectIncomingFileRequest', { fileRequestId: offerId }), 409);
  // An expired request stays listed (only rejected ones leave the list), in status 0.
  const listed = (await bob.conn.call('getIncomingFilesRequests')).incomingFilesRequests;
  assert.deepEqual(
    listed.map((r) => [r.fileRequestId, r.status]),
    [[offerId, 0]],
  );
  assert.deepEqual((await bob.conn.call('getFileTransferHistory')).filesRequests, []);
});

test('5b. an accepted offer whose body never reached the hub expires; the sender learns it when it is back', async () => {
  const clock = new ManualClock();
  const hub = await bed.hub({ accounts: ['alice', 'bob'], clock });
  // alice uploads slowly (1 MiB/s), so she can be stopped with part of the body at the hub.
  const [alice] = await parties(bed, hub, ['alice'], { maxRateBytes: 1024 * 1024 });
  const [bob] = await parties(bed, hub, ['bob']);
  const body = randomBody(4 * 1024 * 1024);
  const file = await upload(alice.room, alice.conn, 'slow.bin', body);
  const { sentFileRequestId: sendId } = await alice.conn.call('sendFile', {
    fileId: file.fileId,
    peerId: 'bob',
  });
  const received = await bob.rec.waitFor('receivedFileRequest');
  const offerId = String(received.fileRequestId);
  const timestamp = received.timestamp as number;
  const bMark = bob.rec.mark();
  await bob.conn.call('acceptIncomingFileRequest', { fileRequestId: offerId });
  await bob.rec.waitFor(
    'incomingFileRequestDownloadingProgress',
    (m) => (m.processedPercents as number) >= 20,
  );
  const dataDir = alice.room.dataDir;
  await alice.room.stop();
  assert.equal((await hub.repo.getSend(sendId))!.uploaded, false, 'only part of the body is at the hub');
  assert.equal((await hub.bodies.list()).length, 1);

  clock.advance(7 * DAY + 1000);
  await bob.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 0);
  const seq = bob.rec.sequence(bMark);
  assert.deepEqual(
    seq.filter((m) => m.event !== 'incomingFileRequestDownloadingProgress'),
    [
      { event: 'incomingFileRequestAccepted', ...incomingFields(offerId, alice, file, timestamp) },
      { event: 'fileRequestStatusChanged', ...incomingInfo(offerId, alice, file, timestamp, 2) },
      {
        event: 'fileRequestStatusChanged',
        ...incomingInfo(offerId, alice, file, timestamp, 0),
        statusReason: 'expired',
      },
    ],
  );
  assert.deepEqual(readdirSync(bob.room.files.partialDir), [], "bob's partial body is gone");
  assert.deepEqual((await bob.conn.call('getFileList')).fileList, []);
  await hub.expiry.expire();
  // Removed once the last request on it has closed (bob's download, ended by the expiry): looked at until then.
  await eventually(async () => (await hub.bodies.list()).length === 0, "the hub's partial body is gone");

  const again = await restartRoom(bed, dataDir, 'alice');
  const status = await again.waitFor('fileRequestStatusChanged');
  assert.deepEqual(status, {
    event: 'fileRequestStatusChanged',
    ...outgoingInfo(sendId, bob, file, timestamp, 0),
    statusReason: 'expired',
  });
  const conn = await bed.connect(again.room);
  assert.equal((await conn.call('getFileRequestInfo', { fileRequestId: sendId })).status, 0);
  assert.deepEqual((await conn.call('getFileTransferHistory')).filesRequests, []);
  // Nothing was uploaded after the restart.
  assert.deepEqual(await hub.bodies.list(), []);
});

test('5c. accepting an offer that expired at the hub without this room hearing of it: 409, then status 0', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const file = await upload(alice.room, alice.conn, 'lost.txt', randomBody(1000));
  await alice.conn.call('sendFile', { fileId: file.fileId, peerId: 'bob' });
  const received = await bob.rec.waitFor('receivedFileRequest');
  const offerId = String(received.fileRequestId);
  // The offer expires at the hub, and the push that would have said so is lost.
  const [offer] = await hub.repo.offersForRecipient('bob');
  assert.ok(await hub.repo.transitionOffer(offer.offerId, ['waiting'], 'expired', {}, Date.now()));
  const mark = bob.rec.mark();
  assert.equal(await failure(bob.conn, 'acceptIncomingFileRequest', { fileRequestId: offerId }), 409);
  await bob.rec.next(mark, 'fileRequestStatusChanged');
  assert.deepEqual(bob.rec.sequence(mark), [
    {
      event: 'fileRequestStatusChanged',
      ...incomingInfo(offerId, alice, file, received.timestamp as number, 0),
      statusReason: 'expired',
    },
  ]);
  assert.equal((await bob.conn.call('getFileRequestInfo', { fileRequestId: offerId })).status, 0);
});

test('6. a body that fails its checksum: status 0 "failed" on both sides, nothing kept', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const body = randomBody(1024 * 1024 + 7);
  const file = await upload(alice.room, alice.conn, 'broken.bin', body);
  // Corrupt alice's stored body in place (same size): what she uploads no longer matches the sha256 offered.
  const handle = await open(alice.room.files.pathOf(file.fileId), 'r+');
  await handle.write(Buffer.from('CORRUPTED'), 0, 9, 500_000);
  await handle.close();
  const corrupted = Buffer.from(body);
  corrupted.write('CORRUPTED', 500_000);
  const hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  const { aMark, bMark, sendId, received } = await offerFile(alice, bob, file.fileId, { peerId: 'bob' });
  const offerId = String(received.fileRequestId);
  const timestamp = received.timestamp as number;
  await bob.conn.call('acceptIncomingFileRequest', { fileRequestId: offerId });
  await bob.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 0);
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 0);

  const bobSeq = bob.rec.sequence(bMark);
  // Progress may or may not have begun before the check failed; no 100 is ever reported.
  const bobProgress = bob.rec.progress(offerId, 'incomingFileRequestDownloadingProgress');
  assert.ok(bobProgress.every((p) => (p.message.processedPercents as number) < 100));
  assert.deepEqual(
    bobSeq.filter((m) => m.event !== 'incomingFileRequestDownloadingProgress'),
    [
      { event: 'receivedFileRequest', ...incomingFields(offerId, alice, file, timestamp) },
      { event: 'incomingFileRequestAccepted', ...incomingFields(offerId, alice, file, timestamp) },
      { event: 'fileRequestStatusChanged', ...incomingInfo(offerId, alice, file, timestamp, 2) },
      {
        event: 'fileRequestStatusChanged',
        ...incomingInfo(offerId, alice, file, timestamp, 0),
        statusReason: 'failed',
      },
    ],
  );
  const aliceProgress = alice.rec.progress(sendId, 'outgoingFileRequestUploadingProgress');
  assert.ok(aliceProgress.every((p) => (p.message.processedPercents as number) < 100));
  assert.deepEqual(
    alice.rec.sequence(aMark).filter((m) => m.event !== 'outgoingFileRequestUploadingProgress'),
    [
      {
        event: 'outgoingFileRequestSent',
        fileRequestId: sendId,
        peerId: bob.peerId,
        peerDn: bob.peerDn,
        fileName: 'broken.bin',
        fileSize: body.length,
        fileId: file.fileId,
        timestamp,
      },
      { event: 'fileRequestStatusChanged', ...outgoingInfo(sendId, bob, file, timestamp, 2) },
      {
        event: 'fileRequestStatusChanged',
        ...outgoingInfo(sendId, bob, file, timestamp, 0),
        statusReason: 'failed',
        // [ext] The hub's words for the sender: its upload did not match the sha256 it offered.
        statusReasonText: `the body's sha256 is ${hex(corrupted)}, not the ${hex(body)} offered`,
      },
    ],
  );
  // Nothing kept on bob's side: no file, no partial body, no history.
  assert.deepEqual((await bob.conn.call('getFileList')).fileList, []);
  assert.deepEqual(readdirSync(bob.room.files.partialDir), []);
  assert.deepEqual((await bob.conn.call('getFileTransferHistory')).filesRequests, []);
  assert.deepEqual((await alice.conn.call('getFileTransferHistory')).filesRequests, []);
  // Nor at the hub.
  assert.deepEqual(await hub.bodies.list(), []);
  // Nothing more arrives later (a late retry would show up as another event).
  await bob.conn.call('getFileRequestInfo', { fileRequestId: offerId });
  assert.equal(bob.rec.statuses(offerId).filter((s) => s === 0).length, 1);
  assert.equal(alice.rec.statuses(sendId).filter((s) => s === 0).length, 1);
});

test('11. rooms of one account: one answers, the others (online or away) stop showing the request as waiting', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice, bob, bob2, bob3] = await parties(bed, hub, ['alice', 'bob', 'bob', 'bob']);
  const away = bob3.room.dataDir;

  for (const answer of ['reject', 'accept'] as const) {
    const body = randomBody(50_000);
    const file = await upload(alice.room, alice.conn, `${answer}.bin`, body);
    const marks = [bob.rec.mark(), bob2.rec.mark()];
    await alice.conn.call('sendFile', { fileId: file.fileId, peerId: 'bob' });
    const ids: string[] = [];
    for (const p of [bob, bob2]) {
      ids.push(
        String(
          (await p.rec.waitFor('receivedFileRequest', (m) => m.fileName === file.fileName)).fileRequestId,
        ),
      );
    }
    const timestamp = (await bob.rec.waitFor('receivedFileRequest', (m) => m.fileName === file.fileName))
      .timestamp as number;
    if (answer === 'reject') {
      // bob3 has it too, then goes away before anyone answers.
      await bob3.rec.waitFor('receivedFileRequest');
      await bob3.room.stop();
      await bob.conn.call('rejectIncomingFileRequest', { fileRequestId: ids[0] });
    } else {
      await bob.conn.call('acceptIncomingFileRequest', { fileRequestId: ids[0] });
    }
    const reason = answer === 'reject' ? 'rejected' : 'cancelled';
    await bob2.rec.next(marks[1], 'fileRequestStatusChanged');
    assert.deepEqual(bob2.rec.sequence(marks[1]), [
      { event: 'receivedFileRequest', ...incomingFields(ids[1], alice, file, timestamp) },
      {
        event: 'fileRequestStatusChanged',
        ...incomingInfo(ids[1], alice, file, timestamp, 0),
        statusReason: reason,
      },
    ]);
    assert.equal(await failure(bob2.conn, 'acceptIncomingFileRequest', { fileRequestId: ids[1] }), 409);
    const listed = (await bob2.conn.call('getIncomingFilesRequests')).incomingFilesRequests;
    assert.deepEqual(
      listed.filter((r) => r.fileRequestId === ids[1]).map((r) => r.status),
      answer === 'reject' ? [] : [0],
    );
    if (answer === 'accept') {
      await bob.rec.waitFor('fileRequestStatusChanged', (m) => m.fileRequestId === ids[0] && m.status === 3);
    }
  }

  // bob3 was away for both: when it is back, the one it had shows as ended, the other never appears.
  const again = await restartRoom(bed, away, 'bob');
  const status = await again.waitFor('fileRequestStatusChanged');
  const conn = await bed.connect(again.room);
  const listed = (await conn.call('getIncomingFilesRequests')).incomingFilesRequests;
  assert.equal(listed.length, 1);
  assert.deepEqual(status, {
    event: 'fileRequestStatusChanged',
    ...incomingInfo(
      listed[0].fileRequestId,
      alice,
      { fileName: 'reject.bin', fileSize: 50_000 },
      listed[0].timestamp,
      0,
    ),
    statusReason: 'cancelled',
  });
  assert.deepEqual(
    again.seen.filter((m) => /ileRequest/.test(String(m.event))),
    [status],
  );
});

test('12. rooms of one account sending: the sending room, away when the answer comes, learns the real outcome', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice, alice2, bob] = await parties(bed, hub, ['alice', 'alice', 'bob']);
  const file = await upload(alice.room, alice.conn, 'x.bin', randomBody(1000));
  const { sentFileRequestId: sendId } = await alice.conn.call('sendFile', {
    fileId: file.fileId,
    peerId: 'bob',
  });
  const received = await bob.rec.waitFor('receivedFileRequest');
  const dataDir = alice.room.dataDir;
  await alice.room.stop();
  await bob.conn.call('rejectIncomingFileRequest', { fileRequestId: String(received.fileRequestId) });
  // The other room of alice hears of the send's outcome but has no request of its own for it.
  await bob.rec.waitFor('incomingFileRequestRejected');
  await alice2.conn.call('getOutgoingFilesRequests');
  const again = await restartRoom(bed, dataDir, 'alice');
  const status = await again.waitFor('fileRequestStatusChanged');
  assert.deepEqual(status, {
    event: 'fileRequestStatusChanged',
    ...outgoingInfo(sendId, bob, file, received.timestamp as number, 0),
    statusReason: 'rejected',
  });
  assert.deepEqual(alice2.rec.events(), []);
  assert.deepEqual((await alice2.conn.call('getOutgoingFilesRequests')).outgoingFilesRequests, []);
});
