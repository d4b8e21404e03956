import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TransferFailedError, type RoomClient } from '../../src/client/index.js';
import type { Room } from '../../src/room/room.js';
import { TestBed } from '../helpers/harness.js';
import { randomFile } from '../helpers/cluster.js';
import { apiError, conferenceOfTwo, fileWith, logged } from './support.js';

/** sendFileTo and sendFileToConference: resolve at status 3, reject with TransferFailedError at status 0. */

const bed = new TestBed();
after(() => bed.close());

let alice: RoomClient;
let bob: RoomClient;
let rooms: Room[];
let dir: string;

before(async () => {
  ({
    rooms,
    clients: [alice, bob],
  } = await logged(bed, ['alice', 'bob']));
  dir = bed.dir('helpers-');
});

const roomWithApiPort = (port: number) => rooms.find((room) => room.apiPort === port)!;

/** bob answers the next offer of that file name, through his own client. */
function bobAnswers(fileName: string, answer: 'accept' | 'reject') {
  return bob
    .waitFor('receivedFileRequest', (e) => e.fileName === fileName, 15_000)
    .then(async (offer) => {
      if (answer === 'accept') await bob.acceptIncomingFileRequest({ fileRequestId: offer.fileRequestId });
      else await bob.rejectIncomingFileRequest({ fileRequestId: offer.fileRequestId });
      return offer;
    });
}

test("sendFileTo('bob@files.local', path) resolves with {fileRequestId, fileId} once bob accepted and it is done", async () => {
  const path = join(dir, 'report.bin');
  const sha = await randomFile(path, 512 * 1024);
  const answered = bobAnswers('report.bin', 'accept');
  const bobDone = bob.waitFor(
    'fileRequestStatusChanged',
    (e) => e.fileName === 'report.bin' && e.status === 3,
    15_000,
  );
  const statuses: number[] = [];
  const percents: number[] = [];
  let uploaded = 0;
  const result = await alice.sendFileTo('bob@files.local', path, {
    onStatus: (s) => statuses.push(s),
    onProgress: (p) => percents.push(p.percent),
    onUploadProgress: (p) => (uploaded = p.bytes),
  });
  assert.equal(uploaded, 512 * 1024);
  assert.match(result.fileRequestId, /^[0-9a-f-]{36}$/);
  assert.ok(Number.isInteger(result.fileId));
  const info = await alice.getFileRequestInfo({ fileRequestId: result.fileRequestId });
  assert.equal(info.status, 3);
  assert.equal(info.fileId, result.fileId);
  assert.equal(info.peerId, 'bob@files.local');
  assert.deepEqual(statuses, [2, 3]);
  assert.equal(percents[percents.length - 1], 100);
  assert.equal((await answered).peerId, 'alice@files.local');

  // bob has it, byte for byte.
  const received = await bobDone;
  const copy = await bob.download(received.fileId!, { to: join(dir, 'bob-report.bin') });
  assert.equal(copy.sha256, sha);
});

test('sendFileTo rejects with TransferFailedError "bob@files.local rejected <name>" when bob rejects', async () => {
  const path = await fileWith(dir, 'draft.txt', 'not wanted');
  const answered = bobAnswers('draft.txt', 'reject');
  let failure: unknown;
  try {
    await alice.sendFileTo('bob@files.local', path);
  } catch (error) {
    failure = error;
  }
  await answered;
  assert.ok(failure instanceof TransferFailedError, String(failure));
  assert.equal(failure.message, 'bob@files.local rejected draft.txt');
  assert.equal(failure.statusReason, 'rejected');
  assert.equal(failure.fileName, 'draft.txt');
  assert.equal(failure.peerId, 'bob@files.local');
  assert.equal((await alice.getFileRequestInfo({ fileRequestId: failure.fileRequestId })).status, 0);
});

test('sendFileTo to an unknown user rejects with the RoomApiError of sendFile; a timeout rejects as well', async () => {
  const path = await fileWith(dir, 'lost.txt', 'to nobody');
  await apiError(alice.sendFileTo('nobody@files.local', path), 'sendFile', 404, /nobody/);
  // bob does not answer: the helper gives up after its timeout (the offer stays, waiting).
  await assert.rejects(alice.sendFileTo('bob', path, { timeoutMs: 300 }), /did not finish in time/);
});

test('sendFileToConference(path) in a conference resolves at status 3; ({fileId}) is the plain API method', async () => {
  const confId = await conferenceOfTwo(alice, bob);

  const path = join(dir, 'slides.bin');
  await randomFile(path, 200 * 1024);
  const offered = bob.waitFor('receivedFileRequest', (e) => e.fileName === 'slides.bin', 10_000);
  const statuses: number[] = [];
  const result = await alice.sendFileToConference(path, { onStatus: (s) => statuses.push(s) });
  assert.equal(statuses[statuses.length - 1], 3);
  const info = await alice.getFileRequestInfo({ fileRequestId: result.fileRequestId });
  assert.equal(info.status, 3);
  assert.equal(info.confId, confId);
  assert.equal(info.fileId, result.fileId);
  assert.equal((await offered).confId, confId);

  // The API method, not the helper: the reply of sendFileToConference, at once.
  const plain = await alice.sendFileToConference({ fileId: result.fileId });
  assert.equal(plain.method, 'sendFileToConference');
  assert.equal(plain.result, true);
  assert.match(plain.sentFileRequestId, /^[0-9a-f-]{36}$/);
  assert.notEqual(plain.sentFileRequestId, result.fileRequestId);
  assert.equal('fileId' in plain, false);
  await alice.hangUp({ forAll: true });

  // Outside a conference the helper rejects with the API's 409.
  await apiError(alice.sendFileToConference(path), 'sendFileToConference', 409);
});

test('sendFileTo survives a dropped connection: the status missed meanwhile is asked for after the reconnect', async () => {
  const path = await fileWith(dir, 'while-away.txt', 'sent while the client was away');
  const aliceRoom = alice.apiPort;
  const sentOffer = bob.waitFor('receivedFileRequest', (e) => e.fileName === 'while-away.txt', 15_000);
  const states: string[] = [];
  const off = alice.onConnectionState((state) => states.push(state));
  const delivered = alice.sendFileTo('bob@files.local', path, { timeoutMs: 20_000 });
  const offer = await sentOffer;
  // alice's client loses its connection; bob accepts and the transfer ends before it is back.
  const dropped = new Promise<void>((resolve) => {
    const stop = alice.onConnectionState((state) => {
      if (state === 'reconnecting') {
        stop();
        resolve();
      }
    });
  });
  for (const connection of roomWithApiPort(aliceRoom).connections) connection.socket.terminate();
  await dropped;
  const bobDone = bob.waitFor(
    'fileRequestStatusChanged',
    (e) => e.fileName === 'while-away.txt' && e.status === 3,
  );
  await bob.acceptIncomingFileRequest({ fileRequestId: offer.fileRequestId });
  await bobDone;
  const { fileRequestId } = await delivered;
  off();
  assert.deepEqual(states, ['reconnecting', 'connected']);
  assert.equal((await alice.getFileRequestInfo({ fileRequestId })).status, 3);
});
