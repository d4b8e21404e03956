import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { Hub } from '../../src/hub/hub.js';
import { Room } from '../../src/room/room.js';
import { silentLogger } from '../../src/common/logger.js';
import type { RoomConnection } from '../../src/client/index.js';
import { loggedIn, type TestBed } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { LINK_PATH, LINK_SUBPROTOCOL } from '../../src/protocol/hub-link.js';

/** Shared pieces of the transfer tests: uploads, a recorder of everything a connection receives, checks. */

export type Message = Record<string, unknown>;
export type Connection = RoomConnection & { tokenForHttpServer: string; token: string };

export const PROGRESS_EVENTS = new Set([
  'incomingFileRequestDownloadingProgress',
  'outgoingFileRequestUploadingProgress',
]);

interface Entry {
  at: number;
  /** `{event, ...fields}` for an event, `{reply, ...fields}` for a reply (method and requestId dropped). */
  message: Message;
}

/**
 * Everything one API connection receives, events and replies, in the order they arrived. Replies are taken from
 * the same stream as events (not from the resolved promise), so "the reply comes before the event" is checkable.
 */
export class Recorder {
  readonly entries: Entry[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(connection: RoomConnection) {
    const target = connection as unknown as { receive: (text: string) => void };
    const receive = target.receive.bind(connection);
    target.receive = (text: string) => {
      const raw = JSON.parse(text) as Message;
      const { method, requestId: _requestId, event, ...fields } = raw;
      const message: Message = method === 'event' ? { event, ...fields } : { reply: method, ...fields };
      this.entries.push({ at: performance.now(), message });
      for (const wake of [...this.waiters]) wake();
      receive(text);
    };
  }

  /** Events only (no replies), optionally since a mark. */
  events(since = 0): Message[] {
    return this.entries
      .slice(since)
      .map((e) => e.message)
      .filter((m) => m.event !== undefined);
  }

  mark(): number {
    return this.entries.length;
  }

  /**
   * The stream since `since` with the successful replies of `replies` kept (other replies dropped) and every run of progress
   * events folded into one `{event: <name>}` placeholder.
   */
  sequence(since = 0, replies: string[] = []): Message[] {
    const out: Message[] = [];
    for (const { message } of this.entries.slice(since)) {
      if (message.reply !== undefined) {
        if (replies.includes(String(message.reply)) && message.result === true) out.push(message);
        continue;
      }
      if (PROGRESS_EVENTS.has(String(message.event))) {
        const last = out[out.length - 1];
        if (last && last.event === message.event && Object.keys(last).length === 1) continue;
        out.push({ event: message.event });
        continue;
      }
      out.push(message);
    }
    return out;
  }

  /** Progress events of one request with their arrival time. */
  progress(fileRequestId: string, name: string): { at: number; message: Message }[] {
    return this.entries.filter((e) => e.message.event === name && e.message.fileRequestId === fileRequestId);
  }

  /** The first event (already received or still to come) that matches. */
  waitFor(
    event: string,
    predicate: (m: Message) => boolean = () => true,
    timeoutMs = 15_000,
    since = 0,
  ): Promise<Message> {
    const find = () =>
      this.entries.slice(since).find((e) => e.message.event === event && predicate(e.message))?.message;
    return waitFor(`"${event}" event`, find, { wake: this.waiters, timeoutMs });
  }

  /** The first matching event received since `mark`. */
  next(mark: number, event: string, predicate: (m: Message) => boolean = () => true): Promise<Message> {
    return this.waitFor(event, predicate, 15_000, mark);
  }

  /** Status events (fileRequestStatusChanged) of one request, in order. */
  statuses(fileRequestId: string): number[] {
    return this.events()
      .filter((m) => m.event === 'fileRequestStatusChanged' && m.fileRequestId === fileRequestId)
      .map((m) => m.status as number);
  }
}

export function randomBody(size: number): Buffer {
  return randomBytes(size);
}

export async function upload(room: Room, connection: Connection, fileName: string, body: Buffer) {
  const form = new FormData();
  form.append('file', new Blob([body]), fileName);
  const response = await fetch(
    `http://127.0.0.1:${room.httpPort}/files/?token=${connection.tokenForHttpServer}`,
    { method: 'POST', body: form },
  );
  const text = await response.text();
  assert.equal(response.status, 200, text);
  return JSON.parse(text) as { fileId: number; fileName: string; fileSize: number };
}

export async function download(room: Room, connection: Connection, fileId: number): Promise<Buffer> {
  const response = await fetch(
    `http://127.0.0.1:${room.httpPort}/files/${fileId}?token=${connection.tokenForHttpServer}`,
  );
  assert.equal(response.status, 200);
  return Buffer.from(await response.arrayBuffer());
}

/**
 * Calls a method that must fail; returns the errorCode, after checking the failure reply exactly as room-api.md §2
 * gives it: `{"method":<echo>,"requestId":<echo>,"result":false,"error":"…","errorCode":n}`. The reply itself is
 * checked, not the client's error object (which fills in errorCode 0 when the reply has none).
 */
export async function failure(
  connection: RoomConnection,
  method: string,
  params: Record<string, unknown> = {},
): Promise<number> {
  try {
    await connection.callRaw(method, params);
  } catch (error) {
    const reply = (error as { reply?: Message }).reply;
    assert.ok(reply, `${method} failed without a reply: ${String(error)}`);
    const shown = JSON.stringify(reply);
    assert.deepEqual(
      Object.keys(reply).sort(),
      ['error', 'errorCode', 'method', 'requestId', 'result'],
      `failure reply fields: ${shown}`,
    );
    assert.equal(reply.method, method, `the failure reply echoes the method: ${shown}`);
    assert.equal(typeof reply.requestId, 'string', `requestId: ${shown}`);
    assert.equal(reply.result, false, shown);
    assert.ok(typeof reply.error === 'string' && reply.error.trim() !== '', `error: ${shown}`);
    assert.ok(
      typeof reply.errorCode === 'number' &&
        [400, 401, 403, 404, 409, 413, 429, 500].includes(reply.errorCode),
      `errorCode from the §2 table: ${shown}`,
    );
    return reply.errorCode;
  }
  assert.fail(`${method} ${JSON.stringify(params)} succeeded; a failure was expected`);
}

/**
 * The checks every run of progress events must pass (room-api.md §9): fixed fields exactly as given, integer
 * percents rising one change at a time to exactly one 100 (the last), processedSize and speed carried and
 * consistent, and no more than about ten a second.
 */
export function checkProgress(
  runs: { at: number; message: Message }[],
  fixed: Message,
  fileSize: number,
): void {
  assert.ok(runs.length >= 1, 'no progress events');
  let previous = -1;
  for (const { message } of runs) {
    const { processedPercents, processedSize, speed, ...rest } = message;
    assert.deepEqual(rest, fixed);
    for (const [name, value] of Object.entries({ processedPercents, processedSize, speed })) {
      assert.ok(
        Number.isInteger(value) && (value as number) >= 0,
        `${name} is not an integer: ${String(value)}`,
      );
    }
    const percent = processedPercents as number;
    assert.ok(percent <= 100);
    assert.ok(percent > previous, `progress went from ${previous} to ${percent}`);
    previous = percent;
    assert.ok((processedSize as number) <= fileSize);
    assert.equal(percent, fileSize === 0 ? 100 : Math.floor(((processedSize as number) * 100) / fileSize));
  }
  const hundreds = runs.filter((r) => r.message.processedPercents === 100);
  assert.equal(hundreds.length, 1, 'exactly one progress event at 100');
  assert.equal(runs[runs.length - 1].message.processedPercents, 100, 'the 100 is the last one');
  const span = runs[runs.length - 1].at - runs[0].at;
  assert.ok(
    runs.length <= 3 + span / 100,
    `${runs.length} progress events in ${Math.round(span)} ms: more than ten a second`,
  );
}

/** A raw link to the hub, speaking the link protocol directly (for isolation tests). */
export class RawLink {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Message) => void>();
  readonly pushes: Message[] = [];

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as Message;
      if (typeof message.re === 'number') {
        this.pending.get(message.re)?.(message);
        this.pending.delete(message.re);
      } else this.pushes.push(message);
    });
  }

  static async open(bed: TestBed, hub: Hub): Promise<RawLink> {
    const socket = new WebSocket(`ws://127.0.0.1:${hub.port}${LINK_PATH}`, LINK_SUBPROTOCOL);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    bed.defer(() => socket.terminate());
    return new RawLink(socket);
  }

  request(op: string, args: Record<string, unknown> = {}): Promise<Message> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.socket.send(JSON.stringify({ id, op, ...args }));
    });
  }

  /** hello + login; resolves to the login reply (with the bearer `session`). */
  async login(name: string, instance = 'abcdef01'): Promise<Message> {
    const hello = await this.request('hello', { room: `raw-${name}`, instance, software: 'test' });
    assert.equal(hello.ok, true, JSON.stringify(hello));
    const login = await this.request('login', { login: name, password: `pw-${name}` });
    assert.equal(login.ok, true, JSON.stringify(login));
    return login;
  }
}

export interface Party {
  name: string;
  room: Room;
  conn: Connection;
  rec: Recorder;
  peerId: string;
  peerDn: string;
}

/**
 * A logged-in room per name, each with an authorized connection and a recorder attached. The connection selects
 * API version 2 unless `connectOptions` says otherwise.
 */
export async function parties(
  bed: TestBed,
  hub: Hub,
  names: string[],
  roomOptions: Partial<Parameters<TestBed['room']>[0]> = {},
  connectOptions: Parameters<TestBed['connect']>[1] = {},
): Promise<Party[]> {
  const out: Party[] = [];
  for (const name of names) {
    const room = await bed.room({ hub, as: name, ...roomOptions });
    await loggedIn(room);
    const conn = await bed.connect(room, connectOptions);
    out.push({
      name,
      room,
      conn,
      rec: new Recorder(conn),
      peerId: `${name}@${hub.domain}`,
      peerDn: name.charAt(0).toUpperCase() + name.slice(1),
    });
  }
  return out;
}

/**
 * Starts a room again on an existing data directory (it logs in by itself with its saved credentials). Its events
 * are watched in-process from before it starts, so none of the first ones is missed.
 */
export async function restartRoom(
  bed: TestBed,
  dataDir: string,
  name: string,
  options: Partial<ConstructorParameters<typeof Room>[0]> = {},
): Promise<{
  room: Room;
  seen: Message[];
  waitFor: (event: string, p?: (m: Message) => boolean) => Promise<Message>;
}> {
  const room = new Room({
    name,
    dataDir,
    webPort: 0,
    apiPort: 0,
    httpPort: 0,
    logger: silentLogger,
    ...options,
  });
  const seen: Message[] = [];
  const waiters = new Set<() => void>();
  room.events.onEvent((m) => {
    const { method: _method, ...rest } = m;
    seen.push(rest);
    for (const wake of [...waiters]) wake();
  });
  await room.start();
  bed.defer(() => room.stop().catch(() => undefined));
  const eventSeen = (event: string, predicate: (m: Message) => boolean = () => true) =>
    waitFor(`"${event}" event`, () => seen.find((m) => m.event === event && predicate(m)), {
      wake: waiters,
      timeoutMs: 15_000,
    });
  return { room, seen, waitFor: eventSeen };
}

/**
 * `from` offers its stored file to `to` with sendFile (by peerId or callId); resolves once `to` has the offer.
 * The marks are taken before the send, so everything the send caused on either side comes after them.
 */
export async function offerFile(
  from: Party,
  to: Party,
  fileId: number,
  target: { peerId: string } | { callId: string },
) {
  const aMark = from.rec.mark();
  const bMark = to.rec.mark();
  const { sentFileRequestId: sendId } = await from.conn.call('sendFile', { fileId, ...target });
  const received = await to.rec.waitFor('receivedFileRequest');
  return { aMark, bMark, sendId, received };
}
