import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { RoomApiError } from '../../src/client/index.js';
import { MessageLog, httpUrl, listDir, uploadOk, type RawMessage } from '../helpers/http.js';
import type { Room } from '../../src/room/room.js';
import type { HistoryRecord } from '../../src/room/store.js';

const bed = new TestBed();
after(() => bed.close());

async function expectApiError(promise: Promise<unknown>, errorCode: number): Promise<RoomApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RoomApiError, String(error));
    assert.equal(error.errorCode, errorCode, error.message);
    return error;
  }
  assert.fail(`expected errorCode ${errorCode}`);
}

async function setup() {
  const room = await bed.room();
  const api = await bed.connect(room);
  const log = await MessageLog.open(room);
  bed.defer(() => log.close());
  const token = api.tokenForHttpServer;
  const a = (await uploadOk(room, token, 'a.txt', 'alpha')).reply;
  const b = (await uploadOk(room, token, 'b.txt', 'bravo!')).reply;
  const c = (await uploadOk(room, token, 'c.txt', 'charlie')).reply;
  return { room, api, log, token, a, b, c };
}

/** History rows as the transfer engine records them: one per completed transfer. */
function history(
  room: Room,
  fileId: number,
  fileName: string,
  fileSize: number,
  extra: Partial<HistoryRecord>,
) {
  const entry: HistoryRecord = {
    fileRequestId: randomUUID(),
    direction: 1,
    fileName,
    fileSize,
    timestamp: 1_700_000_000_000 + Math.floor(Math.random() * 1000),
    fileId,
    peerId: null,
    peerDn: null,
    confId: null,
    ...extra,
  };
  room.store.addHistory(entry, entry.timestamp + 10);
  return entry;
}

/** Events of a name that arrived after `from`, up to (not including) the reply to a later barrier call. */
async function eventsUntilBarrier(log: MessageLog, from: number, name: string): Promise<RawMessage[]> {
  const barrier = await log.call('getHttpServerState');
  return log.messages.slice(from, log.indexOf(barrier)).filter((m) => m.event === name);
}

describe('deleteFileTransferFile', () => {
  test('an unknown fileId → 404; a file is removed from disk, list and HTTP', async () => {
    const { room, api, token, a, b } = await setup();
    await expectApiError(api.call('deleteFileTransferFile', { fileId: 12345 }), 404);
    await expectApiError(api.call('deleteFileTransferFile', { fileId: '9999999999' }), 404);
    await expectApiError(api.callRaw('deleteFileTransferFile', {}), 400);
    await expectApiError(api.callRaw('deleteFileTransferFile', { fileId: 'abc' }), 400);

    await api.call('deleteFileTransferFile', { fileId: a.fileId });
    assert.ok(!existsSync(room.pathOfFile(a.fileId)));
    assert.ok(!(await api.call('getFileList')).fileList.some((f) => f.fileId === a.fileId));
    const gone = await fetch(httpUrl(room, `/files/${a.fileId}`, token));
    assert.equal(gone.status, 404);
    await gone.arrayBuffer();
    await expectApiError(api.call('deleteFileTransferFile', { fileId: a.fileId }), 404);

    // A numeric string is the same fileId.
    await api.call('deleteFileTransferFile', { fileId: String(b.fileId) });
    assert.ok(!existsSync(room.pathOfFile(b.fileId)));
  });

  test('removes every history entry naming the file, each announced after the reply', async () => {
    const { room, log, a, b } = await setup();
    const incoming = history(room, a.fileId, 'a.txt', 5, {
      direction: 0,
      peerId: 'bob@files.local',
      peerDn: 'Bob',
    });
    const toConference = history(room, a.fileId, 'a.txt', 5, { confId: '0123456789abcdef@files.local#vcs' });
    const other = history(room, b.fileId, 'b.txt', 6, { peerId: 'carol@files.local', peerDn: 'Carol' });

    const from = log.messages.length;
    const reply = await log.call('deleteFileTransferFile', { fileId: a.fileId });
    assert.equal(reply.result, true);
    const events = await eventsUntilBarrier(log, from, 'fileDeletedFromFileTransferHistory');
    assert.equal(events.length, 2);
    for (const event of events) assert.ok(log.indexOf(event) > log.indexOf(reply), 'events follow the reply');
    const byId = new Map(events.map((e) => [e.fileRequestId, e]));
    assert.deepEqual(byId.get(incoming.fileRequestId), {
      method: 'event',
      event: 'fileDeletedFromFileTransferHistory',
      directionType: 0,
      fileName: 'a.txt',
      fileSize: 5,
      timestamp: incoming.timestamp,
      fileRequestId: incoming.fileRequestId,
      fileId: a.fileId,
      peerId: 'bob@files.local',
      peerDn: 'Bob',
      removedFromDisk: true,
    });
    // Absent fields are omitted, never null or "".
    assert.deepEqual(byId.get(toConference.fileRequestId), {
      method: 'event',
      event: 'fileDeletedFromFileTransferHistory',
      directionType: 1,
      fileName: 'a.txt',
      fileSize: 5,
      timestamp: toConference.timestamp,
      fileRequestId: toConference.fileRequestId,
      fileId: a.fileId,
      confId: '0123456789abcdef@files.local#vcs',
      removedFromDisk: true,
    });
    const left = await log.call('getFileTransferHistory');
    assert.deepEqual(
      (left.filesRequests as { fileRequestId: string }[]).map((e) => e.fileRequestId),
      [other.fileRequestId],
    );
    assert.ok(!existsSync(room.pathOfFile(a.fileId)));
  });

  test('DELETE over HTTP is the same operation, with the same events', async () => {
    const { room, log, token, c } = await setup();
    const entry = history(room, c.fileId, 'c.txt', 7, { peerId: 'bob@files.local', peerDn: 'Bob' });
    const from = log.messages.length;
    const response = await fetch(httpUrl(room, `/files/${c.fileId}`, token), { method: 'DELETE' });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    const event = await log.event('fileDeletedFromFileTransferHistory', from);
    assert.equal(event.fileRequestId, entry.fileRequestId);
    assert.equal(event.removedFromDisk, true);
    assert.deepEqual((await log.call('getFileTransferHistory')).filesRequests, []);
  });

  test('a file used by a waiting transfer → 409 and is kept', async () => {
    const { room, api, a } = await setup();
    room.store.insertRequest({
      fileRequestId: randomUUID(),
      direction: 1,
      status: 1,
      statusReason: null,
      fileName: 'a.txt',
      fileSize: 5,
      sha256: room.library.get(a.fileId).sha256,
      fileId: a.fileId,
      peerId: 'bob@files.local',
      peerDn: 'Bob',
      confId: null,
      timestamp: Date.now(),
      hubId: randomUUID(),
      processed: 0,
      account: 'nobody@files.local',
    });
    await expectApiError(api.call('deleteFileTransferFile', { fileId: a.fileId }), 409);
    assert.ok(existsSync(room.pathOfFile(a.fileId)));
    assert.ok((await api.call('getFileList')).fileList.some((f) => f.fileId === a.fileId));
  });
});

test('a file being offered (sendFile waiting for the server) cannot be deleted until the offer is recorded', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const room = await bed.room({ hub, as: 'alice' });
  await loggedIn(room);
  const api = await bed.connect(room);
  const { fileId } = (await uploadOk(room, api.tokenForHttpServer, 'offer.txt', 'offered')).reply;
  // The hub holds its answer to offer.create until the test lets it go.
  const handlers = (hub.links as unknown as { handlers: Map<string, (...args: unknown[]) => unknown> })
    .handlers;
  const create = handlers.get('offer.create')!;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const atHub = new Promise<void>((resolve) => (reached = resolve));
  handlers.set('offer.create', async (...args: unknown[]) => {
    reached();
    await gate;
    return create(...args);
  });
  const sending = api.call('sendFile', { fileId, peerId: 'bob' });
  await atHub;
  // Another connection: one connection's requests are answered in order, so this one would wait behind sendFile.
  const other = await bed.connect(room);
  await expectApiError(other.call('deleteFileTransferFile', { fileId }), 409);
  release();
  const sent = await sending;
  // Recorded as waiting for bob: still not deletable, and the file is there for the upload.
  await expectApiError(api.call('deleteFileTransferFile', { fileId }), 409);
  assert.ok(existsSync(room.pathOfFile(fileId)));
  const info = await api.call('getFileRequestInfo', { fileRequestId: sent.sentFileRequestId });
  assert.equal(info.fileId, fileId);
});

describe('clearFileTransferHistory', () => {
  test('without deleting files: empties the history, keeps files, event after the reply', async () => {
    const { room, log, a, b, c } = await setup();
    history(room, a.fileId, 'a.txt', 5, {});
    history(room, b.fileId, 'b.txt', 6, { direction: 0, peerId: 'bob@files.local', peerDn: 'Bob' });
    const from = log.messages.length;
    const reply = await log.call('clearFileTransferHistory', { deleteFilesFromDisk: false });
    assert.equal(reply.result, true);
    const event = await log.event('fileTransferHistoryCleared', from);
    assert.ok(log.indexOf(event) > log.indexOf(reply), 'the event follows the reply');
    assert.deepEqual(event, { method: 'event', event: 'fileTransferHistoryCleared', removedFromDisk: false });
    assert.deepEqual((await log.call('getFileTransferHistory')).filesRequests, []);
    assert.deepEqual(listDir(room.files.filesDir), [a.fileId, b.fileId, c.fileId].map(String).sort());
    const events = await eventsUntilBarrier(log, from, 'fileTransferHistoryCleared');
    assert.equal(events.length, 1);

    // Without the parameter: the same, files stay.
    history(room, a.fileId, 'a.txt', 5, {});
    const before = log.messages.length;
    await log.call('clearFileTransferHistory');
    assert.equal((await log.event('fileTransferHistoryCleared', before)).removedFromDisk, false);
    assert.equal(listDir(room.files.filesDir).length, 3);
  });

  test('with deleteFilesFromDisk: the named files go, others and files in use stay', async () => {
    const { room, api, log, token, a, b, c } = await setup();
    const d = (await uploadOk(room, token, 'd.txt', 'delta')).reply;
    history(room, a.fileId, 'a.txt', 5, {});
    history(room, a.fileId, 'a.txt', 5, { direction: 0, peerId: 'bob@files.local', peerDn: 'Bob' });
    history(room, b.fileId, 'b.txt', 6, { confId: 'feedfacefeedface@files.local#vcs' });
    history(room, d.fileId, 'd.txt', 5, {});
    room.store.insertRequest({
      fileRequestId: randomUUID(),
      direction: 1,
      status: 2,
      statusReason: null,
      fileName: 'd.txt',
      fileSize: 5,
      sha256: room.library.get(d.fileId).sha256,
      fileId: d.fileId,
      peerId: null,
      peerDn: null,
      confId: 'feedfacefeedface@files.local#vcs',
      timestamp: Date.now(),
      hubId: randomUUID(),
      processed: 0,
      account: 'nobody@files.local',
    });
    const from = log.messages.length;
    const reply = await log.call('clearFileTransferHistory', { deleteFilesFromDisk: true });
    assert.equal(reply.result, true);
    const event = await log.event('fileTransferHistoryCleared', from);
    assert.ok(log.indexOf(event) > log.indexOf(reply));
    assert.deepEqual(event, { method: 'event', event: 'fileTransferHistoryCleared', removedFromDisk: true });
    assert.deepEqual((await api.call('getFileTransferHistory')).filesRequests, []);
    const kept = (await api.call('getFileList')).fileList.map((f) => f.fileId).sort();
    assert.deepEqual(kept, [c.fileId, d.fileId].sort());
    assert.deepEqual(listDir(room.files.filesDir), kept.map(String).sort());
    for (const id of [a.fileId, b.fileId]) {
      const response = await fetch(httpUrl(room, `/files/${id}`, token));
      assert.equal(response.status, 404);
      await response.arrayBuffer();
    }
  });
});
