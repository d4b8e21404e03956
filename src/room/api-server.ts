import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import { ApiConnection } from './api-connection.js';
import type { Dispatcher } from './dispatcher.js';
import type { OriginPolicy } from './origin-policy.js';
import type { Audience } from './room-events.js';
import { listen, closeServer } from '../common/net.js';
import { keepAlive } from '../common/heartbeat.js';
import { SerialQueue } from '../common/serial-queue.js';

/** The API's incoming message limit (room-api.md §1); larger frames close the connection with 1009. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Connections served per turn of the event loop when an event goes to many. */
const BROADCAST_SLICE = 100;
/** A client with this much unsent data gets no more progress events until it catches up. */
const CONGESTED_BYTES = 1 << 20;
const PROGRESS_EVENTS = new Set([
  'incomingFileRequestDownloadingProgress',
  'outgoingFileRequestUploadingProgress',
  'fileDownloadingProgress',
  'fileUploadingProgress',
]);

export interface ApiServerOptions {
  host: string;
  port: number;
  pingIntervalMs: number;
  origins: OriginPolicy;
  logger: Logger;
}

/** The WebSocket side of the Room API: upgrade on `/`, the Origin rule, keep-alive, one reply per frame. */
export class ApiServer {
  readonly connections = new Set<ApiConnection>();
  private readonly outbox: {
    text: string;
    droppable: boolean;
    audience: Audience;
    targets: ApiConnection[];
    next: number;
  }[] = [];
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private dispatcher: Dispatcher | undefined;
  port = 0;

  constructor(private readonly options: ApiServerOptions) {
    this.http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'application/json', upgrade: 'websocket' });
      res.end(JSON.stringify({ error: 'this port speaks the Room API over WebSocket', errorCode: 426 }));
    });
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.http.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  setDispatcher(dispatcher: Dispatcher): void {
    this.dispatcher = dispatcher;
  }

  async start(): Promise<void> {
    this.port = await listen(this.http, this.options.port, this.options.host);
  }

  async stop(): Promise<void> {
    for (const connection of this.connections) connection.socket.terminate();
    this.connections.clear();
    await closeServer(this.http);
  }

  /**
   * Sends an event to every authorized connection (room-api.md §2). With many connections the sends are spread
   * over several turns of the event loop (a slice at a time, events kept in order), so that a thousand clients
   * never stall the room's answers; a progress event skips a client that is not reading what it is sent.
   * `audience` narrows it to the connections that selected API version 2, or to those in legacy mode.
   */
  broadcast(message: object, audience: Audience = 'all'): void {
    const text = JSON.stringify(message);
    const droppable = PROGRESS_EVENTS.has((message as { event?: string }).event ?? '');
    if (this.outbox.length === 0 && this.connections.size <= BROADCAST_SLICE) {
      for (const connection of this.connections) this.deliver(connection, text, droppable, audience);
      return;
    }
    this.outbox.push({ text, droppable, audience, targets: [...this.connections], next: 0 });
    if (this.outbox.length === 1) setImmediate(() => this.pump());
  }

  /** Whether an authorized connection in legacy mode is open (room-api.md §10). */
  legacyListening(): boolean {
    for (const connection of this.connections)
      if (connection.authorized && connection.legacyMode) return true;
    return false;
  }

  private deliver(connection: ApiConnection, text: string, droppable: boolean, audience: Audience): void {
    const socket = connection.socket;
    if (!connection.authorized || socket.readyState !== socket.OPEN) return;
    if (audience !== 'all' && connection.legacyMode !== (audience === 'legacy')) return;
    if (droppable && socket.bufferedAmount > CONGESTED_BYTES) return;
    socket.send(text);
  }

  private pump(): void {
    let budget = BROADCAST_SLICE;
    while (budget > 0 && this.outbox.length > 0) {
      const item = this.outbox[0];
      while (budget > 0 && item.next < item.targets.length) {
        this.deliver(item.targets[item.next++], item.text, item.droppable, item.audience);
        budget -= 1;
      }
      if (item.next >= item.targets.length) this.outbox.shift();
    }
    if (this.outbox.length > 0) setImmediate(() => this.pump());
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node removes its own error listener from an upgraded socket: without one, a client that resets the
    // connection while we answer (ECONNRESET, EPIPE) would be an uncaught exception that stops the room.
    socket.on('error', (error) => this.options.logger.debug({ err: error }, 'API upgrade socket error'));
    const path = (req.url ?? '/').split('?')[0];
    const refuse = (status: number, reason: string) => {
      const body = JSON.stringify({ error: reason, errorCode: status });
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    };
    if (path !== '/') return refuse(404, 'Not Found');
    if (!this.options.origins.allows(req.headers.origin)) {
      this.options.logger.warn(
        { origin: req.headers.origin },
        'refused an API connection from a foreign origin',
      );
      return refuse(403, 'Forbidden');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req.socket.remoteAddress ?? 'unknown'));
  }

  private accept(ws: WebSocket, address: string): void {
    const connection = new ApiConnection(ws, address);
    this.connections.add(connection);
    // A peer that misses two pongs in a row is dropped (room-api.md §1).
    keepAlive(ws, this.options.pingIntervalMs, () => ws.terminate());
    // Replies go out in the order requests came in, even when a handler awaits: clients match by method name.
    const queue = new SerialQueue((error) => this.options.logger.error({ err: error }, 'API message failed'));
    ws.on('message', (data) => {
      // A binary frame is read as UTF-8 text too: lenient to clients that send JSON that way.
      const text = data.toString();
      queue.push(async () => {
        // Requests still queued when the connection closes are still dispatched (a client may send and leave;
        // the replies have nowhere to go), but `auth` checks `connection.closed` and authorizes nobody.
        if (!this.dispatcher) return;
        const { reply, after } = await this.dispatcher.dispatch(connection, text);
        connection.send(reply);
        const failed = (error: unknown) =>
          this.options.logger.error({ err: error }, 'after-reply step failed');
        for (const fn of after) {
          try {
            fn()?.catch(failed);
          } catch (error) {
            failed(error);
          }
        }
      });
    });
    ws.on('error', (error) => this.options.logger.debug({ err: error }, 'API connection error'));
    ws.on('close', () => {
      this.connections.delete(connection);
      connection.closed = true;
      connection.deauthorize();
    });
  }
}
