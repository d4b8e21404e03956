import { methods, type MethodName, type MethodParams, type MethodReply } from '../protocol/methods.js';
import type { EventName } from '../protocol/events.js';
import {
  RoomConnection,
  type EventMessage,
  type WebSocketFactory,
} from './connection.js';
import { RoomApiError, RoomConnectionError } from './errors.js';

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
  timeoutMs?: number;
  /** Reconnect with backoff (1 s doubling to 30 s) and re-auth with the issued token (default true). */
  reconnect?: boolean;
  /** Time as the client sees it; tests inject a clock to cross token lifetimes. */
  clock?: { now(): number };
  /** How long an HTTP token lives (default 5 min, room-api.md §3.3); it is renewed at 80 % of that. */
  httpTokenLifetimeMs?: number;
  /** How sockets are made: the Node and browser entry points provide this. */
  createSocket?: WebSocketFactory;
  fetch?: typeof fetch;
}

export type Reply<M extends MethodName> = MethodReply<M> & { method: M; requestId: string; result: true };
export type ConnectionState = 'connected' | 'reconnecting' | 'closed';

/** One typed async method per Room API method, named as in the contract. */
export type RoomApiMethods = {
  [M in MethodName]: object extends MethodParams<M>
    ? (params?: MethodParams<M>, options?: CallOptions) => Promise<Reply<M>>
    : (params: MethodParams<M>, options?: CallOptions) => Promise<Reply<M>>;
};

type AnyListener = (event: EventMessage) => void;

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
    else throw new RoomConnectionError(`unsupported URL ${options.url}: use ws://host:apiPort or http://host:webPort`);
  }
  if (apiPort !== undefined) return { host, apiPort, httpPort: null };
  if (configPort === undefined) throw new RoomConnectionError('give the API port, the web port, or a URL');
  const doFetch = options.fetch ?? fetch;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  let config: { config?: { websocket?: { port?: unknown }; http?: { port?: unknown } } };
  try {
    const response = await doFetch(`http://${hostPart}:${configPort}/public/default/config.json`);
    config = (await response.json()) as typeof config;
  } catch (error) {
    throw new RoomConnectionError(`cannot read config.json from ${hostPart}:${configPort}: ${(error as Error).message}`);
  }
  const ws = Number(config.config?.websocket?.port);
  const http = Number(config.config?.http?.port);
  if (!Number.isInteger(ws) || ws <= 0) throw new RoomConnectionError('config.json has no WebSocket port');
  return { host, apiPort: ws, httpPort: Number.isInteger(http) && http > 0 ? http : null };
}

/**
 * A typed client of one room's API. Browser-safe (no Node-only imports): the Node entry point adds file
 * uploads and downloads from paths, the browser one from Blobs.
 */
export class RoomClient {
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
  private readonly listeners = new Map<string, Set<AnyListener>>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private closedByUser = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private renewTimer: ReturnType<typeof setInterval> | undefined;
  private renewing: Promise<string> | null = null;
  protected readonly options: RoomClientOptions;

  constructor(options: RoomClientOptions) {
    this.options = options;
  }

  /** Connects, authorizes and learns the HTTP port; resolves to a ready client. */
  static async connect<T extends RoomClient>(this: new (options: RoomClientOptions) => T, options: RoomClientOptions): Promise<T> {
    const client = new this(options);
    await client.open();
    return client;
  }

  private get clock() {
    return this.options.clock ?? { now: () => Date.now() };
  }

  protected async open(): Promise<void> {
    const endpoint = await resolveEndpoint(this.options);
    this.host = endpoint.host;
    this.apiPort = endpoint.apiPort;
    await this.attach(false);
    this.httpPort = endpoint.httpPort ?? (await this.getAppState()).embeddedHttpPort;
    this.renewTimer = setInterval(() => void this.httpToken().catch(() => undefined), 30_000);
    (this.renewTimer as { unref?: () => void }).unref?.();
  }

  /** Opens a connection and authorizes it: with the issued token when re-connecting, else the credentials. */
  private async attach(reconnecting: boolean): Promise<void> {
    const createSocket = this.options.createSocket;
    if (!createSocket) throw new RoomConnectionError('no WebSocket implementation: use the Node or browser entry point');
    const hostPart = this.host.includes(':') ? `[${this.host}]` : this.host;
    const connection = new RoomConnection({
      url: `ws://${hostPart}:${this.apiPort}/`,
      createSocket,
      timeoutMs: this.options.timeoutMs,
    });
    await connection.open();
    connection.onAny((event) => this.dispatch(event));
    connection.onClose(() => this.onClosed(connection));
    const secret = this.options.pin ?? this.options.password;
    const attempts: Record<string, unknown>[] = [];
    if (reconnecting && this.token) attempts.push({ type: 'secured', credentials: this.token });
    if (this.options.token && !reconnecting) attempts.push({ type: 'secured', credentials: this.options.token });
    if (secret !== undefined) attempts.push({ type: 'secured', credentials: secret });
    if (secret === undefined && !this.options.token) attempts.push({ type: 'unsecured' });
    let lastError: unknown = new RoomConnectionError('no way to authorize');
    for (const attempt of attempts) {
      try {
        const reply = (await connection.callRaw('auth', {
          ...attempt,
          ...(this.options.role ? { role: this.options.role } : {}),
        })) as unknown as Reply<'auth'>;
        this.connection = connection;
        this.token = reply.token;
        this.privileges = reply.previleges;
        this.setHttpToken(reply.tokenForHttpServer);
        return;
      } catch (error) {
        lastError = error;
        if (!(error instanceof RoomApiError) || error.errorCode === 429) break;
      }
    }
    connection.close();
    throw lastError;
  }

  private onClosed(connection: RoomConnection): void {
    if (this.connection !== connection) return;
    this.connection = null;
    if (this.closedByUser || this.options.reconnect === false) {
      this.setState('closed');
      return;
    }
    this.setState('reconnecting');
    let delay = 1000;
    const retry = () => {
      this.reconnectTimer = setTimeout(async () => {
        if (this.closedByUser) return;
        try {
          await this.attach(true);
          this.setState('connected');
        } catch {
          delay = Math.min(delay * 2, 30_000);
          retry();
        }
      }, delay);
    };
    retry();
  }

  private setState(state: ConnectionState): void {
    for (const listener of this.stateListeners) listener(state);
  }

  /** `connected` after a reconnect, `reconnecting` when the link dropped, `closed` at the end. */
  onConnectionState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  get connected(): boolean {
    return this.connection?.isOpen ?? false;
  }

  close(): void {
    this.closedByUser = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.renewTimer);
    this.connection?.close();
    this.connection = null;
    this.setState('closed');
  }

  /** Calls any Room API method by name; the typed methods (`client.sendFile(...)`) are this with types. */
  request<M extends MethodName>(method: M, params?: MethodParams<M>, options: CallOptions = {}): Promise<Reply<M>> {
    const connection = this.connection;
    if (!connection) return Promise.reject(new RoomConnectionError('not connected to the room'));
    return connection.call(method, params, options) as Promise<Reply<M>>;
  }

  // --- events --------------------------------------------------------------------------------------------

  private dispatch(event: EventMessage): void {
    // An expired token: authorize again (by reconnecting). Cause 1 means another client took the role: let it.
    if (event.event === 'authorizationNeeded' && (event as { cause?: number }).cause === 8) this.reauthorize();
    for (const name of [event.event, '*']) {
      for (const listener of this.listeners.get(name) ?? []) listener(event);
    }
  }

  /** The room asked this connection to authorize again (token expired): a fresh connection does it. */
  private reauthorize(): void {
    this.connection?.close();
  }

  on<E extends EventName>(event: E, listener: (event: EventMessage<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as unknown as AnyListener);
    return () => set.delete(listener as unknown as AnyListener);
  }

  /** Every event, whatever its name. */
  onAny(listener: (event: EventMessage) => void): () => void {
    return this.on('*' as EventName, listener as (event: EventMessage<EventName>) => void);
  }

  once<E extends EventName>(event: E, listener: (event: EventMessage<E>) => void): () => void {
    const off = this.on(event, (message) => {
      off();
      listener(message);
    });
    return off;
  }

  /** Resolves with the first event of that name satisfying the predicate (for scripts and tests). */
  waitFor<E extends EventName>(
    event: E,
    predicate: (event: EventMessage<E>) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<EventMessage<E>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new RoomConnectionError(`no "${event}" event within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.on(event, (message) => {
        if (!predicate(message)) return;
        clearTimeout(timer);
        off();
        resolve(message);
      });
    });
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

  /** The HTTP server's base URL, e.g. `http://127.0.0.1:8766`. */
  get httpBase(): string {
    const hostPart = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${hostPart}:${this.httpPort}`;
  }

  /** The download URL of a file (carries a token: it works for a few minutes). */
  async fileUrl(fileId: number): Promise<string> {
    return `${this.httpBase}/files/${fileId}?token=${encodeURIComponent(await this.httpToken())}`;
  }
}

// One typed method per Room API method, installed from the contract's own table.
export interface RoomClient extends RoomApiMethods {}
for (const name of Object.keys(methods) as MethodName[]) {
  Object.defineProperty(RoomClient.prototype, name, {
    value(this: RoomClient, params?: object, options?: CallOptions) {
      return this.request(name, params as never, options);
    },
    writable: true,
    configurable: true,
  });
}
