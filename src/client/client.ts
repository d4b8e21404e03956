import type { MethodName, MethodParams, MethodReply } from '../protocol/methods.js';
import { METHOD_NAMES } from '../protocol/method-names.js';
import { urlHost } from '../protocol/url-host.js';
import { RoomConnection, type EventMessage, type WebSocketFactory } from './connection.js';
import { RoomApiError, RoomConnectionError } from './errors.js';
import { EventRegistry } from './event-registry.js';

export interface CallOptions {
  /** Per-call timeout in milliseconds (default: the client's, 15 s). */
  timeoutMs?: number;
}

export interface RoomClientOptions {
  /** Host of the room (default 127.0.0.1). */
  host?: string;
  /** The Room API (WebSocket) port. */
  port?: number;
  /** The web port: the API and HTTP ports are discovered from its config.json. */
  configPort?: number;
  /** `ws://host:apiPort` or `http://host:webPort` (ports discovered), instead of host/port/configPort. */
  url?: string;
  pin?: string;
  password?: string;
  /** A token issued by an earlier `auth`. */
  token?: string;
  role?: 'admin' | 'user';
  /** Per-call timeout in milliseconds (default 15 s). */
  timeoutMs?: number;
  /** How long `connect` may take altogether, discovery and auth included (default 15 s). */
  connectTimeoutMs?: number;
  /** Reconnect with backoff (1 s doubling to 30 s) and re-auth with the issued token (default true). */
  reconnect?: boolean;
  /** Time as the client sees it; tests inject a clock to cross token lifetimes. */
  clock?: { now(): number };
  /** How long an HTTP token lives (default 5 min, room-api.md §3.3); it is renewed at 80 % of that. */
  httpTokenLifetimeMs?: number;
  /** How sockets are made: the Node and browser entry points provide this. */
  createSocket?: WebSocketFactory;
  fetch?: typeof fetch;
  /**
   * How config.json is fetched when `fetch` is not given (default: the global fetch). The Node entry point uses
   * node:http, which a command-line client starts faster with (fetch loads its whole HTTP stack on first use).
   */
  get?: (url: string) => Promise<{ json(): Promise<unknown> }>;
}

/** What every successful reply carries besides its own fields. */
export interface ReplyEnvelope<M extends MethodName> {
  method: M;
  /** The requestId the client sent: replies are matched to calls by it. */
  requestId: string;
  result: true;
}

/** The successful reply of a method: its fields (room-api.md) and the envelope. */
export type Reply<M extends MethodName> = MethodReply<M> & ReplyEnvelope<M>;
export type ConnectionState = 'connected' | 'reconnecting' | 'closed';

/**
 * One typed async method per Room API method, named as in the contract (room-api.md): each resolves to the
 * method's reply, or rejects with a {@link RoomApiError} `{ method, error, errorCode }` (a failure reply) or a
 * {@link RoomConnectionError} (no reply in time, or the connection closed).
 */
export type RoomApiMethods = {
  [M in MethodName]: object extends MethodParams<M>
    ? (params?: MethodParams<M>, options?: CallOptions) => Promise<MethodReply<M> & ReplyEnvelope<M>>
    : (params: MethodParams<M>, options?: CallOptions) => Promise<MethodReply<M> & ReplyEnvelope<M>>;
};

interface Endpoint {
  host: string;
  apiPort: number;
  httpPort: number | null;
}

/** Resolves where the room is: API port directly, or discovered from config.json on the web port. */
async function resolveEndpoint(options: RoomClientOptions): Promise<Endpoint> {
  let host = options.host ?? '127.0.0.1';
  let apiPort = options.port;
  let configPort = options.configPort;
  if (options.url) {
    const url = new URL(options.url);
    host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || (url.protocol === 'https:' || url.protocol === 'wss:' ? 443 : 80));
    if (url.protocol === 'ws:' || url.protocol === 'wss:') apiPort = port;
    else if (url.protocol === 'http:' || url.protocol === 'https:') configPort = port;
    else
      throw new RoomConnectionError(
        `unsupported URL ${options.url}: use ws://host:apiPort or http://host:webPort`,
        'usage',
      );
  }
  if (apiPort !== undefined) return { host, apiPort, httpPort: null };
  if (configPort === undefined) {
    throw new RoomConnectionError('give the API port, the web port, or a URL', 'usage');
  }
  const doFetch = options.fetch ?? options.get ?? fetch;
  const hostPart = urlHost(host);
  let config: { config?: { websocket?: { port?: unknown }; http?: { port?: unknown } } };
  let response: { json(): Promise<unknown> };
  try {
    response = await doFetch(`http://${hostPart}:${configPort}/public/default/config.json`);
  } catch (error) {
    throw new RoomConnectionError(
      `cannot reach ${hostPart}:${configPort}: ${(error as Error).message}`,
      'unreachable',
    );
  }
  try {
    config = (await response.json()) as typeof config;
  } catch (error) {
    throw new RoomConnectionError(
      `${hostPart}:${configPort} is not a room's web port (no config.json): ${(error as Error).message}`,
      'not-a-room',
    );
  }
  const ws = Number(config.config?.websocket?.port);
  const http = Number(config.config?.http?.port);
  if (!Number.isInteger(ws) || ws <= 0) {
    throw new RoomConnectionError('config.json has no WebSocket port', 'not-a-room');
  }
  return { host, apiPort: ws, httpPort: Number.isInteger(http) && http > 0 ? http : null };
}

/** The API version the SDK selects on every connection it opens. */
const API_VERSION = '2';

/** A one-shot latch that calls wait on, each within its own timeout. */
class Gate {
  private readonly promise: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: Error) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.promise.catch(() => undefined);
  }

  settle(error?: Error): void {
    if (error) this.reject(error);
    else this.resolve();
  }

  wait(timeoutMs: number, message: string): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RoomConnectionError(`${message} within ${timeoutMs} ms`, 'timeout')),
        timeoutMs,
      );
    });
    return Promise.race([this.promise, timeout]).finally(() => clearTimeout(timer));
  }
}

/**
 * A typed client of one room's API. Browser-safe (no Node-only imports): the Node entry point adds file
 * uploads and downloads from paths, the browser one from Blobs.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the typed methods, installed below
export class RoomClient extends EventRegistry {
  host = '127.0.0.1';
  apiPort = 0;
  httpPort = 0;
  /** The re-auth token issued by `auth`. */
  token = '';
  /** 2 admin, 1 user. */
  privileges = 0;
  private httpTokenValue = '';
  private httpTokenIssuedAt = 0;
  private connection: RoomConnection | null = null;
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private closedByUser = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private renewTimer: ReturnType<typeof setInterval> | undefined;
  private renewing: Promise<string> | null = null;
  /** Set while the client reconnects or authorizes again: calls made meanwhile wait for it. */
  private readyGate: Gate | null = null;
  private endpoint: Endpoint | null = null;
  private httpPortRefresh: Promise<void> | null = null;
  protected readonly options: RoomClientOptions;

  constructor(options: RoomClientOptions) {
    super(30_000);
    this.options = options;
  }

  /** Connects, authorizes and learns the HTTP port; resolves to a ready client. */
  static async connect<T extends RoomClient>(
    this: new (options: RoomClientOptions) => T,
    options: RoomClientOptions,
  ): Promise<T> {
    const client = new this(options);
    const limit = options.connectTimeoutMs ?? 15_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        client.close();
        reject(new RoomConnectionError(`could not connect to the room within ${limit} ms`, 'timeout'));
      }, limit);
    });
    try {
      await Promise.race([client.open(), timeout]);
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  private get clock() {
    return this.options.clock ?? { now: () => Date.now() };
  }

  protected async open(): Promise<void> {
    const endpoint = await resolveEndpoint(this.options);
    this.endpoint = endpoint;
    this.host = endpoint.host;
    this.apiPort = endpoint.apiPort;
    await this.attach(false);
    try {
      this.httpPort = endpoint.httpPort ?? (await this.getAppState()).embeddedHttpPort;
    } catch (error) {
      this.close();
      throw error;
    }
    this.renewTimer = setInterval(() => void this.httpToken().catch(() => undefined), 30_000);
    (this.renewTimer as { unref?: () => void }).unref?.();
  }

  /** The ways to authorize, in order: the issued token (while it may be valid), then the credentials. */
  private authAttempts(useToken: boolean): Record<string, unknown>[] {
    const secret = this.options.pin ?? this.options.password;
    const attempts: Record<string, unknown>[] = [];
    const token = this.token || this.options.token;
    if (useToken && token) attempts.push({ type: 'secured', credentials: token });
    if (secret !== undefined) attempts.push({ type: 'secured', credentials: secret });
    // An unprotected room: nothing else to offer (a room that wants credentials refuses it, as it should).
    if (secret === undefined && !this.options.token) attempts.push({ type: 'unsecured' });
    return attempts;
  }

  /** Authorizes an open connection with the first attempt the room accepts. */
  private async authorize(connection: RoomConnection, attempts: Record<string, unknown>[]): Promise<void> {
    let lastError: unknown = new RoomConnectionError(
      'no way to authorize: give a PIN, a password or a token',
    );
    for (const attempt of attempts) {
      try {
        const reply = (await connection.callRaw('auth', {
          ...attempt,
          ...(this.options.role ? { role: this.options.role } : {}),
        })) as unknown as Reply<'auth'>;
        this.token = reply.token;
        this.privileges = reply.previleges;
        this.setHttpToken(reply.tokenForHttpServer);
        return;
      } catch (error) {
        lastError = error;
        if (!(error instanceof RoomApiError) || error.errorCode === 429) break;
        // A token the room no longer knows (it restarted, or clearTokens): don't offer it again.
        if (attempt.credentials !== undefined && attempt.credentials === this.token) this.token = '';
      }
    }
    throw lastError;
  }

  /** Opens a connection and authorizes it: with the issued token when re-connecting, else the credentials. */
  private async attach(reconnecting: boolean): Promise<void> {
    const createSocket = this.options.createSocket;
    if (!createSocket) {
      throw new RoomConnectionError(
        'no WebSocket implementation: use the Node or browser entry point',
        'usage',
      );
    }
    const hostPart = urlHost(this.host);
    const connection = new RoomConnection({
      url: `ws://${hostPart}:${this.apiPort}/`,
      createSocket,
      timeoutMs: this.options.timeoutMs,
    });
    await connection.open();
    connection.onAny((event) => this.dispatch(connection, event));
    connection.onClose(() => this.onClosed(connection));
    try {
      // Version 2 of the API: the current names and shapes only, never the legacy ones (room-api.md §10).
      await connection.callRaw('setUsedApiVersion', { version: API_VERSION });
      await this.authorize(connection, this.authAttempts(reconnecting || this.options.token !== undefined));
    } catch (error) {
      connection.close();
      throw error;
    }
    if (this.closedByUser) {
      // close() was called while this connection was being made: it must not outlive the client.
      connection.close();
      throw new RoomConnectionError('the client was closed');
    }
    this.connection = connection;
  }

  private onClosed(connection: RoomConnection): void {
    if (this.connection !== connection) return;
    this.connection = null;
    if (this.closedByUser || this.options.reconnect === false) {
      this.setState('closed');
      return;
    }
    this.readyGate ??= new Gate();
    this.setState('reconnecting');
    let delay = 1000;
    const retry = () => {
      const attempt = async () => {
        if (this.closedByUser) return;
        try {
          await this.attach(true);
        } catch {
          if (this.closedByUser) return;
          delay = Math.min(delay * 2, 30_000);
          retry();
          return;
        }
        this.openGate();
        // The room may have come back with another HTTP port.
        this.refreshHttpPort();
        this.setState('connected');
      };
      // A failed attempt schedules the next one itself: nothing waits for it.
      this.reconnectTimer = setTimeout(() => void attempt(), delay);
    };
    retry();
  }

  private openGate(error?: Error): void {
    const gate = this.readyGate;
    this.readyGate = null;
    gate?.settle(error);
  }

  private setState(state: ConnectionState): void {
    for (const listener of [...this.stateListeners]) listener(state);
  }

  /** `connected` after a reconnect, `reconnecting` when the link dropped, `closed` at the end. */
  onConnectionState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  get connected(): boolean {
    return (this.connection?.isOpen ?? false) && this.readyGate === null;
  }

  /** Closes the connection and stops reconnecting; calls in flight or waiting reject. */
  close(): void {
    if (this.closedByUser) return;
    this.closedByUser = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.renewTimer);
    this.openGate(new RoomConnectionError('the client was closed'));
    this.connection?.close();
    this.connection = null;
    this.setState('closed');
  }

  /**
   * Calls any Room API method by name; the typed methods (`client.sendFile(...)`) are this with types. While the
   * client reconnects or authorizes again, the call waits for it (within its timeout) and is sent then.
   */
  async request<M extends MethodName>(
    method: M,
    params?: MethodParams<M>,
    options: CallOptions = {},
  ): Promise<Reply<M>> {
    if (this.closedByUser) throw new RoomConnectionError('the client is closed');
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 15_000;
    const started = Date.now();
    if (this.readyGate) await this.readyGate.wait(timeoutMs, `${method}: not connected to the room`);
    const connection = this.connection;
    if (!connection) throw new RoomConnectionError('not connected to the room');
    const left = Math.max(1, timeoutMs - (Date.now() - started));
    return await connection.call(method, params, { timeoutMs: left });
  }

  // --- events --------------------------------------------------------------------------------------------

  private dispatch(connection: RoomConnection, event: EventMessage): void {
    // An expired token: authorize again. Cause 1 means another client took the role: let it.
    if (event.event === 'authorizationNeeded' && (event as { cause?: number }).cause === 8) {
      this.reauthorize(connection);
    }
    // The HTTP server (re)started: it may listen on another port now.
    if (event.event === 'httpServerStateChanged' && (event as { state?: string }).state === 'running') {
      this.refreshHttpPort();
    }
    this.emitEvent(event);
  }

  /**
   * The room asked this connection to authorize again (its token expired): it is done on the same connection
   * with the credentials (the token is what expired); calls made meanwhile wait. Without credentials that work,
   * the connection is dropped and reconnecting takes over.
   */
  private reauthorize(connection: RoomConnection): void {
    if (connection !== this.connection || this.readyGate) return;
    this.readyGate = new Gate();
    this.token = '';
    this.authorize(connection, this.authAttempts(false)).then(
      () => this.openGate(),
      () => {
        // onClosed keeps the gate and reconnects.
        connection.close();
      },
    );
  }

  // --- the built-in HTTP server --------------------------------------------------------------------------

  private setHttpToken(token: string): void {
    this.httpTokenValue = token;
    this.httpTokenIssuedAt = this.clock.now();
  }

  /** A valid token for the built-in HTTP server, renewed before it expires. */
  async httpToken(force = false): Promise<string> {
    const lifetime = this.options.httpTokenLifetimeMs ?? 5 * 60_000;
    const fresh = this.clock.now() - this.httpTokenIssuedAt < lifetime * 0.8;
    if (!force && fresh && this.httpTokenValue) return this.httpTokenValue;
    this.renewing ??= this.getTokenForHttpServer()
      .then((reply) => {
        this.setHttpToken(reply.token);
        return reply.token;
      })
      .finally(() => {
        this.renewing = null;
      });
    return this.renewing;
  }

  /**
   * Learns the HTTP port again, where it was learnt first: config.json when the client was given the web port
   * (it may name a port other than the room's own, e.g. behind a proxy), else the room's getAppState.
   */
  private refreshHttpPort(): void {
    const refresh = (async () => {
      const port = this.endpoint?.httpPort
        ? (await resolveEndpoint(this.options)).httpPort
        : (await this.getAppState()).embeddedHttpPort;
      if (port && port > 0) this.httpPort = port;
    })().catch(() => undefined);
    const current = refresh.finally(() => {
      if (this.httpPortRefresh === current) this.httpPortRefresh = null;
    });
    this.httpPortRefresh = current;
  }

  /** The HTTP server's base URL once a refresh of its port in flight is done (uploads and downloads use it). */
  async httpBaseReady(): Promise<string> {
    while (this.httpPortRefresh) await this.httpPortRefresh;
    return this.httpBase;
  }

  /** The HTTP server's base URL, e.g. `http://127.0.0.1:8766`. */
  get httpBase(): string {
    const hostPart = urlHost(this.host);
    return `http://${hostPart}:${this.httpPort}`;
  }

  /** The download URL of a file (carries a token: it works for a few minutes). */
  async fileUrl(fileId: number): Promise<string> {
    const token = await this.httpToken();
    return `${await this.httpBaseReady()}/files/${fileId}?token=${encodeURIComponent(token)}`;
  }
}

// One typed method per Room API method, installed by name (the names only: the schemas stay unloaded).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging -- the typed methods
export interface RoomClient extends RoomApiMethods {}
for (const name of METHOD_NAMES) {
  Object.defineProperty(RoomClient.prototype, name, {
    value(this: RoomClient, params?: object, options?: CallOptions) {
      return this.request(name, params, options);
    },
    writable: true,
    configurable: true,
  });
}
