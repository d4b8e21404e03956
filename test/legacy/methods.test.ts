import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestBed } from '../helpers/harness.js';
import {
  download,
  failure,
  parties,
  randomBody,
  upload,
  type Message,
  type Party,
} from '../transfer/support.js';
import { assertLegacyAdditions, assertLegacyItem, legacySide, type LegacySide } from './support.js';

/** The legacy methods of room-api.md §10: the rules, status codes and errors of their current counterparts. */

const bed = new TestBed();
after(() => bed.close());

const MiB = 1024 * 1024;

function assertNewestFirst(items: { timestamp: number }[]): void {
  items.slice(1).forEach((item, i) => assert.ok(item.timestamp <= items[i].timestamp, 'newest first'));
}

function strip(reply: Record<string, unknown>): Message {
  const { method: _m, requestId: _r, result: _s, ...rest } = reply;
  return rest;
}

/** `from` offers a stored file to `to`; resolves to the offer as `to`'s legacy connection saw it. */
async function offer(from: Party, to: LegacySide, fileId: number, toPeer: Party) {
  const mark = to.rec.mark();
  const { sentFileRequestId } = await from.conn.call('sendFile', { fileId, peerId: toPeer.peerId });
  const received = await to.rec.waitFor('receivedFileRequest', () => true, 15_000, mark);
  return { sendId: sentFileRequestId, received, id: received.id as number };
}

test('acceptFile and rejectFile: an id as a number or a string of digits; 400, 401, 403, 404 and 409 as their current counterparts', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const aL = await legacySide(bed, alice);
  const bL = await legacySide(bed, bob);
  const bodyA = randomBody(64 * 1024 + 3);
  const fileA = await upload(alice.room, alice.conn, 'a.bin', bodyA);
  const fileB = await upload(alice.room, alice.conn, 'b.bin', randomBody(100));
  const a = await offer(alice, bL, fileA.fileId, bob);
  const b = await offer(alice, bL, fileB.fileId, bob);
  assert.notEqual(a.id, b.id);

  // Before auth: 401, as every method but auth and setUsedApiVersion.
  const stranger = await bed.open(bob.room);
  for (const method of ['acceptFile', 'rejectFile', 'getFileRequests', 'getFileInfo', 'clearFileTransfer']) {
    await assert.rejects(
      stranger.callRaw(method, { id: a.id }),
      (e: { errorCode?: number }) => e.errorCode === 401,
    );
  }

  for (const method of ['acceptFile', 'rejectFile']) {
    assert.equal(await failure(bL.conn, method, {}), 400, `${method} without id`);
    for (const id of [true, 'abc', '', -1, 1.5, null, [a.id]]) {
      assert.equal(await failure(bL.conn, method, { id }), 400, `${method} id ${JSON.stringify(id)}`);
    }
    assert.equal(await failure(bL.conn, method, { id: 999_999 }), 404, `${method} of an unknown id`);
    assert.equal(await failure(bL.conn, method, { id: '999999' }), 404);
    assert.equal(await failure(bL.conn, method, { id: 0 }), 404);
  }
  // An outgoing request is not accepted or rejected by its sender.
  const outgoingId = (await aL.conn.call('getFileUploads')).files[0].id;
  assert.equal(await failure(aL.conn, 'acceptFile', { id: outgoingId }), 409);
  assert.equal(await failure(aL.conn, 'rejectFile', { id: outgoingId }), 409);

  // Not logged in: accepting needs the server (403), as acceptIncomingFileRequest does.
  const bMark = bob.rec.mark();
  await bob.conn.call('logout');
  await bob.rec.waitFor('fileTransferAvailabilityChanged', (m) => m.availability === 2, 15_000, bMark);
  assert.equal(await failure(bL.conn, 'acceptFile', { id: a.id }), 403);
  await bob.conn.call('login', { login: bob.peerId, password: 'pw-bob' });
  await bob.rec.waitFor('fileTransferAvailabilityChanged', (m) => m.availability === 3, 15_000, bMark);
  assert.equal((await bL.conn.call('getFileInfo', { id: a.id })).status, 1, 'a refusal changes nothing');

  // Accept by number: the body arrives whole; a second accept is 409.
  const accepted = await bL.conn.call('acceptFile', { id: a.id });
  assert.deepEqual(strip(accepted), {});
  const done = await bob.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3, 15_000, bMark);
  assert.equal(done.fileRequestId, a.received.fileRequestId);
  assert.equal(Buffer.compare(await download(bob.room, bob.conn, done.fileId as number), bodyA), 0);
  assert.equal(await failure(bL.conn, 'acceptFile', { id: a.id }), 409);
  assert.equal(await failure(bL.conn, 'rejectFile', { id: String(a.id) }), 409);

  // Reject by a string of digits: the sender learns it; a second decision is 409.
  const rejected = await bL.conn.call('rejectFile', { id: String(b.id) });
  assert.deepEqual(strip(rejected), {});
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.fileRequestId === b.sendId && m.status === 0);
  assert.equal(
    (await alice.conn.call('getFileRequestInfo', { fileRequestId: b.sendId })).statusReason,
    'rejected',
  );
  assert.equal(await failure(bL.conn, 'rejectFile', { id: b.id }), 409);
  assert.equal(await failure(bL.conn, 'acceptFile', { id: b.id }), 409);
});

test('getFileRequests, getFileUploads, getFileTransferInfo and getFileInfo: legacy items with every key, agreeing with the current lists', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  // Alice's uploads are held to 1 MiB/s, so that a transfer can be asked about while it moves.
  const [alice] = await parties(bed, hub, ['alice'], { maxRateBytes: MiB });
  const [bob] = await parties(bed, hub, ['bob']);
  const aL = await legacySide(bed, alice);
  const bL = await legacySide(bed, bob);
  const big = randomBody(2 * MiB);
  const fileA = await upload(alice.room, alice.conn, 'big.bin', big);
  const fileB = await upload(alice.room, alice.conn, 'small.txt', randomBody(10));
  const fileD = await upload(bob.room, bob.conn, 'back.txt', randomBody(20));
  const a = await offer(alice, bL, fileA.fileId, bob);
  const b = await offer(alice, bL, fileB.fileId, bob);
  const c = await offer(alice, bL, fileB.fileId, bob);
  const d = await offer(bob, aL, fileD.fileId, alice);

  // A transfer in status 2: getFileInfo gives the bytes and speed of the last progress event sent before it.
  const aMark = aL.rec.mark();
  await bL.conn.call('acceptFile', { id: a.id });
  const aliceA = (await aL.conn.call('getFileUploads')).files.find((f) => f.fileRequestId === a.sendId)!;
  await aL.rec.waitFor('fileUploadingProgress', (m) => (m.processedSize as number) > 0, 15_000, aMark);
  const moving = await aL.conn.call('getFileInfo', { id: aliceA.id });
  const before = aL.rec.entries.slice(aMark).map((e) => e.message);
  const replyAt = before.findIndex((m) => m.reply === 'getFileInfo');
  const lastProgress = before
    .slice(0, replyAt)
    .filter((m) => m.event === 'outgoingFileRequestUploadingProgress')
    .at(-1)!;
  assert.equal(moving.status, 2);
  assert.equal(moving.processedSize, lastProgress.processedSize);
  assert.equal(moving.speed, lastProgress.speed);
  assert.ok(moving.processedSize > 0 && moving.processedSize < big.length);
  await bL.rec.waitFor('fileStatus', (m) => m.id === a.id && m.status === 3);
  await aL.rec.waitFor('fileStatus', (m) => m.id === aliceA.id && m.status === 3);
  await bL.conn.call('rejectFile', { id: b.id });
  await aL.rec.waitFor('fileStatus', (m) => m.status === 0);

  // bob: incoming A done, B rejected (gone from the list, as in getIncomingFilesRequests), C waiting.
  const bobFileId = (
    await bob.conn.call('getFileRequestInfo', { fileRequestId: String(a.received.fileRequestId) })
  ).fileId!;
  const incoming = (await bL.conn.call('getFileRequests')).files;
  const current = (await bob.conn.call('getIncomingFilesRequests')).incomingFilesRequests;
  assert.deepEqual(
    incoming.map((f) => f.fileRequestId),
    current.map((f) => f.fileRequestId),
  );
  assert.deepEqual(incoming.map((f) => f.id).sort(), [a.id, c.id].sort());
  assertNewestFirst(incoming);
  incoming.forEach((item, i) => {
    assertLegacyItem(item);
    assert.equal(item.status, current[i].status);
    assert.equal(item.timestamp, current[i].timestamp);
    assert.equal(item.totalSize, current[i].size);
    assert.equal(item.peerDisplayName, current[i].peerDn);
  });
  const itemA = incoming.find((f) => f.id === a.id);
  const itemC = incoming.find((f) => f.id === c.id)!;
  assert.deepEqual(itemA, {
    id: a.id,
    fileRequestId: a.received.fileRequestId,
    status: 3,
    directionType: 0,
    fileName: 'big.bin',
    fileId: bobFileId,
    peerId: alice.peerId,
    peerDisplayName: 'Alice',
    timestamp: a.received.timestamp,
    confId: null,
    totalSize: big.length,
    processedSize: big.length,
    speed: 0,
    peersCount: 1,
  });
  assert.deepEqual(itemC, {
    ...itemC,
    status: 1,
    fileId: null,
    processedSize: 0,
    speed: 0,
    confId: null,
  });

  // alice: outgoing A, B, C; incoming D.
  const uploads = (await aL.conn.call('getFileUploads')).files;
  const currentOut = (await alice.conn.call('getOutgoingFilesRequests')).outgoingFilesRequests;
  assert.deepEqual(
    uploads.map((f) => [f.fileRequestId, f.status, f.fileId, f.totalSize]),
    currentOut.map((f) => [f.fileRequestId, f.status, f.fileId, f.size]),
  );
  assert.deepEqual(uploads.map((f) => f.fileRequestId).sort(), [a.sendId, b.sendId, c.sendId].sort());
  assertNewestFirst(uploads);
  for (const item of uploads) {
    assertLegacyItem(item);
    assert.equal(item.directionType, 1);
    assert.equal(item.peerId, bob.peerId);
    assert.equal(item.peersCount, 1);
  }
  const both = (await aL.conn.call('getFileTransferInfo')).files;
  const aliceIncoming = (await aL.conn.call('getFileRequests')).files;
  assert.equal(aliceIncoming.length, 1);
  assert.equal(aliceIncoming[0].id, d.id);
  assert.deepEqual(
    both,
    [...aliceIncoming, ...uploads].sort((x, y) => y.timestamp - x.timestamp || y.id - x.id),
  );
  assertNewestFirst(both);

  // getFileInfo: the item's keys at top level, for any request, rejected ones included.
  for (const item of [...both, ...incoming]) {
    const side = both.includes(item) ? aL : bL;
    assert.deepEqual(strip(await side.conn.call('getFileInfo', { id: String(item.id) })), item);
  }
  const rejectedInfo = await bL.conn.call('getFileInfo', { id: b.id });
  assertLegacyItem(strip(rejectedInfo));
  assert.equal(rejectedInfo.status, 0);
  assert.equal(await failure(bL.conn, 'getFileInfo', {}), 400);
  assert.equal(await failure(bL.conn, 'getFileInfo', { id: 'x' }), 400);
  assert.equal(await failure(bL.conn, 'getFileInfo', { id: 424_242 }), 404);
});

test('sendConferenceFile: the reply names the legacy id; 400, 403, 404 and 409 as sendFileToConference', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const aL = await legacySide(bed, alice);
  const file = await upload(alice.room, alice.conn, 'deck.pdf', randomBody(5000));

  assert.equal(await failure(aL.conn, 'sendConferenceFile', {}), 400);
  assert.equal(await failure(aL.conn, 'sendConferenceFile', { fileId: 'x' }), 400);
  assert.equal(
    await failure(aL.conn, 'sendConferenceFile', { fileId: file.fileId }),
    409,
    'not in a conference',
  );

  await alice.conn.call('createConference', { title: 'T', inviteList: [bob.peerId] });
  await bob.rec.waitFor('inviteReceived');
  await bob.conn.call('accept');
  await alice.rec.waitFor('newParticipantInConference');
  const confId = String((await alice.conn.call('getConferences')).confId);
  assert.equal(await failure(aL.conn, 'sendConferenceFile', { fileId: 123 }), 404, 'an unknown file');

  const sent = await aL.conn.call('sendConferenceFile', { fileId: String(file.fileId) });
  assert.deepEqual(Object.keys(strip(sent)).sort(), ['id', 'sentFileRequestId']);
  const info = await aL.conn.call('getFileInfo', { id: sent.id });
  assert.equal(info.fileRequestId, sent.sentFileRequestId);
  assert.deepEqual(
    {
      peerId: info.peerId,
      peerDisplayName: info.peerDisplayName,
      confId: info.confId,
      peersCount: info.peersCount,
    },
    { peerId: null, peerDisplayName: null, confId, peersCount: 1 },
  );
  assert.equal(
    (await alice.conn.call('getFileRequestInfo', { fileRequestId: sent.sentFileRequestId })).confId,
    confId,
  );

  // Logged out: 403 first, as sendFileToConference.
  const mark = alice.rec.mark();
  await alice.conn.call('logout');
  await alice.rec.waitFor('fileTransferAvailabilityChanged', (m) => m.availability === 2, 15_000, mark);
  assert.equal(await failure(aL.conn, 'sendConferenceFile', { fileId: file.fileId }), 403);
});

test('clearFileTransfer keeps the files; getFileTransferAvailability adds `available` in legacy mode only; the PIN methods are unknown', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const aL = await legacySide(bed, alice);
  const body = randomBody(3000);
  const file = await upload(alice.room, alice.conn, 'keep.txt', body);
  const mark = bob.rec.mark();
  await alice.conn.call('sendFile', { fileId: file.fileId, peerId: bob.peerId });
  const received = await bob.rec.waitFor('receivedFileRequest', () => true, 15_000, mark);
  await bob.conn.call('acceptIncomingFileRequest', { fileRequestId: String(received.fileRequestId) });
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3);
  assert.equal((await alice.conn.call('getFileTransferHistory')).filesRequests.length, 1);
  const files = (await alice.conn.call('getFileList')).fileList;

  assert.deepEqual(strip(await aL.conn.call('clearFileTransfer')), {});
  assert.deepEqual((await alice.conn.call('getFileTransferHistory')).filesRequests, []);
  assert.deepEqual((await alice.conn.call('getFileList')).fileList, files);
  assert.equal(Buffer.compare(await download(alice.room, alice.conn, file.fileId), body), 0);
  assert.equal((await aL.conn.call('getFileUploads')).files[0].status, 3, 'requests stay');

  const availability = await aL.conn.call('getFileTransferAvailability');
  assertLegacyAdditions('replies', 'getFileTransferAvailability', availability);
  assert.deepEqual(strip(availability), { availability: 3, available: true });
  assert.deepEqual(strip(await alice.conn.call('getFileTransferAvailability')), { availability: 3 });
  await alice.conn.call('logout');
  await alice.rec.waitFor('fileTransferAvailabilityChanged', (m) => m.availability === 2);
  assert.deepEqual(strip(await aL.conn.call('getFileTransferAvailability')), {
    availability: 2,
    available: false,
  });

  for (const method of [
    'getFileTransferPIN',
    'checkFileTransferPIN',
    'resetFileTransferPIN',
    'getShowFileTransferTools',
    'setShowFileTransferTools',
  ]) {
    assert.equal(await failure(aL.conn, method, {}), 404, method);
  }
});
