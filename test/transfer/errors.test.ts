import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { TestBed } from '../helpers/harness.js';
import { BLOB_PATH, UPLOAD_OFFSET_HEADER } from '../../src/protocol/hub-link.js';
import type { Hub } from '../../src/hub/hub.js';
import { RawLink, download, failure, parties, randomBody, upload } from './support.js';

/** Error replies of the file-transfer methods (room-api.md §2, §6, §8) and isolation between accounts at the hub. */

const bed = new TestBed();
after(() => bed.close());

test('8a. sendFile: bad peers, unknown files, size limits, and how a peer is named', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'], domain: 'corp.example', maxFileSize: 1000 });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const file = await upload(alice.room, alice.conn, 'small.txt', randomBody(1000));
  const big = await upload(alice.room, alice.conn, 'big.txt', randomBody(1001));

  assert.equal(
    await failure(alice.conn, 'sendFile', { fileId: file.fileId, peerId: 'nobody@corp.example' }),
    404,
  );
  assert.equal(await failure(alice.conn, 'sendFile', { fileId: file.fileId, peerId: 'nobody' }), 404);
  assert.equal(
    await failure(alice.conn, 'sendFile', { fileId: file.fileId, peerId: 'bob@files.local' }),
    404,
  );
  assert.equal(await failure(alice.conn, 'sendFile', { fileId: 123, peerId: 'bob' }), 404);
  assert.equal(
    await failure(alice.conn, 'sendFile', {
      fileId: file.fileId,
      peerId: `bob@corp.example/${bob.room.instance}`,
    }),
    400,
  );
  assert.equal(await failure(alice.conn, 'sendFile', { fileId: file.fileId }), 400);
  assert.equal(await failure(alice.conn, 'sendFile', { peerId: 'bob' }), 400);
  assert.equal(await failure(alice.conn, 'sendFile', { fileId: 'abc', peerId: 'bob' }), 400);
  assert.equal(await failure(alice.conn, 'sendFile', { fileId: file.fileId, peerId: '' }), 400);
  assert.equal(await failure(alice.conn, 'sendFile', { fileId: big.fileId, peerId: 'bob' }), 413);
  assert.equal(await failure(alice.conn, 'sendFile', { fileId: file.fileId, peerId: 'alice' }), 400);
  // None of the failures left a request behind or told anyone anything.
  assert.deepEqual((await alice.conn.call('getOutgoingFilesRequests')).outgoingFilesRequests, []);
  assert.deepEqual(alice.rec.events(), []);
  assert.deepEqual(bob.rec.events(), []);

  // A bare name gets the hub's domain; callId is the published name of the parameter.
  const viaCallId = await alice.conn.call('sendFile', { fileId: file.fileId, callId: 'bob' });
  const sent = await alice.rec.waitFor('outgoingFileRequestSent');
  assert.equal(sent.fileRequestId, viaCallId.sentFileRequestId);
  assert.equal(sent.peerId, 'bob@corp.example');
  assert.equal(sent.peerDn, 'Bob');
  const viaPeerId = await alice.conn.call('sendFile', {
    fileId: String(file.fileId),
    peerId: ' bob@corp.example ',
  });
  const second = await alice.rec.waitFor(
    'outgoingFileRequestSent',
    (m) => m.fileRequestId === viaPeerId.sentFileRequestId,
  );
  assert.equal(second.peerId, 'bob@corp.example');
  const received = await bob.rec.waitFor('receivedFileRequest');
  assert.equal(received.peerId, 'alice@corp.example');
});

test('8b. requests: unknown ids, wrong states, and the outgoing side', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const file = await upload(alice.room, alice.conn, 'x.txt', randomBody(5000));
  const { sentFileRequestId: sendId } = await alice.conn.call('sendFile', {
    fileId: file.fileId,
    peerId: 'bob',
  });
  const offerId = String((await bob.rec.waitFor('receivedFileRequest')).fileRequestId);

  for (const method of ['acceptIncomingFileRequest', 'rejectIncomingFileRequest']) {
    assert.equal(await failure(bob.conn, method, { fileRequestId: randomUUID() }), 404);
    assert.equal(await failure(bob.conn, method, { fileRequestId: 'not-a-uuid' }), 404);
    assert.equal(await failure(bob.conn, method, {}), 400);
    assert.equal(await failure(bob.conn, method, { fileRequestId: 5 }), 400);
    // An outgoing request is not accepted or rejected by its sender.
    assert.equal(await failure(alice.conn, method, { fileRequestId: sendId }), 409);
  }
  // Two connections decide at once: one decision wins, the other gets 409, and the events come once.
  const second = await bed.connect(bob.room);
  const mark = bob.rec.mark();
  const outcomes = await Promise.allSettled([
    bob.conn.call('acceptIncomingFileRequest', { fileRequestId: offerId }),
    second.call('acceptIncomingFileRequest', { fileRequestId: offerId }),
    second.call('rejectIncomingFileRequest', { fileRequestId: offerId }),
  ]);
  assert.equal(outcomes[0].status, 'fulfilled');
  for (const outcome of outcomes.slice(1)) {
    assert.equal(outcome.status, 'rejected');
    assert.equal(outcome.reason.errorCode, 409);
  }
  const done = await bob.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3);
  assert.deepEqual(
    bob.rec
      .sequence(mark)
      .map((m) => `${String(m.event)}${m.status === undefined ? '' : `:${String(m.status)}`}`),
    [
      'incomingFileRequestAccepted',
      'fileRequestStatusChanged:2',
      'incomingFileRequestDownloadingProgress',
      'fileRequestStatusChanged:3',
    ],
  );
  assert.equal(await failure(bob.conn, 'acceptIncomingFileRequest', { fileRequestId: offerId }), 409);
  assert.equal(await failure(bob.conn, 'rejectIncomingFileRequest', { fileRequestId: offerId }), 409);
  assert.equal(await failure(bob.conn, 'deleteFileTransferFile', { fileId: 999 }), 404);
  assert.equal(await failure(bob.conn, 'deleteFileTransferFile', {}), 400);
  assert.deepEqual(
    await download(bob.room, bob.conn, done.fileId as number),
    await download(alice.room, alice.conn, file.fileId),
  );
});

test('8c. availability other than 3 refuses sends and accepts with 403; lists keep working', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const aliceFile = await upload(alice.room, alice.conn, 'a.txt', randomBody(3000));
  const bobFile = await upload(bob.room, bob.conn, 'b.txt', randomBody(3000));
  await bob.conn.call('sendFile', { fileId: bobFile.fileId, peerId: 'alice' });
  const offerId = String((await alice.rec.waitFor('receivedFileRequest')).fileRequestId);

  // The server forbids file transfer for alice.
  let mark = alice.rec.mark();
  await hub.accounts.update('alice', { fileTransfer: false });
  await hub.applyAccountChanges('alice');
  await alice.rec.next(mark, 'fileTransferAvailabilityChanged');
  assert.deepEqual(alice.rec.sequence(mark), [{ event: 'fileTransferAvailabilityChanged', availability: 0 }]);
  assert.equal((await alice.conn.call('getFileTransferAvailability')).availability, 0);
  assert.equal(await failure(alice.conn, 'sendFile', { fileId: aliceFile.fileId, peerId: 'bob' }), 403);
  assert.equal(await failure(alice.conn, 'sendFileToConference', { fileId: aliceFile.fileId }), 403);
  assert.equal(await failure(alice.conn, 'acceptIncomingFileRequest', { fileRequestId: offerId }), 403);
  // Nobody can send to her meanwhile either.
  assert.equal(await failure(bob.conn, 'sendFile', { fileId: bobFile.fileId, peerId: 'alice' }), 403);
  // Listing, info, history and the HTTP server keep working.
  assert.equal((await alice.conn.call('getIncomingFilesRequests')).incomingFilesRequests[0].status, 1);
  assert.equal((await alice.conn.call('getFileRequestInfo', { fileRequestId: offerId })).status, 1);
  assert.deepEqual((await alice.conn.call('getFileTransferHistory')).filesRequests, []);
  assert.equal((await download(alice.room, alice.conn, aliceFile.fileId)).length, 3000);

  // Allowed again: availability 3, and the waiting request can be accepted.
  mark = alice.rec.mark();
  await hub.accounts.update('alice', { fileTransfer: true });
  await hub.applyAccountChanges('alice');
  await alice.rec.next(mark, 'fileTransferAvailabilityChanged');
  assert.deepEqual(alice.rec.sequence(mark), [{ event: 'fileTransferAvailabilityChanged', availability: 3 }]);

  // Logged out: availability 2.
  mark = alice.rec.mark();
  await alice.conn.call('logout');
  await alice.rec.next(mark, 'fileTransferAvailabilityChanged');
  assert.deepEqual(alice.rec.sequence(mark, ['logout']), [
    { reply: 'logout', result: true },
    { event: 'logout', result: 0, cause: 0 },
    { event: 'appStateChanged', appState: 2, embeddedHttpPort: alice.room.httpPort },
    { event: 'fileTransferAvailabilityChanged', availability: 2 },
  ]);
  assert.equal(await failure(alice.conn, 'sendFile', { fileId: aliceFile.fileId, peerId: 'bob' }), 403);
  assert.equal(await failure(alice.conn, 'sendFileToConference', { fileId: aliceFile.fileId }), 403);
  assert.equal(await failure(alice.conn, 'acceptIncomingFileRequest', { fileRequestId: offerId }), 403);
  assert.deepEqual(
    (await alice.conn.call('getIncomingFilesRequests')).incomingFilesRequests.map((r) => [
      r.fileRequestId,
      r.status,
    ]),
    [[offerId, 1]],
  );
  assert.equal((await alice.conn.call('getFileRequestInfo', { fileRequestId: offerId })).status, 1);

  // Logged in again: the request is still there and completes.
  mark = alice.rec.mark();
  await alice.conn.call('login', { login: 'alice', password: 'pw-alice' });
  await alice.rec.next(mark, 'fileTransferAvailabilityChanged');
  await alice.conn.call('acceptIncomingFileRequest', { fileRequestId: offerId });
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.fileRequestId === offerId && m.status === 3);
  assert.deepEqual(
    alice.rec.events(mark).filter((m) => m.event === 'receivedFileRequest'),
    [],
    'the request was not offered a second time',
  );
});

function hubRequest(
  hub: Hub,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: hub.port, method, path, headers, agent: false },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test("9. a room logged in as carol can never accept, reject or download bob's offer", async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob', 'carol'] });
  const [alice, bob, carol] = await parties(bed, hub, ['alice', 'bob', 'carol']);
  const body = randomBody(100_000);
  const sha = createHash('sha256').update(body).digest('hex');
  const file = await upload(alice.room, alice.conn, 'private.bin', body);
  const { sentFileRequestId: sendId } = await alice.conn.call('sendFile', {
    fileId: file.fileId,
    peerId: 'bob',
  });
  const bobRequest = String((await bob.rec.waitFor('receivedFileRequest')).fileRequestId);
  const [hubOffer] = await hub.repo.offersForRecipient('bob');
  const offerId = hubOffer.offerId;

  // Over carol's Room API: bob's request is not hers, under either id.
  assert.deepEqual((await carol.conn.call('getIncomingFilesRequests')).incomingFilesRequests, []);
  for (const id of [bobRequest, offerId]) {
    assert.equal(await failure(carol.conn, 'acceptIncomingFileRequest', { fileRequestId: id }), 404);
    assert.equal(await failure(carol.conn, 'rejectIncomingFileRequest', { fileRequestId: id }), 404);
  }

  // Over a raw link logged in as carol.
  const link = await RawLink.open(bed, hub);
  const login = await link.login('carol');
  const token = String(login.session);
  for (const [op, args] of [
    ['offer.accept', { offerId }],
    ['offer.reject', { offerId }],
    ['offer.done', { offerId }],
    ['offer.failed', { offerId, reason: 'failed' }],
  ] as const) {
    const reply = await link.request(op, args);
    assert.equal(reply.ok, false, `${op} ${JSON.stringify(reply)}`);
    assert.equal(reply.code, 'not_found', `${op} ${JSON.stringify(reply)}`);
  }
  assert.equal((await link.request('offer.seen', { offers: [{ offerId, state: 'rejected' }] })).ok, true);
  assert.equal((await link.request('send.seen', { sendId, status: 0 })).ok, true);
  const sync = await link.request('sync');
  assert.deepEqual({ incoming: sync.incoming, sends: sync.sends }, { incoming: [], sends: [] });
  const auth = { authorization: `Bearer ${token}` };
  assert.equal((await hubRequest(hub, 'GET', `${BLOB_PATH}/${sha}?offer=${offerId}`, auth)).status, 404);
  assert.equal((await hubRequest(hub, 'HEAD', `${BLOB_PATH}/${sha}?send=${sendId}`, auth)).status, 404);
  assert.equal(
    (
      await hubRequest(
        hub,
        'PATCH',
        `${BLOB_PATH}/${sha}?send=${sendId}`,
        { ...auth, 'content-type': 'application/offset+octet-stream', [UPLOAD_OFFSET_HEADER]: '0' },
        Buffer.alloc(10),
      )
    ).status,
    404,
  );
  assert.equal((await hubRequest(hub, 'GET', `${BLOB_PATH}/${sha}?offer=${offerId}`, {})).status, 401);
  assert.equal((await hub.repo.getOffer(offerId))!.state, 'waiting');

  // bob accepts; while and after the body moves, carol still gets nothing.
  await bob.conn.call('acceptIncomingFileRequest', { fileRequestId: bobRequest });
  assert.equal((await hubRequest(hub, 'GET', `${BLOB_PATH}/${sha}?offer=${offerId}`, auth)).status, 404);
  const done = await bob.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3);
  assert.equal((await hubRequest(hub, 'GET', `${BLOB_PATH}/${sha}?offer=${offerId}`, auth)).status, 404);
  assert.deepEqual(await download(bob.room, bob.conn, done.fileId as number), body);
  assert.deepEqual(carol.rec.events(), []);
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3);

  // Another room logged in as bob cannot download what the first one accepted.
  const other = await RawLink.open(bed, hub);
  const bob2 = await other.login('bob', '0badcafe');
  const f2 = await upload(alice.room, alice.conn, 'second.bin', randomBody(50_000));
  await alice.conn.call('sendFile', { fileId: f2.fileId, peerId: 'bob' });
  await bob.rec.waitFor('receivedFileRequest', (m) => m.fileName === 'second.bin');
  const second = (await hub.repo.offersForRecipient('bob')).find((o) => o.offerId !== offerId)!;
  const sha2 = (await hub.repo.getSend(second.sendId))!.sha256;
  const bobRequest2 = String(
    (await bob.rec.waitFor('receivedFileRequest', (m) => m.fileName === 'second.bin')).fileRequestId,
  );
  await bob.conn.call('acceptIncomingFileRequest', { fileRequestId: bobRequest2 });
  const stolen = await hubRequest(hub, 'GET', `${BLOB_PATH}/${sha2}?offer=${second.offerId}`, {
    authorization: `Bearer ${String(bob2.session)}`,
  });
  assert.equal(stolen.status, 409);
  assert.equal((await other.request('offer.done', { offerId: second.offerId })).code, 'conflict');
  await bob.rec.waitFor('fileRequestStatusChanged', (m) => m.fileRequestId === bobRequest2 && m.status === 3);
});
