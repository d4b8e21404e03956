import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Hub } from '../../src/hub/hub.js';
import type { Room } from '../../src/room/room.js';
import {
  RoomApiError,
  RoomClient,
  type EventMessage,
  type EventName,
  type RoomClientOptions,
} from '../../src/client/index.js';
import { loggedIn, type TestBed } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

/** Shared pieces of the SDK tests: clients closed with the bed, expected failures, small servers. */

export type Client = RoomClient;

/** A NodeRoomClient on a room's API port (unsecured unless credentials are given), closed with the bed. */
export async function clientOf(
  bed: TestBed,
  room: Room,
  options: Partial<RoomClientOptions> = {},
): Promise<RoomClient> {
  const client = await RoomClient.connect({ port: room.apiPort, ...options });
  bed.defer(() => client.close());
  return client;
}

/** Any RoomClient.connect, closed with the bed. */
export async function connectWith(bed: TestBed, options: RoomClientOptions): Promise<RoomClient> {
  const client = await RoomClient.connect(options);
  bed.defer(() => client.close());
  return client;
}

/** A hub with the accounts, and one logged-in room and connected client per name. */
export async function logged(
  bed: TestBed,
  names: string[],
  options: { hub?: Hub; accounts?: string[]; room?: Partial<Parameters<TestBed['room']>[0]> } = {},
): Promise<{ hub: Hub; rooms: Room[]; clients: RoomClient[] }> {
  const hub = options.hub ?? (await bed.hub({ accounts: options.accounts ?? names }));
  const rooms: Room[] = [];
  const clients: RoomClient[] = [];
  for (const name of names) {
    const room = await bed.room({ hub, as: name, ...options.room });
    await loggedIn(room);
    rooms.push(room);
    clients.push(await clientOf(bed, room));
  }
  return { hub, rooms, clients };
}

/** Awaits a promise that must reject with a RoomApiError of that method and code; returns the error. */
export async function apiError(
  promise: Promise<unknown>,
  method: string,
  errorCode: number,
  errorPattern?: RegExp,
): Promise<RoomApiError> {
  let failure: unknown;
  try {
    await promise;
  } catch (error) {
    failure = error;
  }
  assert.ok(failure !== undefined, `${method} succeeded; errorCode ${errorCode} was expected`);
  assert.ok(failure instanceof RoomApiError, `not a RoomApiError: ${String(failure)}`);
  assert.equal(failure.method, method);
  assert.equal(failure.errorCode, errorCode, failure.message);
  assert.equal(typeof failure.error, 'string');
  assert.ok(failure.error.length > 0);
  if (errorPattern) assert.match(failure.error, errorPattern);
  return failure;
}

/** Every event a client receives, in order, with a wait for one that came already or is still to come. */
export class EventLog {
  readonly events: EventMessage[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(client: RoomClient) {
    client.onAny((event) => {
      this.events.push(event);
      for (const wake of [...this.waiters]) wake();
    });
  }

  mark(): number {
    return this.events.length;
  }

  of<E extends EventName>(name: E, since = 0): EventMessage<E>[] {
    return this.events.slice(since).filter((e) => e.event === name) as unknown as EventMessage<E>[];
  }

  waitFor<E extends EventName>(
    name: E,
    predicate: (event: EventMessage<E>) => boolean = () => true,
    since = 0,
    timeoutMs = 15_000,
  ): Promise<EventMessage<E>> {
    return waitFor(`"${name}" event`, () => this.of(name, since).find(predicate), {
      wake: this.waiters,
      timeoutMs,
    });
  }
}

/**
 * A Room API look-alike on loopback: answers what `answer` returns for a request (nothing when undefined). The
 * `setUsedApiVersion` the SDK sends first on every connection is answered as a room does and kept apart, in
 * `versions`: `received` holds the rest.
 */
export async function fakeRoom(
  bed: TestBed,
  answer: (request: Record<string, unknown>, socket: WebSocket) => Record<string, unknown> | undefined,
): Promise<{
  port: number;
  received: Record<string, unknown>[];
  versions: unknown[];
  sockets: Set<WebSocket>;
}> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const received: Record<string, unknown>[] = [];
  const versions: unknown[] = [];
  const sockets = new Set<WebSocket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      if (message.method === 'setUsedApiVersion') {
        versions.push(message.version);
        socket.send(JSON.stringify({ method: message.method, requestId: message.requestId, result: true }));
        return;
      }
      received.push(message);
      const reply = answer(message, socket);
      if (reply)
        socket.send(JSON.stringify({ method: message.method, requestId: message.requestId, ...reply }));
    });
  });
  bed.defer(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.terminate();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, received, versions, sockets };
}

/** A successful auth reply for fake rooms. */
export const AUTH_OK = { previleges: 2, token: 't', tokenForHttpServer: 'h', resultCode: 0, result: true };

/** What a proxy in front of a room's HTTP server saw. */
export interface ProxyLog {
  requests: { method: string; url: string; range?: string; ifRange?: string; status?: number }[];
  /** Body bytes sent to the client, per request. */
  bodyBytes: number[];
}

/**
 * An HTTP proxy to a room's built-in HTTP server that counts what goes through. `cutAfter` (bytes of a response
 * body) makes it drop the connection midway through the first download, at the pace of `chunkDelayMs`.
 */
export async function countingProxy(
  bed: TestBed,
  targetPort: number,
  options: { cutAfter?: number } = {},
): Promise<{ port: number; log: ProxyLog; cut: Promise<void> }> {
  const log: ProxyLog = { requests: [], bodyBytes: [] };
  let cutDone!: () => void;
  const cut = new Promise<void>((resolve) => (cutDone = resolve));
  let cutUsed = false;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const entry: ProxyLog['requests'][number] = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      ...(req.headers.range ? { range: String(req.headers.range) } : {}),
      ...(req.headers['if-range'] ? { ifRange: String(req.headers['if-range']) } : {}),
    };
    const index = log.requests.push(entry) - 1;
    log.bodyBytes[index] = 0;
    const upstream = request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (response) => {
        entry.status = response.statusCode;
        res.writeHead(response.statusCode ?? 502, response.headers);
        const cutThis =
          options.cutAfter !== undefined && !cutUsed && req.method === 'GET' && response.statusCode === 200;
        if (cutThis) cutUsed = true;
        response.on('data', (chunk: Buffer) => {
          if (cutThis && log.bodyBytes[index] + chunk.length > options.cutAfter!) {
            const keep = options.cutAfter! - log.bodyBytes[index];
            log.bodyBytes[index] += keep;
            // Write what fits, then drop the connection once it is flushed: the client sees a body cut short.
            res.write(chunk.subarray(0, keep), () => {
              response.destroy();
              res.socket?.destroy();
              cutDone();
            });
            response.pause();
            return;
          }
          log.bodyBytes[index] += chunk.length;
          if (!res.write(chunk)) {
            response.pause();
            res.once('drain', () => response.resume());
          }
        });
        response.on('end', () => res.end());
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  bed.defer(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, log, cut };
}

/** A plain HTTP server answering config.json with the given ports (to see where a client takes them from). */
export async function configServer(bed: TestBed, websocket: number, http: number): Promise<number> {
  const server = createServer((req, res) => {
    if (req.url === '/public/default/config.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          config: { websocket: { hostname: null, port: websocket }, http: { hostname: null, port: http } },
        }),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  bed.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A file of the given bytes in a directory of the bed; returns its path. */
export async function fileWith(dir: string, name: string, body: Buffer | string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, body);
  return path;
}

/** `alice` creates a conference inviting bob, `bob` accepts; resolves to its confId once alice sees him join. */
export async function conferenceOfTwo(alice: RoomClient, bob: RoomClient): Promise<string> {
  const created = alice.waitFor('conferenceCreated', () => true, 10_000);
  const invited = bob.waitFor('inviteReceived', () => true, 10_000);
  await alice.createConference({ title: 'Files', confType: 'symmetric', inviteList: ['bob@files.local'] });
  const { confId } = await created;
  assert.equal((await invited).confId, confId);
  const joined = alice.waitFor('newParticipantInConference', (e) => e.confId === confId, 10_000);
  await bob.accept();
  await joined;
  return confId;
}
