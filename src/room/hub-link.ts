import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { Logger } from 'pino';
import {
  LINK_MAX_MESSAGE_BYTES,
  LINK_PATH,
  LINK_SUBPROTOCOL,
  type LinkArgs,
  type LinkErrorCode,
  type LinkOp,
  type LinkPush,
  type LinkResult,
} from '../protocol/hub-link.js';
import { checkLinkFailure, checkLinkPush, checkLinkReply, isLinkPush } from '../protocol/hub-link-checks.js';
import { describeTarget, hubUrl, isCertificateError, trustedCas, type HubTarget } from './hub-target.js';
import { Backoff } from '../common/backoff.js';
import { keepAlive, type Heartbeat } from '../common/heartbeat.js';

export type HelloResult = LinkResult<'hello'>;

export class LinkError extends Error {
  constructor(
    /** `bad_reply`: the hub answered with something the link table does not allow (it is not trusted). */
    readonly code: LinkErrorCode | 'disconnected' | 'timeout' | 'bad_reply',
    message: string,
  ) {
    super(message);
  }
}

/**
 * `parked`: the server answered hello, then the room closed the link because it has no login to offer (the hub
 * would close a link that does not log in anyway). Nothing is retried until `wake` (a login) or `connect`.
 */
export type LinkState = 'idle' | 'connecting' | 'open' | 'parked';

export type { HubTarget };

export interface HubLinkOptions {
  room: string;
  instance: string;
  software: string;
  logger: Logger;
  heartbeatMs?: number;
  requestTimeoutMs?: number;
  /** A certificate authority (PEM) trusted for a TLS hub besides the system's (`--ca`). */
  ca?: string;
}

interface Pending {
  op: LinkOp;
  resolve: (value: never) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The room's end of the link to its hub: one WebSocket, requests matched by id, pushes as events, and a
 * reconnect loop (1 s doubling to 30 s) that runs for as long as a target is set.
 *
 * Events: `connecting`, `open` (HelloResult, woke: boolean — true when a parked link came back), `close`
 * (wasOpen: boolean), `push` (LinkPush), `certificateRejected` (Error: the TLS certificate of the hub is not
 * trusted). Parking emits nothing: the room still counts the server as reachable.
 */
export class HubLink extends EventEmitter {
  state: LinkState = 'idle';
  target: HubTarget | null = null;
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly pushes: LinkPush[] = [];
  private readonly backoff = new Backoff();
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeat: Heartbeat | undefined;
  /** Bumped on every connect/disconnect so callbacks of an older socket are ignored. */
  private generation = 0;
  /** True from `wake` until that attempt opens or fails: the room shows the server as reachable meanwhile. */
  waking = false;

  constructor(private readonly options: HubLinkOptions) {
    super();
  }

  connect(target: HubTarget): void {
    this.disconnect();
    this.target = target;
    this.backoff.reset();
    this.attempt();
  }

  disconnect(): void {
    this.generation += 1;
    clearTimeout(this.retryTimer);
    this.waking = false;
    // A parked link counts as open to whoever listens: leaving it is leaving the server.
    if (this.state === 'parked') this.state = 'open';
    // The target is still set while `close` is emitted, so listeners can name the server that was left.
    this.dropSocket();
    this.target = null;
  }

  /**
   * Closes an open link that has nothing to do (no login to offer) without retrying: a room without credentials
   * keeps no link open, so it never meets the hub's login deadline and reconnects in a loop. `wake` opens it again.
   */
  park(): void {
    if (this.state !== 'open' || !this.socket) return;
    this.generation += 1;
    this.heartbeat?.stop();
    const socket = this.socket;
    this.socket = null;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new LinkError('disconnected', 'the link to the server was closed'));
      this.pending.delete(id);
    }
    socket.removeAllListeners();
    socket.on('error', () => undefined);
    socket.close(1000, 'no login yet');
    // A server that does not answer the close handshake does not keep the socket.
    setTimeout(() => socket.terminate(), 2000).unref();
    this.state = 'parked';
    this.options.logger.debug('no login to offer: link to the server closed until there is one');
  }

  /** Opens a parked link again (a login is on its way); `open` says `woke`, or `close` if the server is gone. */
  wake(): void {
    if (this.state !== 'parked') return;
    this.waking = true;
    this.backoff.reset();
    this.attempt();
  }

  /** Drops the current socket as if the link broke; the loop reconnects. Used when the hub stops answering. */
  private dropSocket(): void {
    this.heartbeat?.stop();
    const socket = this.socket;
    this.socket = null;
    const wasOpen = this.state === 'open';
    this.state = 'idle';
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new LinkError('disconnected', 'the link to the server was lost'));
      this.pending.delete(id);
    }
    if (socket) {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.terminate();
    }
    if (wasOpen) this.emit('close', true);
  }

  private attempt(): void {
    const target = this.target;
    if (!target) return;
    const generation = this.generation;
    this.state = 'connecting';
    this.emit('connecting');
    const cas = target.tls ? trustedCas(this.options.ca) : undefined;
    const socket = new WebSocket(hubUrl(target, 'link', LINK_PATH), LINK_SUBPROTOCOL, {
      handshakeTimeout: 5000,
      maxPayload: LINK_MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      ...(cas ? { ca: cas } : {}),
    });
    this.socket = socket;
    const fail = () => {
      if (generation !== this.generation || this.socket !== socket) return;
      const wasOpen = this.state === 'open';
      this.waking = false;
      this.dropSocket();
      if (!wasOpen) this.emit('close', false);
      this.scheduleRetry();
    };
    socket.on('error', (error) => {
      if (isCertificateError(error)) {
        // Not a passing network fault: the server is not who it should be (or not trusted yet). Said loudly,
        // and never retried without TLS; the loop keeps trying in case the certificate is fixed.
        this.options.logger.error(
          { server: describeTarget(target), err: error.message, code: (error as { code?: string }).code },
          'the TLS certificate of the server is not trusted: not connecting',
        );
        this.emit('certificateRejected', error);
      } else this.options.logger.debug({ err: error.message }, 'hub link error');
      fail();
    });
    socket.on('close', fail);
    socket.on('message', (data) => this.receive(data.toString()));
    const greet = async () => {
      try {
        const hello = await this.request('hello', {
          room: this.options.room,
          instance: this.options.instance,
          software: this.options.software,
        });
        if (generation !== this.generation) return;
        const woke = this.waking;
        this.waking = false;
        this.state = 'open';
        this.backoff.reset();
        this.startHeartbeat(socket);
        this.emit('open', hello, woke);
      } catch (error) {
        this.options.logger.warn({ err: (error as Error).message }, 'hub refused hello');
        fail();
      }
    };
    // greet() settles by itself (a refused hello ends in fail()): nothing is left to wait for it.
    socket.on('open', () => void greet());
  }

  private scheduleRetry(): void {
    if (!this.target) return;
    clearTimeout(this.retryTimer);
    const delay = this.backoff.next();
    this.retryTimer = setTimeout(() => this.attempt(), delay);
  }

  private startHeartbeat(socket: WebSocket): void {
    this.heartbeat = keepAlive(socket, this.options.heartbeatMs ?? 10_000, () => {
      this.options.logger.warn('hub stopped answering pings; reconnecting');
      this.dropSocket();
      this.scheduleRetry();
    });
  }

  private receive(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.options.logger.warn('hub sent malformed JSON');
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    const frame = parsed as { re?: unknown; ok?: unknown; push?: unknown; code?: string; message?: string };
    if (typeof frame.re === 'number') {
      const pending = this.pending.get(frame.re);
      if (!pending) return;
      this.pending.delete(frame.re);
      clearTimeout(pending.timer);
      const problem = frame.ok === true ? checkLinkReply(pending.op, frame) : checkLinkFailure(frame);
      if (problem) {
        this.options.logger.warn(
          { op: pending.op, problem },
          'hub sent a reply that breaks the link protocol',
        );
        pending.reject(
          new LinkError('bad_reply', `the server's reply to "${pending.op}" is invalid: ${problem}`),
        );
      } else if (frame.ok === true) pending.resolve(frame as never);
      else pending.reject(new LinkError(frame.code as LinkErrorCode, frame.message!));
    } else if (typeof frame.push === 'string') {
      const name = frame.push;
      const problem = isLinkPush(name) ? checkLinkPush(name, frame) : `unknown push "${name}"`;
      if (problem)
        this.options.logger.warn({ push: name, problem }, 'hub sent a push that breaks the link protocol');
      else this.queuePush(frame as LinkPush);
    }
  }

  /**
   * Pushes are handled on the next turn of the event loop, in order. Several frames can arrive in one read and
   * ws emits them back to back: a reply and the push that follows it (the recipient accepted at once) would
   * otherwise reach the push handler before the code awaiting the reply had recorded what the push is about.
   */
  private queuePush(push: LinkPush): void {
    this.pushes.push(push);
    if (this.pushes.length === 1) {
      setImmediate(() => {
        for (const queued of this.pushes.splice(0)) this.emit('push', queued);
      });
    }
  }

  request<O extends LinkOp>(op: O, args: LinkArgs<O>, timeoutMs?: number): Promise<LinkResult<O>> {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN || (this.state !== 'open' && op !== 'hello')) {
      return Promise.reject(new LinkError('disconnected', 'not connected to a server'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.pending.delete(id);
          reject(new LinkError('timeout', `the server did not answer "${op}" in time`));
        },
        timeoutMs ?? this.options.requestTimeoutMs ?? 15_000,
      );
      this.pending.set(id, { op, resolve: resolve, reject, timer });
      socket.send(JSON.stringify({ id, op, ...args }));
    });
  }
}
