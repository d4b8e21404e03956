import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { Room } from '../../src/room/room.js';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { randomBody } from '../transfer/support.js';

/**
 * What TrueConf's Python library (`python-trueconf-room` 1.0.0) sends, replayed byte for byte: its key order,
 * Python's `json.dumps` separators (", " and ": "), no requestId, and the Origin header its WebSocket client sends.
 * Every reply and event must carry every key of the filter the library registers for it (room-api.md §10): a
 * handler of that library fires only when all of them are present.
 */

const bed = new TestBed();
after(() => bed.close());

type Message = Record<string, unknown>;

/**
 * The library's filters, as lists of keys. Events: its EVENT table. Replies: its METHOD_RESPONSE table for the
 * file methods, and for auth and the four calls it makes right after auth, the checks its own code makes on their
 * replies (auth: method, result and the tokenForHttpServer it reads; getAppState: appState; the others: method).
 */
const EVENT_FILTERS: Record<string, string[]> = {
  appStateChanged: ['appState'],
  inviteReceived: ['peerId', 'peerDn', 'type', 'confId', 'method'],
  newParticipantInConference: ['peerId', 'peerDn', 'confId', 'method'],
  receivedFileRequest: ['id', 'peerId', 'peerDn', 'fileName', 'confId', 'method'],
  fileSent: ['name', 'id', 'peerId', 'peerDn', 'fileId', 'confId', 'method'],
  fileConferenceSent: ['name', 'id', 'fileId', 'confId', 'method'],
  fileAccepted: ['id', 'confId', 'method'],
  fileRejected: ['id', 'confId', 'method'],
  fileStatus: ['id', 'status', 'directionType', 'confId', 'method'],
  fileDownloadingProgress: [
    'totalSize',
    'processedSize',
    'speed',
    'id',
    'status',
    'fileId',
    'fileName',
    'peerId',
    'peerDisplayName',
    'confId',
    'timestamp',
    'method',
  ],
  fileUploadingProgress: [
    'totalSize',
    'processedSize',
    'speed',
    'id',
    'status',
    'directionType',
    'fileName',
    'fileId',
    'peerId',
    'peerDisplayName',
    'confId',
    'timestamp',
    'method',
  ],
  fileTransferAvailable: ['available', 'method'],
  fileTransferCleared: ['method'],
  fileTransferFileDeleted: ['file', 'method'],
};

const REPLY_FILTERS: Record<string, string[]> = {
  auth: ['result', 'tokenForHttpServer'],
  getAppState: ['appState', 'result'],
  getSettings: [],
  getSystemInfo: [],
  getMonitorsInfo: [],
  createConference: ['result'],
  accept: [],
  sendFile: ['result'],
  sendConferenceFile: ['result'],
  acceptFile: ['result'],
  rejectFile: ['result'],
  getFileRequests: ['files', 'result'],
  getFileUploads: ['files', 'result'],
  getFileTransferInfo: ['files', 'result'],
  getFileInfo: [
    'id',
    'status',
    'directionType',
    'fileName',
    'fileId',
    'peerId',
    'peerDisplayName',
    'timestamp',
    'confId',
    'totalSize',
    'processedSize',
    'speed',
    'peersCount',
    'result',
  ],
  getFileList: ['fileList', 'result'],
  getFileTransferAvailability: ['available', 'result'],
  clearFileTransfer: ['result'],
  deleteFileTransferFile: ['result'],
};

/** The library's matching rule: every key present; a string value given in the filter equal, ignoring case. */
function assertFilter(message: Message, filter: Record<string, string | null>): void {
  for (const [key, value] of Object.entries(filter)) {
    assert.ok(
      key in message,
      `no "${key}" for the filter ${JSON.stringify(filter)}: ${JSON.stringify(message)}`,
    );
    if (value !== null) assert.equal(String(message[key]).toLowerCase(), value.toLowerCase());
  }
}

const eventFilter = (name: string) => ({
  event: name,
  ...Object.fromEntries(EVENT_FILTERS[name].map((k) => [k, k === 'method' ? 'event' : null])),
});
const replyFilter = (name: string) => ({
  method: name,
  ...Object.fromEntries(REPLY_FILTERS[name].map((k) => [k, null])),
});

/** A connection speaking as the Python library does: raw frames out, everything in kept in order. */
class PyWire {
  readonly log: Message[] = [];
  private readonly waiters = new Set<() => void>();
  private cursor = 0;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.log.push(JSON.parse(String(data)) as Message);
      for (const wake of [...this.waiters]) wake();
    });
  }

  static async open(room: Room): Promise<PyWire> {
    // websocket-client sends Origin: http://<host>:<port> of the URL it connects to.
    const ws = new WebSocket(`ws://127.0.0.1:${room.apiPort}`, {
      origin: `http://127.0.0.1:${room.apiPort}`,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    bed.defer(() => ws.terminate());
    return new PyWire(ws);
  }

  /** Sends one frame exactly as given. */
  send(frame: string): void {
    this.ws.send(frame);
  }

  /** The next reply to `method` (matched by name, as the library does), checked against its filter. */
  async reply(method: string): Promise<Message> {
    const reply = await this.next((m) => m.method === method, `reply to ${method}`);
    assert.equal(reply.requestId, '', 'no requestId was sent: the reply echoes ""');
    assertFilter(reply, replyFilter(method));
    assert.equal(reply.result, true, JSON.stringify(reply));
    return reply;
  }

  /** The next event of that name (after the last one taken), checked against the library's filter. */
  async event(name: string, predicate: (m: Message) => boolean = () => true): Promise<Message> {
    const event = await this.next((m) => m.method === 'event' && m.event === name && predicate(m), name);
    assertFilter(event, eventFilter(name));
    return event;
  }

  /** Every event of that name received so far. */
  all(name: string): Message[] {
    return this.log.filter((m) => m.method === 'event' && m.event === name);
  }

  private async next(match: (m: Message) => boolean, what: string): Promise<Message> {
    const find = () => {
      const index = this.log.findIndex((m, i) => i >= this.cursor && match(m));
      return index < 0 ? undefined : index;
    };
    const index = await waitFor(what, find, { wake: this.waiters, timeoutMs: 15_000 });
    this.cursor = index + 1;
    return this.log[index];
  }
}

/** What the library does on connecting: auth, then its four calls without waiting between them. */
async function session(room: Room): Promise<{ wire: PyWire; httpToken: string }> {
  const wire = await PyWire.open(room);
  wire.send('{"method": "auth", "type": "unsecured"}');
  const auth = await wire.reply('auth');
  wire.send('{"method": "getAppState"}');
  wire.send('{"method": "getSettings"}');
  wire.send('{"method": "getSystemInfo"}');
  wire.send('{"method": "getMonitorsInfo"}');
  assert.equal((await wire.reply('getAppState')).appState, 3);
  await wire.reply('getSettings');
  const info = await wire.reply('getSystemInfo');
  assert.ok((info.authInfo as { peerId?: string }).peerId, 'TrueConfID() reads authInfo.peerId');
  await wire.reply('getMonitorsInfo');
  return { wire, httpToken: String(auth.tokenForHttpServer) };
}

/** An upload as the library's users make it: multipart to the HTTP server with the token auth gave. */
async function uploadWith(room: Room, token: string, name: string, body: Buffer): Promise<number> {
  const form = new FormData();
  form.append('file', new Blob([body]), name);
  const response = await fetch(`http://127.0.0.1:${room.httpPort}/files/?token=${token}`, {
    method: 'POST',
    body: form,
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { fileId: number }).fileId;
}

test("python-trueconf-room's requests, byte for byte: every reply and event carries every key of its filters", async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const alice = await bed.room({ hub, as: 'alice', maxRateBytes: 2 * 1024 * 1024 });
  const bob = await bed.room({ hub, as: 'bob' });
  await loggedIn(alice);
  await loggedIn(bob);
  const a = await session(alice);
  const b = await session(bob);

  // sendFile, accepted with acceptFile.
  const body = randomBody(1024 * 1024 + 9);
  const fileId = await uploadWith(alice, a.httpToken, 'report.pdf', body);
  a.wire.send(`{"method": "sendFile", "fileId": ${fileId}, "peerId": "bob@files.local"}`);
  await a.wire.reply('sendFile');
  const fileSent = await a.wire.event('fileSent');
  assert.equal(fileSent.name, 'report.pdf');
  const offered = await b.wire.event('receivedFileRequest');
  assert.equal(offered.confId, null);
  b.wire.send(`{"method": "acceptFile", "id": ${String(offered.id)}}`);
  await b.wire.reply('acceptFile');
  await b.wire.event('fileAccepted', (m) => m.id === offered.id);
  await b.wire.event('fileStatus', (m) => m.status === 2);
  await b.wire.event('fileDownloadingProgress');
  const bDone = await b.wire.event('fileStatus', (m) => m.status === 3);
  assert.equal(bDone.id, offered.id);
  await a.wire.event('fileAccepted', (m) => m.id === fileSent.id);
  await a.wire.event('fileStatus', (m) => m.status === 2);
  await a.wire.event('fileUploadingProgress');
  await a.wire.event('fileStatus', (m) => m.status === 3);
  for (const progress of [...a.wire.all('fileUploadingProgress'), ...b.wire.all('fileDownloadingProgress')]) {
    assertFilter(progress, eventFilter(String(progress.event)));
  }

  // sendFile again, rejected with rejectFile.
  const otherId = await uploadWith(alice, a.httpToken, 'draft.txt', randomBody(500));
  a.wire.send(`{"method": "sendFile", "fileId": ${otherId}, "peerId": "bob@files.local"}`);
  await a.wire.reply('sendFile');
  const second = await a.wire.event('fileSent');
  const unwanted = await b.wire.event('receivedFileRequest');
  b.wire.send(`{"method": "rejectFile", "id": ${String(unwanted.id)}}`);
  await b.wire.reply('rejectFile');
  await b.wire.event('fileRejected', (m) => m.id === unwanted.id);
  await a.wire.event('fileRejected', (m) => m.id === second.id);
  await a.wire.event('fileStatus', (m) => m.id === second.id && m.status === 0);

  // The lists and the info.
  b.wire.send('{"method": "getFileRequests"}');
  assert.equal(((await b.wire.reply('getFileRequests')).files as unknown[]).length, 1);
  a.wire.send('{"method": "getFileUploads"}');
  assert.equal(((await a.wire.reply('getFileUploads')).files as unknown[]).length, 2);
  a.wire.send('{"method": "getFileTransferInfo"}');
  assert.equal(((await a.wire.reply('getFileTransferInfo')).files as unknown[]).length, 2);
  b.wire.send(`{"method": "getFileInfo", "id": ${String(offered.id)}}`);
  const info = await b.wire.reply('getFileInfo');
  assert.equal(info.status, 3);
  assert.ok(Number.isInteger(info.fileId), 'the received file, once complete');
  b.wire.send('{"method": "getFileList"}');
  assert.equal(((await b.wire.reply('getFileList')).fileList as unknown[]).length, 1);
  a.wire.send('{"method": "getFileTransferAvailability"}');
  assert.equal((await a.wire.reply('getFileTransferAvailability')).available, true);

  // A conference, then sendConferenceFile inside it.
  a.wire.send(
    '{"method": "createConference", "title": "Review", "confType": "symmetric", "autoAccept": true, "inviteList": ["bob@files.local"]}',
  );
  await a.wire.reply('createConference');
  await b.wire.event('inviteReceived');
  b.wire.send('{"method": "accept"}');
  await b.wire.reply('accept');
  await b.wire.event('appStateChanged', (m) => m.appState === 5);
  const joined = await a.wire.event('newParticipantInConference');
  a.wire.send(`{"method": "sendConferenceFile", "fileId": ${fileId}}`);
  await a.wire.reply('sendConferenceFile');
  const conferenceSent = await a.wire.event('fileConferenceSent');
  assert.equal(conferenceSent.confId, joined.confId);
  const toConference = await b.wire.event('receivedFileRequest');
  assert.equal(toConference.confId, joined.confId);

  // deleteFileTransferFile of a file the history names, then clearFileTransfer.
  b.wire.send(`{"method": "deleteFileTransferFile", "fileId": ${String(info.fileId)}}`);
  await b.wire.reply('deleteFileTransferFile');
  const deleted = await b.wire.event('fileTransferFileDeleted');
  assert.equal((deleted.file as { fileId: number }).fileId, info.fileId);
  a.wire.send('{"method": "clearFileTransfer"}');
  await a.wire.reply('clearFileTransfer');
  await a.wire.event('fileTransferCleared');
});
