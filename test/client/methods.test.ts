import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { methods, type MethodName } from '../../src/protocol/methods.js';
import { RoomApiError, type RoomClient } from '../../src/client/index.js';
import type { Hub } from '../../src/hub/hub.js';
import type { Room } from '../../src/room/room.js';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { EventLog, apiError, clientOf, fileWith, logged } from './support.js';

/**
 * Every typed method of the SDK against real rooms and a real hub: its happy path, and its failure as a
 * RoomApiError { method, error, errorCode }. The last test checks that no method of the contract was left out.
 */

const bed = new TestBed();
after(() => bed.close());

const succeeded = new Set<string>();
const failed = new Set<string>();

/** Records which methods a client called, and how they ended (test bookkeeping around the real call). */
function track<C extends RoomClient>(client: C): C {
  const request = client.request.bind(client);
  client.request = ((method: MethodName, params?: never, options?: never) => {
    const call = request(method, params, options);
    call.then(
      () => succeeded.add(method),
      (error: unknown) => {
        if (error instanceof RoomApiError) failed.add(method);
      },
    );
    return call;
  }) as typeof client.request;
  return client;
}

let hub: Hub;
let aliceRoom: Room;
let alice: RoomClient;
let bob: RoomClient;
let aliceLog: EventLog;
let bobLog: EventLog;
let dir: string;

before(async () => {
  const made = await logged(bed, ['alice', 'bob'], { accounts: ['alice', 'bob', 'carol'] });
  hub = made.hub;
  aliceRoom = made.rooms[0];
  [alice, bob] = made.clients.map(track);
  aliceLog = new EventLog(alice);
  bobLog = new EventLog(bob);
  dir = bed.dir('methods-');
});

test('session: auth, setUsedApiVersion, getAppState, getSystemInfo, getSettings, getMonitorsInfo, getConnected, getLogin, getTokenForHttpServer', async () => {
  const auth = await alice.auth({ type: 'unsecured' });
  assert.equal(auth.previleges, 2);
  assert.equal(auth.result, true);
  assert.equal(auth.method, 'auth');
  assert.ok(auth.token && auth.tokenForHttpServer);

  assert.equal((await alice.setUsedApiVersion({ version: '1' })).result, true);
  assert.equal((await alice.setUsedApiVersion({ version: '2' })).result, true);
  await apiError(alice.setUsedApiVersion({ version: '9' }), 'setUsedApiVersion', 400, /version/);

  const state = await alice.getAppState();
  assert.equal(state.appState, 3);
  assert.equal(state.embeddedHttpPort, aliceRoom.httpPort);

  const info = await alice.getSystemInfo();
  assert.deepEqual(info.authInfo, { peerId: 'alice@files.local', peerDn: 'Alice' });
  assert.equal(typeof info.productInfo.major, 'number');

  const settings = await alice.getSettings();
  assert.ok(Array.isArray(settings.settings) && settings.settings.every((s) => typeof s.name === 'string'));
  assert.deepEqual((await alice.getMonitorsInfo()).monitors, []);

  const connected = await alice.getConnected();
  assert.equal(connected.state, 2);
  assert.equal(connected.serverInfo?.port, hub.port);
  assert.equal(connected.serverInfo?.domain, 'files.local');

  assert.deepEqual(
    { ...(await alice.getLogin()), method: undefined, requestId: undefined },
    {
      method: undefined,
      requestId: undefined,
      isLoggedIn: true,
      peerId: 'alice@files.local',
      peerDn: 'Alice',
      result: true,
    },
  );

  const { token } = await alice.getTokenForHttpServer();
  const list = await fetch(`${alice.httpBase}/files/?token=${encodeURIComponent(token)}`);
  assert.equal(list.status, 200);
  await list.arrayBuffer();

  // A wrong PIN through the typed auth of a connection that is authorized already.
  const pinRoom = await bed.room({ pin: '9999' });
  const pinClient = track(await clientOf(bed, pinRoom, { pin: '9999' }));
  await apiError(pinClient.auth({ type: 'secured', credentials: '1111' }), 'auth', 401);
});

test('server: connectToServer, login (its event), logout, and their failures', async () => {
  const room = await bed.room({ name: 'carol' });
  const carol = track(await clientOf(bed, room));
  const log = new EventLog(carol);
  assert.equal((await carol.getConnected()).state, 0);
  assert.equal((await carol.getLogin()).isLoggedIn, false);

  await apiError(carol.connectToServer({ server: '' }), 'connectToServer', 400, /server/);
  await apiError(
    carol.login({ login: 'carol' } as { login: string; password: string }),
    'login',
    400,
    /password/,
  );
  // No server yet: the reply is result:true, the login event says the server is unreachable (7).
  await carol.login({ login: 'carol', password: 'pw-carol' });
  assert.equal((await log.waitFor('login')).result, 7);
  const ok = await carol.connectToServer({ server: '127.0.0.1', port: hub.port });
  assert.equal(ok.result, true);
  const connected = await log.waitFor('serverConnected');
  assert.equal(connected.domain, 'files.local');
  assert.equal(connected.port, hub.port);
  await log.waitFor('appStateChanged', (e) => e.appState === 2);

  let mark = log.mark();
  await carol.login({ login: 'carol', password: 'wrong' });
  assert.equal((await log.waitFor('login', () => true, mark)).result, 3);

  mark = log.mark();
  await carol.login({ login: 'carol', password: 'pw-carol', encryptPassword: true });
  const login = await log.waitFor('login', () => true, mark);
  assert.equal(login.result, 0);
  assert.equal(login.peerId, 'carol@files.local');
  assert.equal((await carol.getLogin()).peerId, 'carol@files.local');

  mark = log.mark();
  assert.equal((await carol.logout()).result, true);
  assert.deepEqual(
    { ...(await log.waitFor('logout', () => true, mark)), method: undefined },
    { method: undefined, event: 'logout', result: 0, cause: 0 },
  );
  await log.waitFor('appStateChanged', (e) => e.appState === 2, mark);
  assert.equal((await carol.getLogin()).isLoggedIn, false);

  const user = track(await clientOf(bed, room, { role: 'user' }));
  await apiError(user.login({ login: 'carol', password: 'pw-carol' }), 'login', 403);
  await apiError(user.logout(), 'logout', 403);
  await apiError(user.connectToServer({ server: '127.0.0.1' }), 'connectToServer', 403);
  await apiError(user.clearTokens(), 'clearTokens', 403);
  await apiError(
    user.setHttpServerSettings({ settings: { httpServerMaxPostFileSizeInBytes: 10 } }),
    'setHttpServerSettings',
    403,
  );
  await apiError(user.startHttpServer(), 'startHttpServer', 403);
  await apiError(user.stopHttpServer(), 'stopHttpServer', 403);
});

test('HTTP server: settings, state, stop and start, clearTokens (the client renews the refused token)', async () => {
  const room = await bed.room({ pin: '8642' });
  const client = track(await clientOf(bed, room, { pin: '8642' }));
  const log = new EventLog(client);

  const settings = await client.getHttpServerSettings();
  assert.deepEqual(settings.settings[0], { name: 'httpServerPort', value: room.httpPort });
  assert.deepEqual(
    settings.settings.map((s) => s.name),
    ['httpServerPort', 'httpServerConnectionsLimit', 'httpServerMaxPostFileSizeInBytes'],
  );
  await client.setHttpServerSettings({ settings: { httpServerMaxPostFileSizeInBytes: 1024 } });
  const changed = await log.waitFor('httpServerSettingChanged');
  assert.equal(changed.name, 'httpServerMaxPostFileSizeInBytes');
  assert.equal(changed.value, 1024);
  await apiError(
    client.setHttpServerSettings({ settings: { httpServerConnectionsLimit: 0 } }),
    'setHttpServerSettings',
    400,
  );
  await apiError(client.upload(await fileWith(dir, 'big.bin', Buffer.alloc(4096))), 'upload', 413);

  assert.equal((await client.getHttpServerState()).state, 'running');
  await client.stopHttpServer();
  assert.equal((await log.waitFor('httpServerStateChanged')).state, 'stopped');
  assert.equal((await client.getHttpServerState()).state, 'stopped');
  await assert.rejects(client.upload(await fileWith(dir, 'small.txt', 'x')), /ECONNREFUSED/);
  const mark = log.mark();
  await client.startHttpServer();
  assert.equal((await log.waitFor('httpServerStateChanged', () => true, mark)).state, 'running');

  // clearTokens: the HTTP token the client holds is refused now, and the client gets a new one by itself.
  const old = await client.httpToken();
  assert.equal((await client.clearTokens()).result, true);
  assert.equal(await client.httpBaseReady(), `http://127.0.0.1:${room.httpPort}`);
  const refused = await fetch(`${client.httpBase}/files/?token=${encodeURIComponent(old)}`);
  assert.equal(refused.status, 401);
  await refused.arrayBuffer();
  const fileId = await client.upload(await fileWith(dir, 'after-clear.txt', 'still works'));
  assert.ok((await client.getFileList()).fileList.some((f) => f.fileId === fileId));
  assert.notEqual(await client.httpToken(), old);
  // …and the re-auth token is gone too.
  await apiError(clientOf(bed, room, { token: client.token }), 'auth', 401);
});

test('file transfer: upload, sendFile, lists, info, accept, history, delete, reject, clear', async () => {
  assert.equal((await alice.getFileTransferAvailability()).availability, 3);
  const body = 'the body of report.txt\n'.repeat(100);
  const fileId = await alice.upload(await fileWith(dir, 'report.txt', body));
  const listed = (await alice.getFileList()).fileList.find((f) => f.fileId === fileId);
  assert.equal(listed?.fileName, 'report.txt');
  assert.equal(listed?.fileSize, body.length);

  const offered = bobLog.waitFor('receivedFileRequest', (e) => e.fileName === 'report.txt');
  const sent = await alice.sendFile({ fileId, peerId: 'bob@files.local' });
  assert.match(sent.sentFileRequestId, /^[0-9a-f-]{36}$/);
  const id = sent.sentFileRequestId;
  const sentEvent = await aliceLog.waitFor('outgoingFileRequestSent', (e) => e.fileRequestId === id);
  assert.equal(sentEvent.peerId, 'bob@files.local');
  // Each room has its own ids: bob's incoming request is another id for the same offer.
  const incoming = await offered;
  const inId = incoming.fileRequestId;
  assert.equal(incoming.peerId, 'alice@files.local');
  assert.equal(incoming.fileSize, body.length);

  const outInfo = await alice.getFileRequestInfo({ fileRequestId: id });
  assert.equal(outInfo.directionType, 1);
  assert.equal(outInfo.status, 1);
  assert.equal(outInfo.fileSize, body.length);
  const inList = (await bob.getIncomingFilesRequests()).incomingFilesRequests.find(
    (r) => r.fileRequestId === inId,
  );
  assert.equal(inList?.size, body.length);
  assert.equal(inList?.status, 1);
  const outList = (await alice.getOutgoingFilesRequests()).outgoingFilesRequests.find(
    (r) => r.fileRequestId === id,
  );
  assert.equal(outList?.fileId, fileId);

  // The file is in use by a waiting transfer: it cannot be deleted.
  await apiError(alice.deleteFileTransferFile({ fileId }), 'deleteFileTransferFile', 409);

  const done = bobLog.waitFor('fileRequestStatusChanged', (e) => e.fileRequestId === inId && e.status === 3);
  assert.equal((await bob.acceptIncomingFileRequest({ fileRequestId: inId })).result, true);
  await apiError(bob.acceptIncomingFileRequest({ fileRequestId: inId }), 'acceptIncomingFileRequest', 409);
  const received = await done;
  assert.ok(received.fileId);
  await apiError(bob.rejectIncomingFileRequest({ fileRequestId: inId }), 'rejectIncomingFileRequest', 409);
  const inInfo = await bob.getFileRequestInfo({ fileRequestId: inId });
  assert.equal(inInfo.status, 3);
  assert.equal(inInfo.directionType, 0);
  assert.equal(inInfo.fileId, received.fileId);
  assert.ok((await bob.getFileTransferHistory()).filesRequests.some((h) => h.fileRequestId === inId));
  await aliceLog.waitFor('fileRequestStatusChanged', (e) => e.fileRequestId === id && e.status === 3);
  assert.ok((await alice.getFileTransferHistory()).filesRequests.some((h) => h.fileRequestId === id));

  const deleted = bobLog.waitFor('fileDeletedFromFileTransferHistory', (e) => e.fileRequestId === inId);
  assert.equal((await bob.deleteFileTransferFile({ fileId: received.fileId })).result, true);
  assert.equal((await deleted).removedFromDisk, true);
  await apiError(bob.deleteFileTransferFile({ fileId: received.fileId }), 'deleteFileTransferFile', 404);

  // A second offer, rejected.
  const second = await alice.sendFile({ fileId, callId: 'bob' });
  const secondId = second.sentFileRequestId;
  const secondIn = (await bobLog.waitFor('receivedFileRequest', (e) => e.fileRequestId !== inId))
    .fileRequestId;
  const failedStatus = aliceLog.waitFor(
    'fileRequestStatusChanged',
    (e) => e.fileRequestId === secondId && e.status === 0,
  );
  assert.equal((await bob.rejectIncomingFileRequest({ fileRequestId: secondIn })).result, true);
  assert.equal((await failedStatus).statusReason, 'rejected');
  await apiError(
    bob.rejectIncomingFileRequest({ fileRequestId: secondIn }),
    'rejectIncomingFileRequest',
    409,
  );

  const cleared = aliceLog.waitFor('fileTransferHistoryCleared');
  assert.equal((await alice.clearFileTransferHistory({ deleteFilesFromDisk: false })).result, true);
  assert.equal((await cleared).removedFromDisk, false);
  assert.deepEqual((await alice.getFileTransferHistory()).filesRequests, []);
  assert.ok((await alice.getFileList()).fileList.some((f) => f.fileId === fileId));
  await apiError(
    alice.clearFileTransferHistory({ deleteFilesFromDisk: 'yes' as unknown as boolean }),
    'clearFileTransferHistory',
    400,
  );
});

test('file transfer failures: unknown ids, unknown user, an InstanceId, outside a conference', async () => {
  const fileId = await alice.upload(await fileWith(dir, 'x.txt', 'x'));
  const unknownRequest = '00000000-0000-4000-8000-000000000000';
  await apiError(
    alice.getFileRequestInfo({ fileRequestId: unknownRequest }),
    'getFileRequestInfo',
    404,
    /00000000/,
  );
  await apiError(
    bob.acceptIncomingFileRequest({ fileRequestId: unknownRequest }),
    'acceptIncomingFileRequest',
    404,
  );
  await apiError(
    bob.rejectIncomingFileRequest({ fileRequestId: unknownRequest }),
    'rejectIncomingFileRequest',
    404,
  );
  await apiError(alice.sendFile({ fileId, peerId: 'nobody@files.local' }), 'sendFile', 404, /nobody/);
  await apiError(alice.sendFile({ fileId: 2 ** 31 - 7, peerId: 'bob@files.local' }), 'sendFile', 404);
  await apiError(alice.sendFile({ fileId, peerId: 'bob@files.local/0123abcd' }), 'sendFile', 400);
  await apiError(alice.sendFileToConference({ fileId }), 'sendFileToConference', 409);
  await apiError(alice.deleteFileTransferFile({ fileId: 2 ** 31 - 7 }), 'deleteFileTransferFile', 404);
  // A failure reply carries the reply itself too.
  const error = await apiError(
    alice.getFileRequestInfo({ fileRequestId: 'nope' }),
    'getFileRequestInfo',
    404,
  );
  assert.equal(error.reply.result, false);
  assert.equal(error.reply.errorCode, 404);
});

test('conferences: create, invite, accept, participants, send to it, hang up, reject, call, and their failures', async () => {
  await apiError(bob.accept(), 'accept', 409);
  await apiError(bob.reject(), 'reject', 409);
  await apiError(alice.hangUp({ forAll: false }), 'hangUp', 409);
  await apiError(alice.inviteToConference({ peerId: 'bob@files.local' }), 'inviteToConference', 409);
  await apiError(alice.call({ peerId: 'bob@files.local' }), 'call', 409, /createConference/);
  assert.deepEqual(
    { ...(await alice.getConferences()), requestId: undefined },
    { method: 'getConferences', requestId: undefined, result: true },
  );
  assert.deepEqual((await alice.getConferenceParticipants()).participants, []);

  let aMark = aliceLog.mark();
  let bMark = bobLog.mark();
  await alice.createConference({
    title: 'Review',
    confType: 'symmetric',
    inviteList: ['bob@files.local'],
    autoAccept: true,
  });
  const created = await aliceLog.waitFor('conferenceCreated', () => true, aMark);
  assert.equal(created.conferenceOwner, 'alice@files.local');
  const invite = await bobLog.waitFor('inviteReceived', (e) => e.confId === created.confId, bMark);
  assert.equal(invite.peerId, 'alice@files.local');
  await apiError(alice.createConference({ title: 'Another' }), 'createConference', 409);
  assert.equal((await bob.accept()).result, true);
  await bobLog.waitFor('conferenceCreated', (e) => e.confId === created.confId, bMark);
  await aliceLog.waitFor('newParticipantInConference', (e) => e.peerId.startsWith('bob@files.local/'), aMark);

  const conferences = await alice.getConferences();
  assert.equal(conferences.confId, created.confId);
  assert.equal(conferences.confTitle, 'Review');
  assert.equal(conferences.confType, 1);
  const participants = await alice.getConferenceParticipants();
  assert.equal(participants.confId, created.confId);
  assert.deepEqual(participants.participants.map((p) => p.role).sort(), [1, 2]);

  assert.equal((await alice.inviteToConference({ peerId: 'carol@files.local' })).result, true);
  await apiError(bob.inviteToConference({ peerId: 'carol@files.local' }), 'inviteToConference', 403);
  await apiError(alice.inviteToConference({ peerId: 'nobody@files.local' }), 'inviteToConference', 404);

  const fileId = await alice.upload(await fileWith(dir, 'slides.txt', 'slides'));
  const offered = bobLog.waitFor('receivedFileRequest', (e) => e.confId === created.confId, bMark);
  const sent = await alice.sendFileToConference({ fileId });
  assert.match(sent.sentFileRequestId, /^[0-9a-f-]{36}$/);
  const conferenceSent = await aliceLog.waitFor(
    'outgoingFileRequestSentToConference',
    (e) => e.fileRequestId === sent.sentFileRequestId,
    aMark,
  );
  assert.equal(conferenceSent.confId, created.confId);
  assert.equal((await offered).fileName, 'slides.txt');

  await apiError(bob.hangUp({ forAll: true }), 'hangUp', 403);
  bMark = bobLog.mark();
  assert.equal((await bob.hangUp({ forAll: false })).result, true);
  await bobLog.waitFor('conferenceDeleted', (e) => e.confId === created.confId, bMark);
  aMark = aliceLog.mark();
  assert.equal((await alice.hangUp({ forAll: true })).result, true);
  await aliceLog.waitFor('conferenceDeleted', (e) => e.confId === created.confId, aMark);

  // An invitation rejected: rejectSent on bob's side, rejectReceived on alice's.
  aMark = aliceLog.mark();
  bMark = bobLog.mark();
  await alice.createConference({ title: 'Second', inviteList: ['bob'] });
  const second = await aliceLog.waitFor('conferenceCreated', () => true, aMark);
  await bobLog.waitFor('inviteReceived', (e) => e.confId === second.confId, bMark);
  assert.equal((await bob.reject()).result, true);
  const rejectSent = await bobLog.waitFor('rejectSent', () => true, bMark);
  assert.equal(rejectSent.confId, second.confId);
  const rejectReceived = await aliceLog.waitFor('rejectReceived', () => true, aMark);
  assert.equal(rejectReceived.cause, 0);
  assert.equal(rejectReceived.peerId, 'bob@files.local');
  await alice.hangUp();

  // A named conference: call joins it; an unknown one is refused with rejectReceived cause 19.
  await hub.repo.addConference({ cid: 'demo', title: 'Demo', createdAt: Date.now() });
  aMark = aliceLog.mark();
  assert.equal((await alice.call({ peerId: '\\c\\nothing' })).result, true);
  assert.equal((await aliceLog.waitFor('rejectReceived', () => true, aMark)).cause, 19);
  assert.equal((await alice.call({ peerId: '\\c\\demo' })).result, true);
  const joined = await aliceLog.waitFor('conferenceCreated', () => true, aMark);
  assert.equal(joined.confTitle, 'Demo');
  assert.equal((await alice.getConferences()).id, 'demo');
  await alice.hangUp({ forAll: false });
  await aliceLog.waitFor('conferenceDeleted', (e) => e.confId === joined.confId, aMark);
  await apiError(alice.createConference({ title: 7 as unknown as string }), 'createConference', 400, /title/);
});

test('the legacy names through the typed client: acceptFile, rejectFile, sendConferenceFile, the lists, getFileInfo, clearFileTransfer', async () => {
  // The SDK selects version 2: its events keep the current shapes, so the legacy id comes from the lists.
  const fileId = await alice.upload(await fileWith(dir, 'legacy.txt', 'legacy names'));
  const idOf = async (fileRequestId: string) =>
    (await bob.getFileRequests()).files.find((f) => f.fileRequestId === fileRequestId)!.id;
  let bMark = bobLog.mark();
  await alice.sendFile({ fileId, peerId: 'bob@files.local' });
  const first = await bobLog.waitFor('receivedFileRequest', (e) => e.fileName === 'legacy.txt', bMark);
  assert.ok(!('id' in first), 'version 2: receivedFileRequest has no legacy id');
  const firstId = await idOf(first.fileRequestId);
  const done = bobLog.waitFor(
    'fileRequestStatusChanged',
    (e) => e.fileRequestId === first.fileRequestId && e.status === 3,
    bMark,
  );
  assert.equal((await bob.acceptFile({ id: firstId })).result, true);
  await done;
  await apiError(bob.acceptFile({ id: firstId }), 'acceptFile', 409);
  const info = await bob.getFileInfo({ id: String(firstId) });
  assert.equal(info.fileRequestId, first.fileRequestId);
  assert.equal(info.processedSize, info.totalSize);
  await apiError(bob.getFileInfo({ id: 987_654 }), 'getFileInfo', 404);

  bMark = bobLog.mark();
  await alice.sendFile({ fileId, peerId: 'bob@files.local' });
  const second = await bobLog.waitFor('receivedFileRequest', () => true, bMark);
  assert.equal((await bob.rejectFile({ id: await idOf(second.fileRequestId) })).result, true);
  await apiError(bob.rejectFile({ id: 987_654 }), 'rejectFile', 404);

  const uploads = (await alice.getFileUploads()).files;
  assert.ok(uploads.some((f) => f.fileId === fileId && f.status === 3));
  const both = (await bob.getFileTransferInfo()).files;
  assert.ok(both.some((f) => f.fileRequestId === first.fileRequestId));

  await apiError(alice.sendConferenceFile({ fileId }), 'sendConferenceFile', 409);
  const aMark = aliceLog.mark();
  bMark = bobLog.mark();
  await alice.createConference({ title: 'Legacy', inviteList: ['bob'] });
  await bobLog.waitFor('inviteReceived', () => true, bMark);
  await bob.accept();
  await aliceLog.waitFor('newParticipantInConference', () => true, aMark);
  const sent = await alice.sendConferenceFile({ fileId });
  assert.ok(Number.isInteger(sent.id) && sent.id > 0);
  assert.equal((await alice.getFileInfo({ id: sent.id })).fileRequestId, sent.sentFileRequestId);
  await alice.hangUp({ forAll: true });
  await aliceLog.waitFor('conferenceDeleted', () => true, aMark);

  const cleared = aliceLog.waitFor('fileTransferHistoryCleared', () => true, aMark);
  assert.equal((await alice.clearFileTransfer()).result, true);
  assert.equal((await cleared).removedFromDisk, false);
});

test('every method of the contract was called through the typed client, and each one that can fail failed', async () => {
  await loggedIn(aliceRoom);
  const every = Object.keys(methods).sort();
  assert.deepEqual(
    every.filter((m) => !succeeded.has(m)),
    [],
    'methods never called successfully through the typed client',
  );
  // Methods that cannot fail for an authorized connection (no parameters, allowed to both roles).
  const cannotFail = new Set([
    'getAppState',
    'getSystemInfo',
    'getSettings',
    'getMonitorsInfo',
    'getConnected',
    'getLogin',
    'getTokenForHttpServer',
    'getHttpServerSettings',
    'getHttpServerState',
    'getFileList',
    'getFileTransferAvailability',
    'getIncomingFilesRequests',
    'getOutgoingFilesRequests',
    'getFileTransferHistory',
    'getConferences',
    'getConferenceParticipants',
    // The legacy names without parameters (room-api.md §10).
    'getFileRequests',
    'getFileUploads',
    'getFileTransferInfo',
    'clearFileTransfer',
  ]);
  assert.deepEqual(
    every.filter((m) => !cannotFail.has(m) && !failed.has(m)),
    [],
    'methods whose failure was never seen through the typed client',
  );
});
