import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestBed } from '../helpers/harness.js';
import { Recorder, parties, randomBody, upload, type Message, type Party } from '../transfer/support.js';
import {
  assertLegacyAdditions,
  assertNoLegacy,
  checkLegacyStream,
  currentOnly,
  legacySide,
  type LegacySide,
} from './support.js';

/**
 * The legacy events of room-api.md §10: a connection in legacy mode (no API version selected, or "1") gets each
 * one right after its current counterpart, with exactly its keys; a connection that selected version 2 gets none.
 */

const bed = new TestBed();
after(() => bed.close());

const MiB = 1024 * 1024;

/** Event names, with statuses spelled out: what a version-2 client sees, in order. */
const names = (events: Message[]) =>
  events.map((m) =>
    m.event === 'fileRequestStatusChanged' || m.event === 'fileStatus' ? `${m.event} ${m.status}` : m.event,
  );

/** Runs of progress events folded into one, so a sequence does not depend on how many there were. */
const folded = (list: unknown[]) => list.filter((name, i) => !(i > 0 && name === list[i - 1]));

/** The legacy events of one name, each checked to follow the current event that carries its values. */
function companionsOf(events: Message[], current: string, legacy: string): [Message, Message][] {
  const pairs: [Message, Message][] = [];
  events.forEach((m, i) => {
    if (m.event !== current) return;
    assert.equal(events[i + 1]?.event, legacy, `${legacy} right after ${current}`);
    pairs.push([m, events[i + 1]]);
  });
  return pairs;
}

test('a user send made with legacy names and accepted with acceptFile: legacy events in legacy mode only, version 2 sees the ordinary sequence', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  // Held to about 4 MiB/s so that progress has several steps.
  const [alice] = await parties(bed, hub, ['alice'], { maxRateBytes: 4 * MiB });
  const [bob] = await parties(bed, hub, ['bob']);
  const aL = await legacySide(bed, alice);
  const bL = await legacySide(bed, bob);
  const body = randomBody(2 * MiB + 77);
  const file = await upload(alice.room, alice.conn, 'plan.txt', body);
  const marks = { a: alice.rec.mark(), b: bob.rec.mark(), aL: aL.rec.mark(), bL: bL.rec.mark() };

  // Created by a connection in legacy mode: its reply carries the legacy id too.
  const sent = await aL.conn.call('sendFile', { fileId: file.fileId, peerId: bob.peerId });
  const sendId = sent.sentFileRequestId;
  const aId = (sent as unknown as { id: number }).id;
  assert.ok(Number.isInteger(aId) && aId > 0, JSON.stringify(sent));
  assert.deepEqual(Object.keys(sent).sort(), ['id', 'method', 'requestId', 'result', 'sentFileRequestId']);
  assertLegacyAdditions('replies', 'sendFile', sent);
  const received = await bL.rec.waitFor('receivedFileRequest');
  assertLegacyAdditions('events', 'receivedFileRequest', received);
  const bId = received.id as number;
  assert.ok(Number.isInteger(bId) && bId > 0);
  const accepted = await bL.conn.call('acceptFile', { id: bId });
  assert.deepEqual(Object.keys(accepted).sort(), ['method', 'requestId', 'result']);
  assert.equal(accepted.result, true);
  for (const rec of [alice.rec, bob.rec])
    await rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3);
  for (const side of [aL, bL]) await side.rec.waitFor('fileStatus', (m) => m.status === 3);

  // Version 2: exactly the ordinary sequence, no legacy event, no legacy key.
  const aCurrent = alice.rec.events(marks.a);
  const bCurrent = bob.rec.events(marks.b);
  assertNoLegacy(aCurrent);
  assertNoLegacy(bCurrent);
  assert.deepEqual(folded(names(aCurrent)), [
    'outgoingFileRequestSent',
    'fileRequestStatusChanged 2',
    'outgoingFileRequestUploadingProgress',
    'fileRequestStatusChanged 3',
  ]);
  assert.deepEqual(folded(names(bCurrent)), [
    'receivedFileRequest',
    'incomingFileRequestAccepted',
    'fileRequestStatusChanged 2',
    'incomingFileRequestDownloadingProgress',
    'fileRequestStatusChanged 3',
  ]);

  // Legacy mode: the same current events, each legacy one right after its counterpart with exactly its keys.
  const aEvents = aL.rec.events(marks.aL);
  const bEvents = bL.rec.events(marks.bL);
  const aLegacy = checkLegacyStream(aEvents);
  const bLegacy = checkLegacyStream(bEvents);
  assert.deepEqual(currentOnly(aEvents), aCurrent);
  const [bReceived, ...bRest] = currentOnly(bEvents);
  assert.deepEqual(bReceived, { ...bCurrent[0], id: bId, confId: null });
  assert.deepEqual(bRest, bCurrent.slice(1));

  assert.deepEqual(
    aLegacy.filter((m) => m.event !== 'fileUploadingProgress'),
    [
      {
        event: 'fileSent',
        name: 'plan.txt',
        id: aId,
        peerId: bob.peerId,
        peerDn: 'Bob',
        fileId: file.fileId,
        confId: null,
      },
      { event: 'fileAccepted', id: aId, confId: null },
      { event: 'fileStatus', id: aId, status: 2, directionType: 1, confId: null },
      { event: 'fileStatus', id: aId, status: 3, directionType: 1, confId: null },
    ],
  );
  const uploads = companionsOf(aEvents, 'outgoingFileRequestUploadingProgress', 'fileUploadingProgress');
  assert.ok(uploads.length >= 3, 'a throttled upload reports several steps');
  for (const [current, legacy] of uploads) {
    assert.equal(current.fileRequestId, sendId);
    assert.deepEqual(legacy, {
      event: 'fileUploadingProgress',
      totalSize: body.length,
      processedSize: current.processedSize,
      speed: current.speed,
      id: aId,
      status: 2,
      fileId: file.fileId,
      fileName: 'plan.txt',
      peerId: bob.peerId,
      peerDisplayName: 'Bob',
      confId: null,
      timestamp: current.timestamp,
      directionType: 1,
    });
  }
  assert.equal(uploads.at(-1)![1].processedSize, body.length);

  assert.deepEqual(
    bLegacy.filter((m) => m.event !== 'fileDownloadingProgress'),
    [
      { event: 'fileAccepted', id: bId, confId: null },
      { event: 'fileStatus', id: bId, status: 2, directionType: 0, confId: null },
      { event: 'fileStatus', id: bId, status: 3, directionType: 0, confId: null },
    ],
  );
  const downloads = companionsOf(
    bEvents,
    'incomingFileRequestDownloadingProgress',
    'fileDownloadingProgress',
  );
  assert.ok(downloads.length >= 1);
  for (const [current, legacy] of downloads) {
    assert.deepEqual(legacy, {
      event: 'fileDownloadingProgress',
      totalSize: body.length,
      processedSize: current.processedSize,
      speed: current.speed,
      id: bId,
      status: 2,
      // Not before the body is complete and verified (status 3).
      fileId: null,
      fileName: 'plan.txt',
      peerId: alice.peerId,
      peerDisplayName: 'Alice',
      confId: null,
      timestamp: current.timestamp,
    });
  }
});

test('a rejection: fileRejected on both sides in legacy mode, after incomingFileRequestRejected and after status 0 "rejected"', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const aL = await legacySide(bed, alice);
  const bL = await legacySide(bed, bob);
  const file = await upload(alice.room, alice.conn, 'no.txt', randomBody(1000));
  const marks = { a: alice.rec.mark(), b: bob.rec.mark(), aL: aL.rec.mark(), bL: bL.rec.mark() };
  const { sentFileRequestId: sendId } = await alice.conn.call('sendFile', {
    fileId: file.fileId,
    peerId: bob.peerId,
  });
  const received = await bL.rec.waitFor('receivedFileRequest');
  await bL.conn.call('rejectFile', { id: String(received.id) });
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 0);
  await aL.rec.waitFor('fileStatus', (m) => m.status === 0);
  await bL.rec.waitFor('fileRejected');
  await bob.rec.waitFor('incomingFileRequestRejected');

  const aId = (await aL.conn.call('getFileUploads')).files[0].id;
  assert.equal((await aL.conn.call('getFileUploads')).files[0].fileRequestId, sendId);
  const aEvents = aL.rec.events(marks.aL);
  assert.deepEqual(checkLegacyStream(aEvents), [
    {
      event: 'fileSent',
      name: 'no.txt',
      id: aId,
      peerId: bob.peerId,
      peerDn: 'Bob',
      fileId: file.fileId,
      confId: null,
    },
    { event: 'fileRejected', id: aId, confId: null },
    { event: 'fileStatus', id: aId, status: 0, directionType: 1, confId: null },
  ]);
  assert.deepEqual(currentOnly(aEvents), alice.rec.events(marks.a));
  const bEvents = bL.rec.events(marks.bL);
  assert.deepEqual(checkLegacyStream(bEvents), [{ event: 'fileRejected', id: received.id, confId: null }]);
  assert.deepEqual(names(currentOnly(bEvents)), ['receivedFileRequest', 'incomingFileRequestRejected']);
  assertNoLegacy(alice.rec.events(marks.a));
  assertNoLegacy(bob.rec.events(marks.b));
  assert.deepEqual(names(bob.rec.events(marks.b)), ['receivedFileRequest', 'incomingFileRequestRejected']);
});

/** alice creates a conference with the others invited; each accepts. Resolves to its confId. */
async function conference(owner: Party, others: Party[]): Promise<string> {
  await owner.conn.call('createConference', {
    title: 'Review',
    confType: 'symmetric',
    inviteList: others.map((p) => p.peerId),
    autoAccept: true,
  });
  const created = await owner.rec.waitFor('conferenceCreated');
  for (const p of others) {
    await p.rec.waitFor('inviteReceived');
    await p.conn.call('accept');
    await p.rec.waitFor('conferenceCreated');
  }
  for (const p of others) {
    await owner.rec.waitFor('newParticipantInConference', (m) => String(m.peerId).startsWith(p.peerId));
  }
  return String(created.confId);
}

test('a conference send with sendConferenceFile: fileConferenceSent, status and upload progress without peer fields, receivedFileRequest with id and confId', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob', 'carol'] });
  const [alice] = await parties(bed, hub, ['alice'], { maxRateBytes: 4 * MiB });
  const [bob, carol] = await parties(bed, hub, ['bob', 'carol']);
  const confId = await conference(alice, [bob, carol]);
  const aL = await legacySide(bed, alice);
  const bL = await legacySide(bed, bob);
  const body = randomBody(MiB + 5);
  const file = await upload(alice.room, alice.conn, 'slides.pdf', body);
  const marks = { a: alice.rec.mark(), aL: aL.rec.mark(), bL: bL.rec.mark(), b: bob.rec.mark() };

  const sent = await aL.conn.call('sendConferenceFile', { fileId: file.fileId });
  assert.deepEqual(Object.keys(sent).sort(), ['id', 'method', 'requestId', 'result', 'sentFileRequestId']);
  const aId = sent.id;
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3);
  await aL.rec.waitFor('fileStatus', (m) => m.status === 3);
  const received = await bL.rec.waitFor('receivedFileRequest');
  assert.equal(received.confId, confId);
  assert.ok(Number.isInteger(received.id));
  // The current shape already names the conference: legacy mode adds the id alone.
  const plain = await bob.rec.waitFor('receivedFileRequest', () => true, 15_000, marks.b);
  assert.deepEqual(received, { ...plain, id: received.id });

  const aEvents = aL.rec.events(marks.aL);
  assert.deepEqual(currentOnly(aEvents), alice.rec.events(marks.a));
  assertNoLegacy(alice.rec.events(marks.a));
  assert.deepEqual(
    checkLegacyStream(aEvents).filter((m) => m.event !== 'fileUploadingProgress'),
    [
      { event: 'fileConferenceSent', name: 'slides.pdf', id: aId, fileId: file.fileId, confId },
      // No fileAccepted: the send goes to the server at once, not after anyone's accept.
      { event: 'fileStatus', id: aId, status: 2, directionType: 1, confId },
      { event: 'fileStatus', id: aId, status: 3, directionType: 1, confId },
    ],
  );
  const uploads = companionsOf(aEvents, 'outgoingFileRequestUploadingProgress', 'fileUploadingProgress');
  assert.ok(uploads.length >= 1);
  for (const [current, legacy] of uploads) {
    assert.deepEqual(legacy, {
      event: 'fileUploadingProgress',
      totalSize: body.length,
      processedSize: current.processedSize,
      speed: current.speed,
      id: aId,
      status: 2,
      fileId: file.fileId,
      fileName: 'slides.pdf',
      peerId: null,
      peerDisplayName: null,
      confId,
      timestamp: current.timestamp,
      directionType: 1,
    });
  }
  // Two other accounts were present: two recipients.
  assert.equal((await aL.conn.call('getFileInfo', { id: aId })).peersCount, 2);

  // bob accepts his copy with the legacy name: fileAccepted names the conference.
  await bL.conn.call('acceptFile', { id: received.id as number });
  await bL.rec.waitFor('fileStatus', (m) => m.status === 3);
  const bLegacy = checkLegacyStream(bL.rec.events(marks.bL));
  assert.deepEqual(
    bLegacy.filter((m) => m.event !== 'fileDownloadingProgress'),
    [
      { event: 'fileAccepted', id: received.id, confId },
      { event: 'fileStatus', id: received.id, status: 2, directionType: 0, confId },
      { event: 'fileStatus', id: received.id, status: 3, directionType: 0, confId },
    ],
  );
  const bInfo = await bL.conn.call('getFileInfo', { id: received.id as number });
  assert.equal(bInfo.peersCount, 1, 'a request from a user counts one peer');
});

/** from sends a stored file to `to`, who accepts it; resolves when both sides are at status 3. */
async function deliver(from: Party, to: Party, fileId: number): Promise<void> {
  const mark = to.rec.mark();
  const { sentFileRequestId } = await from.conn.call('sendFile', { fileId, peerId: to.peerId });
  const offer = await to.rec.waitFor('receivedFileRequest', () => true, 15_000, mark);
  await to.conn.call('acceptIncomingFileRequest', { fileRequestId: String(offer.fileRequestId) });
  await to.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3, 15_000, mark);
  await from.rec.waitFor(
    'fileRequestStatusChanged',
    (m) => m.fileRequestId === sentFileRequestId && m.status === 3,
  );
}

test('availability, clearing and deleting: fileTransferAvailable, fileTransferCleared, one fileTransferFileDeleted per file; version "1" is legacy mode, version "2" is not', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const file = await upload(alice.room, alice.conn, 'twice.txt', randomBody(4000));
  // The same file delivered twice: two history entries on alice's side name it.
  await deliver(alice, bob, file.fileId);
  await deliver(alice, bob, file.fileId);
  const listed = (await alice.conn.call('getFileList')).fileList.find((f) => f.fileId === file.fileId);
  assert.ok(listed);

  const none: LegacySide = await legacySide(bed, alice);
  const oneRec = new Recorder(await bed.connect(alice.room, { apiVersion: '1' }));
  // A connection in legacy mode that selects version 2 later leaves legacy mode.
  const switched = await legacySide(bed, alice);
  await switched.conn.call('setUsedApiVersion', { version: '2' });
  const bL = await legacySide(bed, bob);
  const marks = { a: alice.rec.mark(), none: none.rec.mark(), one: oneRec.mark(), sw: switched.rec.mark() };
  const bMarks = { b: bob.rec.mark(), bL: bL.rec.mark() };

  // Availability: logged out, then in again.
  await alice.conn.call('logout');
  await none.rec.waitFor('fileTransferAvailable', (m) => m.available === false, 15_000, marks.none);
  await alice.conn.call('login', { login: alice.peerId, password: 'pw-alice' });
  await none.rec.waitFor('fileTransferAvailable', (m) => m.available === true, 15_000, marks.none);
  await oneRec.waitFor('fileTransferAvailable', (m) => m.available === true, 15_000, marks.one);

  // Deleting the file: two history entries go, and legacy mode hears of the file once.
  const named = (await alice.conn.call('getFileTransferHistory')).filesRequests
    .filter((entry) => entry.fileId === file.fileId)
    .map((entry) => entry.fileRequestId);
  assert.equal(named.length, 2);
  await alice.conn.call('deleteFileTransferFile', { fileId: file.fileId });
  for (const [rec, mark] of [
    [alice.rec, marks.a],
    [none.rec, marks.none],
    [oneRec, marks.one],
    [switched.rec, marks.sw],
  ] as const) {
    for (const id of named) {
      await rec.waitFor('fileDeletedFromFileTransferHistory', (m) => m.fileRequestId === id, 15_000, mark);
    }
  }

  // Clearing bob's history with the legacy name.
  assert.deepEqual((await bL.conn.call('clearFileTransfer')).result, true);
  await bL.rec.waitFor('fileTransferCleared', () => true, 15_000, bMarks.bL);
  await bob.rec.waitFor('fileTransferHistoryCleared', () => true, 15_000, bMarks.b);

  for (const rec of [none.rec, oneRec]) {
    const events = rec.events(rec === none.rec ? marks.none : marks.one);
    const legacy = checkLegacyStream(events);
    assert.deepEqual(
      legacy.filter((m) => m.event === 'fileTransferAvailable'),
      [
        { event: 'fileTransferAvailable', available: false },
        { event: 'fileTransferAvailable', available: true },
      ],
    );
    assert.deepEqual(
      legacy.filter((m) => m.event === 'fileTransferFileDeleted'),
      [{ event: 'fileTransferFileDeleted', file: listed }],
    );
    assert.equal(events.filter((m) => m.event === 'fileDeletedFromFileTransferHistory').length, 2);
    assert.deepEqual(currentOnly(events), alice.rec.events(marks.a));
  }
  assertNoLegacy(alice.rec.events(marks.a));
  assertNoLegacy(switched.rec.events(marks.sw));
  assert.deepEqual(switched.rec.events(marks.sw), alice.rec.events(marks.a));

  const bEvents = bL.rec.events(bMarks.bL);
  assert.deepEqual(checkLegacyStream(bEvents), [{ event: 'fileTransferCleared' }]);
  assert.deepEqual(currentOnly(bEvents), [{ event: 'fileTransferHistoryCleared', removedFromDisk: false }]);
  assert.deepEqual(bob.rec.events(bMarks.b), [
    { event: 'fileTransferHistoryCleared', removedFromDisk: false },
  ]);
});
