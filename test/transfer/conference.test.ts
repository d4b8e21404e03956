import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestBed } from '../helpers/harness.js';
import { bytesReceived } from '../helpers/hub-cluster.js';
import {
  checkProgress,
  download,
  failure,
  parties,
  randomBody,
  upload,
  type Message,
  type Party,
} from './support.js';

/** Conferences (room-api.md §5) and sending a file to one (§8 sendFileToConference, §9). */

const bed = new TestBed();
after(() => bed.close());

const instanceOf = (p: Party) => `${p.peerId}/${p.room.instance}`;

function strip(reply: Record<string, unknown>): Message {
  const { method: _m, requestId: _r, ...rest } = reply;
  return rest;
}

test('4. a conference send to three participants: one accepts, one rejects, one ignores', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob', 'carol', 'dave'] });
  const [alice] = await parties(bed, hub, ['alice'], { maxRateBytes: 4 * 1024 * 1024 });
  const [bob, carol, dave] = await parties(bed, hub, ['bob', 'carol', 'dave']);
  const marks = new Map([alice, bob, carol, dave].map((p) => [p, p.rec.mark()]));

  // --- the conference ---
  await alice.conn.call('createConference', {
    title: 'Review',
    confType: 'symmetric',
    inviteList: ['bob@files.local', 'carol', 'dave@files.local'],
    autoAccept: true,
  });
  const created = await alice.rec.waitFor('conferenceCreated');
  const confId = String(created.confId);
  assert.match(confId, /^[0-9a-f]{16}@files\.local#vcs$/);
  const conferenceCreated = {
    event: 'conferenceCreated',
    confId,
    confTitle: 'Review',
    confType: 1,
    conferenceOwner: alice.peerId,
    isSmartMeeting: false,
    joinUrl: '',
  };
  const invite = {
    event: 'inviteReceived',
    peerId: alice.peerId,
    peerDn: 'Alice',
    type: 1,
    confTitle: 'Review',
    confId,
  };
  for (const p of [bob, carol, dave]) {
    await p.rec.waitFor('inviteReceived');
    assert.deepEqual((await p.conn.call('getAppState')).appState, 4);
    await p.conn.call('accept');
    await p.rec.waitFor('conferenceCreated');
  }
  for (const p of [alice, bob, carol]) {
    await p.rec.waitFor('newParticipantInConference', (m) => m.peerId === instanceOf(dave));
  }
  const port = (p: Party) => p.room.httpPort;
  const joined = (p: Party) => ({
    event: 'newParticipantInConference',
    peerId: instanceOf(p),
    peerDn: p.peerDn,
    confId,
    role: 1,
  });
  assert.deepEqual(alice.rec.sequence(marks.get(alice), ['createConference']), [
    { reply: 'createConference', result: true },
    { event: 'appStateChanged', appState: 5, embeddedHttpPort: port(alice) },
    conferenceCreated,
    joined(bob),
    joined(carol),
    joined(dave),
  ]);
  const joinSequence = (p: Party, later: Party[]) => [
    { event: 'appStateChanged', appState: 4, embeddedHttpPort: port(p) },
    invite,
    { reply: 'accept', result: true },
    { event: 'appStateChanged', appState: 5, embeddedHttpPort: port(p) },
    conferenceCreated,
    ...later.map(joined),
  ];
  assert.deepEqual(bob.rec.sequence(marks.get(bob), ['accept']), joinSequence(bob, [carol, dave]));
  assert.deepEqual(carol.rec.sequence(marks.get(carol), ['accept']), joinSequence(carol, [dave]));
  assert.deepEqual(dave.rec.sequence(marks.get(dave), ['accept']), joinSequence(dave, []));

  const participants = strip(await carol.conn.call('getConferenceParticipants'));
  assert.deepEqual(participants, {
    confId,
    participants: [
      { peerId: instanceOf(alice), peerDn: 'Alice', role: 2 },
      { peerId: instanceOf(bob), peerDn: 'Bob', role: 1 },
      { peerId: instanceOf(carol), peerDn: 'Carol', role: 1 },
      { peerId: instanceOf(dave), peerDn: 'Dave', role: 1 },
    ],
    result: true,
  });
  assert.deepEqual(strip(await bob.conn.call('getConferences')), {
    confId,
    id: confId,
    confType: 1,
    confTitle: 'Review',
    conferenceOwner: alice.peerId,
    confState: 1,
    result: true,
  });

  // --- the send ---
  const body = randomBody(2 * 1024 * 1024 + 5);
  const file = await upload(alice.room, alice.conn, 'slides.pdf', body);
  for (const p of [alice, bob, carol, dave]) marks.set(p, p.rec.mark());
  const before = bytesReceived(hub);
  const { sentFileRequestId: sendId } = await alice.conn.call('sendFileToConference', {
    fileId: file.fileId,
  });
  const offers = new Map<Party, string>();
  for (const p of [bob, carol, dave]) {
    offers.set(p, String((await p.rec.waitFor('receivedFileRequest')).fileRequestId));
  }
  const sentEvent = await alice.rec.waitFor('outgoingFileRequestSentToConference');
  const timestamp = sentEvent.timestamp as number;
  const incoming = (p: Party) => ({
    fileRequestId: offers.get(p),
    peerId: alice.peerId,
    peerDn: 'Alice',
    fileName: 'slides.pdf',
    fileSize: body.length,
    timestamp,
    confId,
  });
  const incomingInfo = (p: Party, status: number, fileId?: number) => ({
    fileRequestId: offers.get(p),
    status,
    directionType: 0,
    fileName: 'slides.pdf',
    fileSize: body.length,
    timestamp,
    peerId: alice.peerId,
    peerDisplayName: 'Alice',
    confId,
    ...(fileId !== undefined ? { fileId } : {}),
  });

  await bob.conn.call('acceptIncomingFileRequest', { fileRequestId: offers.get(bob)! });
  await carol.conn.call('rejectIncomingFileRequest', { fileRequestId: offers.get(carol)! });
  const bobDone = await bob.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3);
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3);
  const bobFileId = bobDone.fileId as number;

  const outgoingStatus = (status: number) => ({
    event: 'fileRequestStatusChanged',
    fileRequestId: sendId,
    status,
    directionType: 1,
    fileName: 'slides.pdf',
    fileSize: body.length,
    timestamp,
    confId,
    fileId: file.fileId,
  });
  assert.deepEqual(alice.rec.sequence(marks.get(alice), ['sendFileToConference']), [
    { reply: 'sendFileToConference', sentFileRequestId: sendId, result: true },
    {
      event: 'outgoingFileRequestSentToConference',
      fileRequestId: sendId,
      fileName: 'slides.pdf',
      fileSize: body.length,
      fileId: file.fileId,
      confId,
      timestamp,
    },
    outgoingStatus(2),
    { event: 'outgoingFileRequestUploadingProgress' },
    outgoingStatus(3),
  ]);
  checkProgress(
    alice.rec.progress(sendId, 'outgoingFileRequestUploadingProgress'),
    {
      event: 'outgoingFileRequestUploadingProgress',
      fileRequestId: sendId,
      fileName: 'slides.pdf',
      fileId: file.fileId,
      fileSize: body.length,
      confId,
      timestamp,
    },
    body.length,
  );

  assert.deepEqual(bob.rec.sequence(marks.get(bob)), [
    { event: 'receivedFileRequest', ...incoming(bob) },
    { event: 'incomingFileRequestAccepted', ...incoming(bob) },
    { event: 'fileRequestStatusChanged', ...incomingInfo(bob, 2) },
    { event: 'incomingFileRequestDownloadingProgress' },
    { event: 'fileRequestStatusChanged', ...incomingInfo(bob, 3, bobFileId) },
  ]);
  checkProgress(
    bob.rec.progress(offers.get(bob)!, 'incomingFileRequestDownloadingProgress'),
    {
      event: 'incomingFileRequestDownloadingProgress',
      fileRequestId: offers.get(bob),
      fileName: 'slides.pdf',
      fileSize: body.length,
      peerId: alice.peerId,
      peerDisplayName: 'Alice',
      timestamp,
      confId,
    },
    body.length,
  );
  assert.deepEqual(carol.rec.sequence(marks.get(carol)), [
    { event: 'receivedFileRequest', ...incoming(carol) },
    { event: 'incomingFileRequestRejected', ...incoming(carol) },
  ]);
  assert.deepEqual(dave.rec.sequence(marks.get(dave)), [{ event: 'receivedFileRequest', ...incoming(dave) }]);

  // Dave's request still waits; carol's left her list; bob's is done and his file is whole.
  assert.deepEqual(strip(await dave.conn.call('getFileRequestInfo', { fileRequestId: offers.get(dave)! })), {
    ...incomingInfo(dave, 1),
    result: true,
  });
  assert.deepEqual((await dave.conn.call('getIncomingFilesRequests')).incomingFilesRequests, [
    {
      fileRequestId: offers.get(dave),
      peerId: alice.peerId,
      peerDn: 'Alice',
      fileName: 'slides.pdf',
      size: body.length,
      status: 1,
      timestamp,
      confId,
    },
  ]);
  assert.deepEqual((await carol.conn.call('getIncomingFilesRequests')).incomingFilesRequests, []);
  assert.equal(Buffer.compare(await download(bob.room, bob.conn, bobFileId), body), 0);

  // The body went to the hub once, for everyone.
  assert.equal(bytesReceived(hub) - before, body.length);

  // Outgoing list and history: a conference request has no peer fields, and carries confId.
  assert.deepEqual((await alice.conn.call('getOutgoingFilesRequests')).outgoingFilesRequests, [
    {
      fileRequestId: sendId,
      fileName: 'slides.pdf',
      status: 3,
      size: body.length,
      timestamp,
      fileId: file.fileId,
      confId,
    },
  ]);
  assert.deepEqual((await alice.conn.call('getFileTransferHistory')).filesRequests, [
    {
      directionType: 1,
      fileName: 'slides.pdf',
      fileSize: body.length,
      timestamp,
      fileRequestId: sendId,
      fileId: file.fileId,
      confId,
    },
  ]);
  assert.deepEqual((await bob.conn.call('getFileTransferHistory')).filesRequests, [
    {
      directionType: 0,
      fileName: 'slides.pdf',
      fileSize: body.length,
      timestamp,
      fileRequestId: offers.get(bob),
      fileId: bobFileId,
      peerId: alice.peerId,
      peerDn: 'Alice',
      confId,
    },
  ]);

  // Outside a group conference, sendFileToConference is refused.
  await dave.conn.call('hangUp', { forAll: false });
  await dave.rec.waitFor('conferenceDeleted');
  const daveFile = await upload(dave.room, dave.conn, 'mine.txt', randomBody(100));
  assert.equal(await failure(dave.conn, 'sendFileToConference', { fileId: daveFile.fileId }), 409);
  // Dave can still answer the offer he received while in it.
  await dave.conn.call('acceptIncomingFileRequest', { fileRequestId: offers.get(dave)! });
  const daveDone = await dave.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3);
  assert.equal(Buffer.compare(await download(dave.room, dave.conn, daveDone.fileId as number), body), 0);
  assert.equal(bytesReceived(hub) - before, body.length, 'still uploaded only once');
});

test('4b. a named conference joined with call \\c\\<CID>; a send reaches those present', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob', 'carol'] });
  await hub.repo.addConference({ cid: 'demo', title: 'Demo', createdAt: Date.now() });
  const [alice, bob, carol] = await parties(bed, hub, ['alice', 'bob', 'carol']);
  const aMark = alice.rec.mark();
  await alice.conn.call('call', { peerId: '\\c\\demo' });
  const created = await alice.rec.waitFor('conferenceCreated');
  const confId = String(created.confId);
  assert.deepEqual(alice.rec.sequence(aMark, ['call']), [
    { reply: 'call', result: true },
    { event: 'appStateChanged', appState: 5, embeddedHttpPort: alice.room.httpPort },
    {
      event: 'conferenceCreated',
      confId,
      confTitle: 'Demo',
      confType: 1,
      conferenceOwner: alice.peerId,
      isSmartMeeting: false,
      joinUrl: '',
    },
  ]);
  await bob.conn.call('call', { peerId: '\\c\\demo' });
  await bob.rec.waitFor('conferenceCreated', (m) => m.confId === confId);
  await alice.rec.waitFor('newParticipantInConference');
  assert.deepEqual(strip(await bob.conn.call('getConferences')), {
    confId,
    id: 'demo',
    confType: 1,
    confTitle: 'Demo',
    conferenceOwner: alice.peerId,
    confState: 1,
    result: true,
  });

  const file = await upload(alice.room, alice.conn, 'demo.txt', randomBody(1000));
  await alice.conn.call('sendFileToConference', { fileId: String(file.fileId) });
  const offer = await bob.rec.waitFor('receivedFileRequest');
  assert.equal(offer.confId, confId);
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3);
  // Carol was not present: she gets nothing, now or when she joins later.
  await carol.conn.call('call', { peerId: '\\c\\demo' });
  await carol.rec.waitFor('conferenceCreated');
  await alice.rec.waitFor('newParticipantInConference', (m) => m.peerId === instanceOf(carol));
  assert.equal(carol.rec.events().filter((m) => m.event === 'receivedFileRequest').length, 0);
  assert.deepEqual((await carol.conn.call('getIncomingFilesRequests')).incomingFilesRequests, []);
});

test('10. conference methods: types, calls, invitations, rejection, leaving and ending', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob', 'carol', 'dave'] });
  const [alice, bob, carol, dave] = await parties(bed, hub, ['alice', 'bob', 'carol', 'dave']);

  // confType names (with the published misspelling) and numbers are reported as numbers.
  for (const [confType, number] of [
    ['assymetric', 2],
    ['asymmetric', 2],
    ['role', 3],
    ['Symmetric', 1],
    [3, 3],
  ] as const) {
    const mark = dave.rec.mark();
    await dave.conn.call('createConference', { title: `t-${confType}`, confType, inviteList: [] });
    const created = await dave.rec.waitFor('conferenceCreated', (m) => m.confTitle === `t-${confType}`);
    assert.equal(created.confType, number);
    const confId = created.confId;
    assert.equal((await dave.conn.call('getConferences')).confType, number);
    assert.equal(await failure(dave.conn, 'createConference', { title: 'twice' }), 409);
    await dave.conn.call('hangUp', {});
    await dave.rec.waitFor('conferenceDeleted', (m) => m.confId === confId);
    assert.deepEqual(dave.rec.sequence(mark, ['createConference', 'hangUp']), [
      { reply: 'createConference', result: true },
      { event: 'appStateChanged', appState: 5, embeddedHttpPort: dave.room.httpPort },
      {
        event: 'conferenceCreated',
        confId,
        confTitle: `t-${confType}`,
        confType: number,
        conferenceOwner: dave.peerId,
        isSmartMeeting: false,
        joinUrl: '',
      },
      { reply: 'hangUp', result: true },
      { event: 'appStateChanged', appState: 6, embeddedHttpPort: dave.room.httpPort },
      { event: 'conferenceDeleted', confId },
      { event: 'appStateChanged', appState: 3, embeddedHttpPort: dave.room.httpPort },
    ]);
  }
  // Names of Object.prototype's members are unknown conference types too: 400, nothing created.
  for (const confType of ['triangular', 'constructor', '__proto__', 'toString', 'valueOf']) {
    assert.equal(await failure(dave.conn, 'createConference', { title: 'x', confType }), 400, confType);
  }
  assert.equal((await dave.conn.call('getAppState')).appState, 3);
  assert.deepEqual(strip(await dave.conn.call('getConferences')), { result: true });
  assert.deepEqual(strip(await dave.conn.call('getConferenceParticipants')), {
    participants: [],
    result: true,
  });

  // call: to a user → 409; to an unknown named conference → rejectReceived cause 19.
  assert.equal(await failure(alice.conn, 'call', { peerId: 'bob@files.local' }), 409);
  let mark = alice.rec.mark();
  await alice.conn.call('call', { peerId: '\\c\\nope' });
  await alice.rec.waitFor('rejectReceived');
  assert.deepEqual(alice.rec.sequence(mark, ['call']), [
    { reply: 'call', result: true },
    { event: 'rejectReceived', cause: 19, peerId: '\\c\\nope' },
  ]);
  assert.equal((await alice.conn.call('getAppState')).appState, 3);

  // accept / reject / hangUp / inviteToConference with nothing to act on → 409.
  assert.equal(await failure(bob.conn, 'accept'), 409);
  assert.equal(await failure(bob.conn, 'reject'), 409);
  assert.equal(await failure(bob.conn, 'hangUp', { forAll: false }), 409);
  assert.equal(await failure(bob.conn, 'inviteToConference', { peerId: 'carol' }), 409);

  // An invitation rejected: rejectSent to the invitee, rejectReceived to the inviter.
  await alice.conn.call('createConference', { title: 'Plan', inviteList: ['bob'] });
  const confId = String((await alice.rec.waitFor('conferenceCreated', (m) => m.confTitle === 'Plan')).confId);
  await bob.rec.waitFor('inviteReceived');
  mark = bob.rec.mark();
  const aMark = alice.rec.mark();
  await bob.conn.call('reject');
  await alice.rec.waitFor('rejectReceived', (m) => m.cause === 0);
  assert.deepEqual(bob.rec.sequence(mark, ['reject']), [
    { reply: 'reject', result: true },
    { event: 'rejectSent', peerId: alice.peerId, peerDn: 'Alice', cause: 0, confId },
    { event: 'appStateChanged', appState: 3, embeddedHttpPort: bob.room.httpPort },
  ]);
  assert.deepEqual(alice.rec.sequence(aMark), [
    { event: 'rejectReceived', cause: 0, peerId: bob.peerId, peerDn: 'Bob' },
  ]);
  assert.equal(await failure(bob.conn, 'accept'), 409, 'the invitation is gone');

  // inviteToConference by the owner; participants; a non-owner may not invite nor end it for all.
  await alice.conn.call('inviteToConference', { peerId: 'bob@files.local' });
  await bob.rec.next(mark, 'inviteReceived', (m) => m.confId === confId);
  await bob.conn.call('accept');
  await bob.rec.waitFor('conferenceCreated', (m) => m.confId === confId);
  await alice.conn.call('inviteToConference', { peerId: 'carol' });
  await carol.rec.waitFor('inviteReceived');
  await carol.conn.call('accept');
  await carol.rec.waitFor('conferenceCreated');
  await bob.rec.waitFor('newParticipantInConference', (m) => m.peerId === instanceOf(carol));
  assert.equal(await failure(bob.conn, 'inviteToConference', { peerId: 'dave' }), 403);
  assert.equal(await failure(bob.conn, 'inviteToConference', { peerId: 'nobody' }), 403);
  assert.equal(await failure(alice.conn, 'inviteToConference', { peerId: 'nobody' }), 404);
  assert.equal(await failure(bob.conn, 'hangUp', { forAll: true }), 403);
  assert.equal((await bob.conn.call('getAppState')).appState, 5, 'still in the conference');
  assert.deepEqual(strip(await alice.conn.call('getConferenceParticipants')), {
    confId,
    participants: [
      { peerId: instanceOf(alice), peerDn: 'Alice', role: 2 },
      { peerId: instanceOf(bob), peerDn: 'Bob', role: 1 },
      { peerId: instanceOf(carol), peerDn: 'Carol', role: 1 },
    ],
    result: true,
  });

  // Carol leaves: the others see participantLeftConference.
  const marks = new Map([alice, bob, carol].map((p) => [p, p.rec.mark()]));
  await carol.conn.call('hangUp', { forAll: false });
  await carol.rec.waitFor('conferenceDeleted', (m) => m.confId === confId);
  await alice.rec.waitFor('participantLeftConference');
  await bob.rec.waitFor('participantLeftConference');
  assert.deepEqual(carol.rec.sequence(marks.get(carol), ['hangUp']), [
    { reply: 'hangUp', result: true },
    { event: 'appStateChanged', appState: 6, embeddedHttpPort: carol.room.httpPort },
    { event: 'conferenceDeleted', confId },
    { event: 'appStateChanged', appState: 3, embeddedHttpPort: carol.room.httpPort },
  ]);
  for (const p of [alice, bob]) {
    assert.deepEqual(p.rec.sequence(marks.get(p)), [
      { event: 'participantLeftConference', peerId: instanceOf(carol), confId },
    ]);
  }
  assert.deepEqual(strip(await carol.conn.call('getConferences')), { result: true });

  // The owner ends it for everyone.
  for (const p of [alice, bob]) marks.set(p, p.rec.mark());
  await alice.conn.call('hangUp', { forAll: true });
  await bob.rec.waitFor('conferenceDeleted', (m) => m.confId === confId);
  await alice.rec.waitFor('conferenceDeleted', (m) => m.confId === confId);
  assert.deepEqual(alice.rec.sequence(marks.get(alice), ['hangUp']), [
    { reply: 'hangUp', result: true },
    { event: 'appStateChanged', appState: 6, embeddedHttpPort: alice.room.httpPort },
    { event: 'conferenceDeleted', confId },
    { event: 'appStateChanged', appState: 3, embeddedHttpPort: alice.room.httpPort },
  ]);
  await bob.rec.next(marks.get(bob)!, 'appStateChanged', (m) => m.appState === 3);
  assert.deepEqual(bob.rec.sequence(marks.get(bob)), [
    { event: 'conferenceDeleted', confId },
    { event: 'appStateChanged', appState: 3, embeddedHttpPort: bob.room.httpPort },
  ]);
  for (const p of [alice, bob, carol]) {
    assert.deepEqual(strip(await p.conn.call('getConferences')), { result: true });
    assert.equal((await p.conn.call('getAppState')).appState, 3);
  }
});
