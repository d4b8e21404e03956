import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ApiServer } from './api-server.js';
import { AuthManager, type Protection } from './auth.js';
import { Dispatcher } from './dispatcher.js';
import { FileLibrary } from './file-library.js';
import { FileStore } from './file-store.js';
import { buildHttpServer, HARD_CONNECTION_CAP } from './http-server.js';
import { HttpSettings } from './http-settings.js';
import { HubLink } from './hub-link.js';
import type { HubTarget } from './hub-target.js';
import { OriginPolicy } from './origin-policy.js';
import { RoomEvents } from './room-events.js';
import { Session, type Credentials } from './session.js';
import { RoomStore } from './store.js';
import { buildWebServer } from './web-server.js';
import type { ApiConnection } from './api-connection.js';
import { handlers } from './handlers/index.js';
import { softwareName } from './version.js';
import { TransferEngine } from './transfers.js';
import { ConferenceState } from './conference.js';
import { routeLinkPushes } from './link-pushes.js';
import { legacyShapesOf } from './legacy-companions.js';
import { LegacyTracker } from './legacy-tracker.js';
import { MIN_INTERVAL_MS } from './progress.js';
import { systemClock, type Clock } from '../common/clock.js';
import { ROOM_DEFAULT_PORTS } from '../common/defaults.js';
import { createLogger } from '../common/logger.js';
import { isLoopback, listen } from '../common/net.js';

const GiB = 1024 ** 3;

export interface RoomOptions {
  /** Short name of the room (`alice`); used in logs and reported by getSettings. */
  name: string;
  dataDir: string;
  /** Bind address; loopback unless the room is protected or --insecure is given. */
  host?: string;
  webPort?: number;
  apiPort?: number;
  httpPort?: number;
  pin?: string;
  password?: string;
  insecure?: boolean;
  allowOrigins?: string[];
  singleClient?: boolean;
  /** Server to use when none is saved yet (a saved one from connectToServer wins). */
  server?: HubTarget;
  /** A certificate authority (PEM text) trusted for a TLS hub besides the system's (`--ca`, `ROOMFILES_CA`). */
  hubCa?: string;
  /** Send the account's password over a cleartext link to a hub on another machine (`--insecure-link`). */
  insecureLink?: boolean;
  /** Credentials to log in with when none are saved yet. */
  login?: Credentials;
  quotaBytes?: number;
  maxPostBytes?: number;
  /** Most bytes per second the room moves to or from the hub, in each transfer (unlimited when absent). */
  maxRateBytes?: number;
  clock?: Clock;
  logger?: Logger;
  pingIntervalMs?: number;
  linkHeartbeatMs?: number;
  webRoot?: string;
}

export { ROOM_DEFAULT_PORTS };

export class RoomStartError extends Error {}

/** One room: the Room API, the built-in HTTP server, the web port, and the link to a hub. */
export class Room {
  readonly name: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events = new RoomEvents();
  readonly store: RoomStore;
  readonly files: FileStore;
  readonly library: FileLibrary;
  readonly auth: AuthManager;
  readonly httpSettings: HttpSettings;
  readonly session: Session;
  readonly transfers: TransferEngine;
  readonly conference: ConferenceState;
  /** What the legacy shapes need besides the store (room-api.md §10). */
  readonly legacy: LegacyTracker;
  readonly instance: string;
  private readonly api: ApiServer;
  private readonly web: FastifyInstance;
  private http: FastifyInstance | null = null;
  /** The last start or stop of the HTTP server; the next one waits for it. */
  private httpTransition: Promise<unknown> = Promise.resolve();
  private readonly origins: OriginPolicy;
  private readonly host: string;
  private expiryTimer: NodeJS.Timeout | undefined;
  private unsubscribeClock: (() => void) | undefined;
  private stopRoutingPushes: (() => void) | undefined;
  webPort = 0;

  constructor(readonly options: RoomOptions) {
    this.name = options.name;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? createLogger('room')).child({ room: options.name });
    this.host = options.host ?? '127.0.0.1';
    const protection: Protection = options.pin
      ? { kind: 'pin', secret: options.pin }
      : options.password
        ? { kind: 'password', secret: options.password }
        : { kind: 'none' };
    if (protection.kind === 'none' && !isLoopback(this.host) && !options.insecure) {
      throw new RoomStartError(
        `refusing to listen on ${this.host} without a PIN or password: give --pin, --room-password or --insecure`,
      );
    }
    this.store = new RoomStore(options.dataDir);
    this.instance = this.store.get<string>('instance') ?? randomBytes(4).toString('hex');
    this.store.set('instance', this.instance);
    this.auth = new AuthManager(protection, this.clock);
    this.files = new FileStore(options.dataDir, this.store, this.clock);
    this.library = new FileLibrary(this.store, this.files, this.events);
    this.httpSettings = new HttpSettings(
      this.store,
      {
        httpServerPort: ROOM_DEFAULT_PORTS.http,
        httpServerConnectionsLimit: 64,
        httpServerMaxPostFileSizeInBytes: 4 * GiB,
      },
      {
        ...(options.httpPort !== undefined ? { httpServerPort: options.httpPort } : {}),
        ...(options.maxPostBytes !== undefined
          ? { httpServerMaxPostFileSizeInBytes: options.maxPostBytes }
          : {}),
      },
    );
    this.origins = new OriginPolicy(
      this.host,
      () => [this.webPort, this.api.port, this.httpPort],
      options.allowOrigins ?? [],
    );
    this.api = new ApiServer({
      host: this.host,
      port: options.apiPort ?? ROOM_DEFAULT_PORTS.api,
      pingIntervalMs: options.pingIntervalMs ?? 30_000,
      origins: this.origins,
      logger: this.logger,
    });
    this.events.setSink({
      send: (message, audience) => this.api.broadcast(message, audience),
      legacyListening: () => this.api.legacyListening(),
    });
    this.events.setLegacy(
      (message, hints) => legacyShapesOf(message, (id) => this.store.getRequest(id), hints),
      (error, event) =>
        this.logger.error({ err: error, event }, 'could not make the legacy events of an event'),
    );
    const link = new HubLink({
      room: this.name,
      instance: this.instance,
      software: softwareName(),
      logger: this.logger,
      heartbeatMs: options.linkHeartbeatMs,
      ca: options.hubCa,
    });
    this.session = new Session(this.store, this.events, this.logger, link, () => this.httpPort, {
      insecureLink: options.insecureLink,
    });
    this.transfers = new TransferEngine({
      store: this.store,
      events: this.events,
      session: this.session,
      library: this.library,
      files: this.files,
      clock: this.clock,
      logger: this.logger,
      quotaBytes: () => this.quotaBytes,
      progressIntervalMs: () => this.progressIntervalMs(),
      maxRateBytes: options.maxRateBytes,
      hubCa: options.hubCa,
    });
    this.conference = new ConferenceState(this.session, this.events, this.logger);
    this.legacy = new LegacyTracker(this);
    this.api.setDispatcher(
      new Dispatcher(
        handlers,
        (connection, afterReply) => ({ room: this, connection, afterReply }),
        this.logger,
      ),
    );
    this.web = buildWebServer({
      logger: this.logger,
      ports: () => ({ websocket: this.api.port, http: this.httpPort }),
      webRoot: options.webRoot,
    });
  }

  get apiPort(): number {
    return this.api.port;
  }

  get httpPort(): number {
    return this.httpSettings.applied.httpServerPort;
  }

  get httpServerRunning(): boolean {
    return this.http !== null;
  }

  get quotaBytes(): number {
    return this.options.quotaBytes ?? 20 * GiB;
  }

  /**
   * The least time between two progress events of one request: 100 ms (ten a second, room-api.md §9), longer
   * when many clients are connected, since every event goes to each of them (one second at a thousand).
   */
  progressIntervalMs(): number {
    return Math.min(1000, Math.max(MIN_INTERVAL_MS, this.api.connections.size));
  }

  get connections(): ReadonlySet<ApiConnection> {
    return this.api.connections;
  }

  async start(): Promise<void> {
    await this.web.ready();
    this.webPort = await listen(this.web.server, this.options.webPort ?? ROOM_DEFAULT_PORTS.web, this.host);
    await this.api.start();
    await this.startHttpServer();
    this.expiryTimer = setInterval(() => this.expireConnections(), 15_000);
    this.expiryTimer.unref();
    this.unsubscribeClock = this.clock.onAdvance(() => this.expireConnections());

    if (!this.session.server && this.options.server) this.store.set('server', this.options.server);
    if (!this.session.credentials && this.options.login) this.store.set('credentials', this.options.login);
    this.transfers.start();
    this.stopRoutingPushes = routeLinkPushes(this.session, {
      transfers: (push) => this.transfers.onPush(push),
      conference: (push) => this.conference.onPush(push),
    });
    this.session.resume();
    this.logger.info(
      { web: this.webPort, api: this.api.port, http: this.httpPort, host: this.host },
      'room listening',
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.expiryTimer);
    this.unsubscribeClock?.();
    this.stopRoutingPushes?.();
    this.transfers.stop();
    this.legacy.stop();
    this.session.stop();
    await this.api.stop();
    await this.stopHttpServer();
    await this.web.close();
    this.store.close();
  }

  /** Starts the built-in HTTP server with its pending settings; false when it was already running. */
  startHttpServer(): Promise<boolean> {
    return this.serializeHttp(() => this.doStartHttpServer());
  }

  /** Stops the built-in HTTP server, cutting uploads in flight; false when it was already stopped. */
  stopHttpServer(): Promise<boolean> {
    return this.serializeHttp(() => this.doStopHttpServer());
  }

  /**
   * Starts and stops run one at a time: two starts that overlap would otherwise both see no server and both
   * listen (a second server nobody closes), and a stop during a start would find nothing to stop.
   */
  private serializeHttp<T>(step: () => Promise<T>): Promise<T> {
    const result = this.httpTransition.then(step);
    this.httpTransition = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async doStartHttpServer(): Promise<boolean> {
    if (this.http) return false;
    this.httpSettings.applyPending();
    const app = buildHttpServer({
      host: this.host,
      auth: this.auth,
      files: this.files,
      library: this.library,
      origins: this.origins,
      logger: this.logger,
      maxPostBytes: () => this.httpSettings.applied.httpServerMaxPostFileSizeInBytes,
      quotaBytes: () => this.quotaBytes,
      connectionsLimit: () => this.httpSettings.applied.httpServerConnectionsLimit,
    });
    try {
      await app.ready();
      // The limit itself answers 503 (buildHttpServer); this only bounds sockets that never speak.
      app.server.maxConnections = Math.max(
        HARD_CONNECTION_CAP,
        4 * this.httpSettings.applied.httpServerConnectionsLimit,
      );
      const port = await listen(app.server, this.httpSettings.applied.httpServerPort, this.host);
      this.httpSettings.setBoundPort(port);
    } catch (error) {
      // A port in use (or any failure to listen) leaves the server stopped, not half-built.
      await app.close().catch(() => undefined);
      throw error;
    }
    this.http = app;
    return true;
  }

  private async doStopHttpServer(): Promise<boolean> {
    const app = this.http;
    if (!app) return false;
    this.http = null;
    app.server.closeAllConnections();
    await app.close();
    return true;
  }

  /** Called when a connection authorizes: with --single-client the older holder of that role is let go. */
  onAuthorized(connection: ApiConnection): void {
    if (!this.options.singleClient) return;
    for (const other of this.api.connections) {
      if (other !== connection && other.authorized && other.role === connection.role) {
        other.send({ method: 'event', event: 'authorizationNeeded', cause: 1 });
        other.deauthorize();
      }
    }
  }

  /** Connections whose token ran out get authorizationNeeded cause 8 and must authorize again. */
  private expireConnections(): void {
    const now = this.clock.now();
    for (const connection of this.api.connections) {
      if (connection.authorized && connection.tokenExpiresAt <= now) {
        connection.send({ method: 'event', event: 'authorizationNeeded', cause: 8 });
        connection.deauthorize();
      }
    }
  }

  /** Where bodies of this room live on disk (for operators and tests). */
  get dataDir(): string {
    return this.options.dataDir;
  }

  pathOfFile(fileId: number): string {
    return join(this.files.filesDir, String(fileId));
  }
}
