import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createHash } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import { Ajv, type ValidateFunction } from 'ajv';
import {
  LINK_MAX_MESSAGE_BYTES,
  LINK_SUBPROTOCOL,
  linkRequests,
  type LinkErrorCode,
  type LinkOp,
} from '../protocol/hub-link.js';
import { describeValidationError } from '../protocol/validate.js';
import { LinkSession } from './link-session.js';

const tokenKey = (token: string) => createHash('sha256').update(token).digest('base64');

export class LinkOpError extends Error {
  constructor(
    readonly code: LinkErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type LinkOpHandler = (session: LinkSession, args: Record<string, unknown>) => Promise<object> | object;

const ajv = new Ajv({ allErrors: false, strict: true });

/**
 * The hub's end of the room links: the version check on upgrade, one session per socket, requests validated
 * and dispatched by `op`, and the heartbeat that notices a room that vanished without closing.
 */
export class LinkServer {
  readonly sessions = new Set<LinkSession>();
  private readonly byToken = new Map<string, LinkSession>();
  private readonly wss: WebSocketServer;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly handlers = new Map<string, LinkOpHandler>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly onClose: (session: LinkSession) => void,
    heartbeatMs = 10_000,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: LINK_MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (protocols) => (protocols.has(LINK_SUBPROTOCOL) ? LINK_SUBPROTOCOL : false),
    });
    for (const [op, schema] of Object.entries(linkRequests)) this.validators.set(op, ajv.compile(schema));
    this.heartbeat = setInterval(() => this.keepAlive(), heartbeatMs);
    this.heartbeat.unref();
  }

  register(op: LinkOp, handler: LinkOpHandler): void {
    this.handlers.set(op, handler);
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(LINK_SUBPROTOCOL)) {
      const body = JSON.stringify({ error: `this hub speaks ${LINK_SUBPROTOCOL}`, errorCode: 426 });
      // A 426 names the protocol required (RFC 9110 §15.5.22); the version goes in the subprotocol header.
      socket.end(
        'HTTP/1.1 426 Upgrade Required\r\nConnection: close\r\nUpgrade: websocket\r\n' +
          `Sec-WebSocket-Protocol: ${LINK_SUBPROTOCOL}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req.socket.remoteAddress ?? 'unknown'));
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

  /** Gives a session its bearer token (at login), or takes it away (null: logout, link closed). */
  setToken(session: LinkSession, token: string | null): void {
    if (session.token) this.byToken.delete(tokenKey(session.token));
    session.token = token;
    if (token) this.byToken.set(tokenKey(token), session);
  }

  pushTo(peerId: string, name: string, fields: object): number {
    const sessions = this.sessionsOf(peerId);
    for (const session of sessions) session.push(name, fields);
    return sessions.length;
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const session of this.sessions) session.socket.terminate();
    this.sessions.clear();
  }

  private accept(ws: WebSocket, address: string): void {
    const session = new LinkSession(ws, address);
    this.sessions.add(session);
    ws.on('pong', () => {
      session.missedPongs = 0;
    });
    let queue = Promise.resolve();
    ws.on('message', (data) => {
      queue = queue.then(() => this.receive(session, data.toString()));
    });
    ws.on('error', (error) => this.logger.debug({ err: error.message }, 'link socket error'));
    ws.on('close', () => {
      this.sessions.delete(session);
      this.setToken(session, null);
      this.onClose(session);
    });
  }

  private async receive(session: LinkSession, text: string): Promise<void> {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text);
    } catch {
      session.send({ re: 0, ok: false, code: 'bad_request', message: 'malformed JSON' });
      return;
    }
    const id = typeof message?.id === 'number' ? message.id : 0;
    const op = typeof message?.op === 'string' ? message.op : '';
    try {
      const handler = this.handlers.get(op);
      const validate = this.validators.get(op);
      if (!handler || !validate) throw new LinkOpError('bad_request', `unknown op "${op}"`);
      if (op !== 'hello' && session.instance === null)
        throw new LinkOpError('bad_request', 'send "hello" first');
      if (op !== 'hello' && op !== 'login' && !session.loggedIn) {
        throw new LinkOpError('unauthorized', `"${op}" needs a login`);
      }
      if (!validate(message)) {
        throw new LinkOpError('bad_request', describeValidationError(validate.errors![0]));
      }
      const result = await handler(session, message);
      session.send({ re: id, ok: true, ...result });
    } catch (error) {
      if (error instanceof LinkOpError) {
        session.send({ re: id, ok: false, code: error.code, message: error.message });
      } else {
        this.logger.error({ err: error, op }, 'link op failed');
        session.send({ re: id, ok: false, code: 'internal', message: `internal failure in ${op}` });
      }
    }
  }

  private keepAlive(): void {
    for (const session of this.sessions) {
      if (session.missedPongs >= 2) {
        session.socket.terminate();
        continue;
      }
      session.missedPongs += 1;
      session.socket.ping();
    }
  }
}
