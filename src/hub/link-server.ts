import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createHash } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import {
  LINK_MAX_MESSAGE_BYTES,
  LINK_SUBPROTOCOL,
  type LinkOp,
  type LinkPushFields,
  type LinkPushName,
} from '../protocol/hub-link.js';
import { checkLinkArgs, checkLinkReply, isLinkOp } from '../protocol/hub-link-checks.js';
import { keepAlive } from '../common/heartbeat.js';
import { socketAddressOf, type ClientAddressOf } from '../common/trusted-proxy.js';
import { SerialQueue } from '../common/serial-queue.js';
import { LinkSession } from './link-session.js';
import { LinkOpError } from './link-op-error.js';
import { DatabaseUnavailableError } from './database-errors.js';
import type { BodyBearer, LinkOpHandler, LinkRegistry } from './link-registry.js';
import { HttpStatus } from './http-status.js';

const tokenKey = (token: string) => createHash('sha256').update(token).digest('base64');

type AnyHandler = (session: LinkSession, args: never) => Promise<object> | object;

/** What one link may cost the hub before it has proved who it is, and how much it may queue. */
export interface LinkLimits {
  /** A link that has not logged in within this is closed (default 10 s). */
  loginDeadlineMs: number;
  /** Frames received and not yet handled, per link: beyond it the hub stops reading the socket (back-pressure). */
  maxQueuedFrames: number;
  /** Links open and not logged in, in all: an upgrade beyond it is refused with 503. */
  maxPendingLinks: number;
  /** Largest frame a link may send before it has logged in (hello and login are small); beyond it: closed. */
  maxFrameBeforeLogin: number;
}

export const DEFAULT_LINK_LIMITS: LinkLimits = {
  loginDeadlineMs: 10_000,
  maxQueuedFrames: 8,
  maxPendingLinks: 256,
  maxFrameBeforeLogin: 16 * 1024,
};

/** The close code of a frame too large for a link that has not logged in (RFC 6455 §7.4.1). */
export const FRAME_TOO_BIG_CLOSE = 1009;

/** The close code of a link that did not log in in time (RFC 6455 §7.4.1: policy violation). */
export const LOGIN_DEADLINE_CLOSE = 1008;

/**
 * The hub's end of the room links held by this process: the version check on upgrade, one session per socket,
 * requests validated and dispatched by `op`, and the heartbeat that notices a room that vanished without closing.
 */
export class LinkServer implements LinkRegistry {
  readonly sessions = new Set<LinkSession>();
  private readonly byToken = new Map<string, LinkSession>();
  private readonly wss: WebSocketServer;
  private readonly handlers = new Map<LinkOp, AnyHandler>();

  constructor(
    private readonly logger: Logger,
    private readonly onClose: (session: LinkSession) => void,
    private readonly heartbeatMs = 10_000,
    readonly limits: LinkLimits = DEFAULT_LINK_LIMITS,
    /** Where an upgrade comes from: the peer, or what trusted proxies say (`--trust-proxy`). */
    private readonly addressOf: ClientAddressOf = socketAddressOf,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: LINK_MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (protocols) => (protocols.has(LINK_SUBPROTOCOL) ? LINK_SUBPROTOCOL : false),
    });
  }

  register<O extends LinkOp>(op: O, handler: LinkOpHandler<O>): void {
    this.handlers.set(op, handler);
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(LINK_SUBPROTOCOL)) {
      const status = HttpStatus.UpgradeRequired;
      const body = JSON.stringify({ error: `this hub speaks ${LINK_SUBPROTOCOL}`, errorCode: status });
      // A 426 names the protocol required (RFC 9110 §15.5.22); the version goes in the subprotocol header.
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Protocol: ${LINK_SUBPROTOCOL}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    let pending = 0;
    for (const session of this.sessions) if (!session.loggedIn) pending += 1;
    if (pending >= this.limits.maxPendingLinks) {
      const status = HttpStatus.ServiceUnavailable;
      const body = JSON.stringify({ error: 'too many links waiting to log in', errorCode: status });
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nRetry-After: 10\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    const address = this.addressOf(req);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, address));
  }

  sessionsOf(peerId: string): LinkSession[] {
    return [...this.sessions].filter((session) => session.peerId === peerId);
  }

  sessionByInstance(instanceId: string): LinkSession | undefined {
    for (const session of this.sessions) if (session.instanceId === instanceId) return session;
    return undefined;
  }

  /** Finds the logged-in session a body route's bearer token belongs to (looked up by its hash, not its value). */
  sessionByToken(token: string | undefined): LinkSession | undefined {
    if (!token) return undefined;
    const session = this.byToken.get(tokenKey(token));
    return session?.token === token ? session : undefined;
  }

  bearerOf(token: string | undefined): BodyBearer | undefined {
    const session = this.sessionByToken(token);
    if (!session?.account || !session.instanceId) return undefined;
    return { account: session.account.name, instanceId: session.instanceId };
  }

  /** Gives a session its bearer token (at login), or takes it away (null: logout, link closed). */
  setToken(session: LinkSession, token: string | null): void {
    if (session.token) this.byToken.delete(tokenKey(session.token));
    session.token = token;
    if (token) this.byToken.set(tokenKey(token), session);
  }

  pushTo<P extends LinkPushName>(
    peerId: string,
    name: P,
    fields: LinkPushFields<P>,
    except?: LinkSession,
  ): number {
    const sessions = this.sessionsOf(peerId).filter((session) => session !== except);
    for (const session of sessions) session.push(name, fields);
    return sessions.length;
  }

  /** Pushes to the room of this presence if this process holds its link; false when it does not. */
  pushToRoom<P extends LinkPushName>(instanceId: string, name: P, fields: LinkPushFields<P>): boolean {
    const session = this.sessionByInstance(instanceId);
    session?.push(name, fields);
    return session !== undefined;
  }

  close(): void {
    for (const session of this.sessions) session.socket.terminate();
    this.sessions.clear();
  }

  private accept(ws: WebSocket, address: string): void {
    const session = new LinkSession(ws, address);
    this.sessions.add(session);
    session.heartbeat = keepAlive(ws, this.heartbeatMs, () => ws.terminate());
    // A link that has not logged in within the deadline costs the hub nothing more.
    const deadline = setTimeout(() => {
      if (session.loggedIn) return;
      this.logger.info({ address, room: session.room }, 'link closed: no login within the deadline');
      ws.close(LOGIN_DEADLINE_CLOSE, 'log in first');
      // A peer that does not answer the close handshake is cut a moment later.
      setTimeout(() => ws.terminate(), 2000).unref();
    }, this.limits.loginDeadlineMs);
    deadline.unref();
    // Requests of one link are handled in order (docs/hub-protocol.md). Beyond a few queued, the hub stops reading
    // the socket until they are handled: the sender meets TCP back-pressure, the hub's memory stays flat.
    const queue = new SerialQueue((error) => this.logger.error({ err: error }, 'link message failed'));
    let paused = false;
    const handled = () => {
      if (paused && queue.length <= this.limits.maxQueuedFrames / 2) {
        paused = false;
        ws.resume();
      }
    };
    ws.on('message', (data: Buffer) => {
      if (!session.loggedIn && data.length > this.limits.maxFrameBeforeLogin) {
        ws.close(FRAME_TOO_BIG_CLOSE, 'log in first');
        ws.terminate();
        return;
      }
      queue.push(async () => {
        try {
          await this.receive(session, data.toString());
        } finally {
          // After this task has left the queue's count.
          setImmediate(handled);
        }
      });
      if (!paused && queue.length >= this.limits.maxQueuedFrames) {
        paused = true;
        ws.pause();
      }
    });
    ws.on('error', (error) => this.logger.debug({ err: error.message }, 'link socket error'));
    ws.on('close', () => {
      clearTimeout(deadline);
      this.sessions.delete(session);
      this.setToken(session, null);
      this.onClose(session);
    });
  }

  private async receive(session: LinkSession, text: string): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      session.send({ re: 0, ok: false, code: 'bad_request', message: 'malformed JSON' });
      return;
    }
    const fields = (typeof message === 'object' && message !== null ? message : {}) as Record<
      string,
      unknown
    >;
    const id = typeof fields.id === 'number' ? fields.id : 0;
    const op = typeof fields.op === 'string' ? fields.op : '';
    try {
      const handler = isLinkOp(op) ? this.handlers.get(op) : undefined;
      if (!isLinkOp(op) || !handler) throw new LinkOpError('bad_request', `unknown op "${op}"`);
      if (op !== 'hello' && session.instance === null)
        throw new LinkOpError('bad_request', 'send "hello" first');
      if (op !== 'hello' && op !== 'login' && !session.loggedIn) {
        throw new LinkOpError('unauthorized', `"${op}" needs a login`);
      }
      const problem = checkLinkArgs(op, fields);
      if (problem) throw new LinkOpError('bad_request', problem);
      const result = await handler(session, fields as never);
      // A reply that does not match the table is the hub's own bug: the room would refuse it anyway.
      const wrong = checkLinkReply(op, result);
      if (wrong) throw new Error(`reply to "${op}" does not match its schema: ${wrong}`);
      session.send({ re: id, ok: true, ...result });
    } catch (error) {
      if (error instanceof LinkOpError) {
        session.send({ re: id, ok: false, code: error.code, message: error.message });
      } else if (error instanceof DatabaseUnavailableError) {
        // Not the room's fault nor a bug: the room may try again (the details stay in the hub's log).
        this.logger.warn({ err: error.message, op }, 'link op failed: database unavailable');
        session.send({
          re: id,
          ok: false,
          code: 'internal',
          message: `${op} failed: the hub's database is unavailable, try again`,
        });
      } else {
        this.logger.error({ err: error, op }, 'link op failed');
        session.send({ re: id, ok: false, code: 'internal', message: `internal failure in ${op}` });
      }
    }
  }
}
