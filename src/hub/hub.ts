import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { join } from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { ServerOptions } from 'node:http';
import type { Logger } from 'pino';
import { createFastify } from '../common/fastify.js';
import { lingerBeforeClose } from '../common/lingering-close.js';
import { clientAddressOf } from '../common/trusted-proxy.js';
import { LINK_PATH } from '../protocol/hub-link.js';
import { systemClock, type Clock } from '../common/clock.js';
import { DEFAULT_HUB_PORT } from '../common/defaults.js';
import { createLogger } from '../common/logger.js';
import { listen } from '../common/net.js';
import { watchAccountChanges } from './account-watcher.js';
import { Accounts, DEFAULT_DOMAIN } from './accounts.js';
import { Bodies } from './bodies.js';
import type { BlobStore } from './blob-store.js';
import { BodyOwnership } from './body-ownership.js';
import { BodyNeeds } from './body-needs.js';
import { registerConferenceOps } from './conference-ops.js';
import { Conferences, type PresenceLease } from './conferences.js';
import { DatabaseProbe } from './database-probe.js';
import { DirectoryBlobStore } from './directory-blob-store.js';
import { HttpStatus } from './http-status.js';
import type { HubIdentity } from './hub-identity.js';
import { ClusterLinks } from './cluster-links.js';
import type { LinkRegistry } from './link-registry.js';
import { PostgresCluster } from './postgres-cluster.js';
import { PostgresHubRepository } from './postgres-repository.js';
import { DEFAULT_LINK_LIMITS, LinkServer, type LinkLimits } from './link-server.js';
import { BodySlots, type BodySlotLimits } from './body-slots.js';
import { Quotas } from './quotas.js';
import { StaleUploads } from './stale-uploads.js';
import type { LinkSession } from './link-session.js';
import { Logins } from './logins.js';
import { LoginLimiter, defaultLoginLimits, type LoginLimitSettings } from './login-limits.js';
import { OfferExpiry } from './offer-expiry.js';
import { registerOfferOps } from './offer-ops.js';
import { OfferViews } from './offer-views.js';
import { openHubRepository } from './open-repository.js';
import { Offers } from './offers.js';
import { registerRelay } from './relay.js';
import type { HubRepository, StopWatching } from './repository.js';
import { registerSessionOps } from './session-ops.js';
import { HubStats } from './stats.js';
import { registerStatusRoutes } from './status-routes.js';
import { UploadOutcomes } from './upload-outcomes.js';

export { DEFAULT_HUB_PORT };
const DAY = 24 * 60 * 60_000;

export interface HubOptions {
  dataDir: string;
  host?: string;
  port?: number;
  domain?: string;
  /** A repository to use instead of the SQLite file under dataDir (PostgreSQL). */
  repository?: HubRepository;
  /** `postgres://…`: the hub's rows in that PostgreSQL database instead of hub.db under dataDir (--db). */
  db?: string;
  /** A blob store to use instead of the directory under dataDir (S3: made by `openBlobStore`, blob-store-config.ts). */
  blobStore?: BlobStore;
  clock?: Clock;
  logger?: Logger;
  /** How long an offer waits for its recipient (default 7 days). */
  offerTtlMs?: number;
  /** Largest file the hub relays (default 64 GiB). */
  maxFileSize?: number;
  heartbeatMs?: number;
  /** The bearer token GET /stats and GET /metrics require; without one they answer 404. */
  metricsToken?: string;
  /** Serve the link and the body routes over TLS (HTTPS/WSS) with this certificate chain and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** How long failed logins count towards a lock (default 10 minutes). */
  loginLockWindowMs?: number;
  /** The login limits in full (tests); `loginLockWindowMs` sets the window of the defaults. */
  loginLimits?: LoginLimitSettings;
  /** Login deadline, queued frames and links waiting to log in (default DEFAULT_LINK_LIMITS). */
  linkLimits?: Partial<LinkLimits>;
  /** Concurrent body GETs and PATCHes per link and per account (default DEFAULT_BODY_SLOTS). */
  bodySlots?: BodySlotLimits;
  /** A request whose headers have not all arrived after this is cut (default 10 s). */
  headersTimeoutMs?: number;
  /** A connection on which nothing moves for this long is cut, body transfers included (default 60 s). */
  idleTimeoutMs?: number;
  /** A partial upload with no new byte for this long is removed and its send fails (default 24 h). */
  partialIdleMs?: number;
  /**
   * Reverse proxies whose `X-Forwarded-For` is believed (addresses, CIDR ranges; `--trust-proxy`): the source
   * address of the login limits and the logs. Default: none, the header is ignored.
   */
  trustProxy?: string[];
  /** How often conference presence is renewed, and when a room not renewed is gone (default 5 s / 20 s). */
  presenceLease?: PresenceLease;
}

const HEADERS_TIMEOUT_MS = 10_000;
const IDLE_TIMEOUT_MS = 60_000;

/**
 * The hub: accounts, presence, conferences, offers, and the relay of file bodies between rooms. This class is the
 * composition root: it makes the parts, hands each the others it needs, and starts and stops them; no part
 * knows it (docs/architecture.md describes the parts and who uses whom).
 */
export class Hub {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly repo: HubRepository;
  readonly accounts: Accounts;
  /** The links this process holds. */
  readonly links: LinkServer;
  /** Where the parts push and check tokens: `links`, or every process's links when on PostgreSQL. */
  readonly registry: LinkRegistry;
  /** What this process shares with the other hub processes on the same PostgreSQL database; null on SQLite. */
  readonly cluster: PostgresCluster | null;
  readonly stats = new HubStats();
  readonly hubId = randomBytes(6).toString('hex');
  readonly app: FastifyInstance;
  readonly bodies: Bodies;
  readonly blobStore: BlobStore;
  readonly logins: Logins;
  readonly loginLimiter: LoginLimiter;
  readonly staleUploads: StaleUploads;
  readonly conferences: Conferences;
  readonly offers: Offers;
  readonly expiry: OfferExpiry;
  readonly offerTtlMs: number;
  readonly maxFileSize: number;
  private readonly host: string;
  private stopWatchingAccounts: StopWatching = () => undefined;
  port = 0;

  constructor(readonly options: HubOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? createLogger('hub')).child({ part: 'hub' });
    this.host = options.host ?? '127.0.0.1';
    this.offerTtlMs = options.offerTtlMs ?? 7 * DAY;
    this.maxFileSize = options.maxFileSize ?? 64 * 1024 ** 3;
    const { clock, logger, stats } = this;

    const repo = (this.repo =
      options.repository ?? openHubRepository({ db: options.db, dataDir: options.dataDir, logger }));
    // Several hub processes on one PostgreSQL database share pushes, tokens, login failures and jobs through it.
    const cluster = (this.cluster =
      repo instanceof PostgresHubRepository
        ? new PostgresCluster({ url: repo.url, process: this.hubId, ready: () => repo.ready(), logger })
        : null);
    const loginLimits = options.loginLimits ?? defaultLoginLimits(options.loginLockWindowMs);
    const accounts = (this.accounts = new Accounts(
      repo,
      options.domain ?? DEFAULT_DOMAIN,
      clock,
      cluster?.loginFailures,
      loginLimits.windowMs,
    ));
    this.loginLimiter = new LoginLimiter(clock, loginLimits);
    const linkServer = (this.links = new LinkServer(
      logger,
      (session) => this.onLinkClosed(session),
      options.heartbeatMs,
      { ...DEFAULT_LINK_LIMITS, ...options.linkLimits },
      clientAddressOf(options.trustProxy ?? []),
    ));
    const links: LinkRegistry = (this.registry = cluster
      ? new ClusterLinks(linkServer, cluster, logger)
      : linkServer);
    const blobStore: BlobStore = (this.blobStore =
      options.blobStore ?? new DirectoryBlobStore(join(options.dataDir, 'blobs')));
    const bodies = (this.bodies = new Bodies(blobStore, cluster?.uploadLocks, cluster?.bodyUses));
    if (cluster) bodies.signals.relay = (event) => cluster.publishBody(event);
    const conferences = (this.conferences = new Conferences({
      repo,
      accounts,
      links,
      process: this.hubId,
      logger,
      lease: options.presenceLease,
      alone: cluster === null,
    }));
    const logins = (this.logins = new Logins(repo, accounts, links, conferences));
    const ownership = new BodyOwnership(repo, bodies);
    const views = new OfferViews(repo, ownership, accounts, links);
    const needs = new BodyNeeds(repo, bodies);
    const outcomes = new UploadOutcomes(repo, views, needs, clock);
    const limits = { offerTtlMs: this.offerTtlMs, maxFileSize: this.maxFileSize };
    this.offers = new Offers({ repo, ownership, accounts, links, conferences, views, needs, clock, limits });
    this.expiry = new OfferExpiry({
      repo,
      views,
      needs,
      clock,
      logger,
      offerTtlMs: this.offerTtlMs,
      claim: cluster ? (everyMs) => cluster.claim('offer-expiry', everyMs) : undefined,
    });

    const identity: HubIdentity = { domain: accounts.domain, hubId: this.hubId };
    registerSessionOps(links, { identity, accounts, logins, logger, limiter: this.loginLimiter });
    registerOfferOps(links, this.offers);
    registerConferenceOps(links, conferences);

    // Bodies may take hours, so no whole-request timeout; but headers must arrive within seconds (checked every
    // second, not Node's default 30 s) and a connection on which nothing moves is cut (docs/security.md).
    const headersTimeout = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
    const http: ServerOptions = {
      headersTimeout,
      connectionsCheckingInterval: Math.min(1000, headersTimeout),
    };
    this.app = createFastify(logger, {
      requestTimeout: 0,
      connectionTimeout: options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
      // request.ip (the logs) follows the same trusted proxies as the link's source address; none by default.
      ...(options.trustProxy?.length ? { trustProxy: options.trustProxy } : {}),
      // Fastify hands `http` to http.createServer; its options type declares it only for its HTTP overload.
      // Over TLS Fastify hands `https` to https.createServer instead, which takes the same HTTP options.
      ...(options.tls ? { https: { ...options.tls, ...http } } : ({ http } as FastifyServerOptions)),
    });
    // A refusal sent while a body is still coming (507, 413, 409) reaches the room: closed in stages, never reset.
    lingerBeforeClose(this.app);
    registerStatusRoutes(this.app, {
      identity,
      stats,
      links,
      relayed: bodies.relayed,
      blobStore,
      metricsToken: options.metricsToken,
      database: new DatabaseProbe(repo),
    });
    registerRelay(this.app, {
      links,
      repo,
      bodies,
      ownership,
      needs,
      outcomes,
      stats,
      logger,
      slots: new BodySlots(options.bodySlots),
      quotas: new Quotas(repo, bodies),
    });
    this.staleUploads = new StaleUploads({
      repo,
      bodies,
      outcomes,
      needs,
      clock,
      logger,
      idleMs: options.partialIdleMs ?? DAY,
      claim: cluster ? (everyMs) => cluster.claim('stale-uploads', everyMs) : undefined,
    });
  }

  get domain(): string {
    return this.accounts.domain;
  }

  async start(): Promise<void> {
    // A database that cannot be reached or migrated stops the start here, before the port is taken.
    await this.repo.ready?.();
    const registry = this.registry;
    if (this.cluster && registry instanceof ClusterLinks) {
      // Alive in the database (and listening for pushes) before any link can log in here.
      await this.cluster.start(
        (push) => registry.deliver(push),
        (event) => this.bodies.signals.receive(event),
      );
    }
    await this.conferences.start();
    await this.app.ready();
    this.app.server.on('upgrade', (req, socket, head) => {
      const path = (req.url ?? '').split('?')[0];
      if (path === LINK_PATH) this.links.upgrade(req, socket, head);
      else
        socket.end(
          `HTTP/1.1 ${HttpStatus.NotFound} ${STATUS_CODES[HttpStatus.NotFound]}\r\nConnection: close\r\n\r\n`,
        );
    });
    this.port = await listen(this.app.server, this.options.port ?? DEFAULT_HUB_PORT, this.host);
    this.stopWatchingAccounts = watchAccountChanges(this.repo, this.logins, this.logger);
    this.expiry.start();
    this.staleUploads.start();
    this.logger.info({ host: this.host, port: this.port, domain: this.domain }, 'hub listening');
  }

  async stop(): Promise<void> {
    this.stopWatchingAccounts();
    this.expiry.stop();
    this.staleUploads.stop();
    // Its rooms leave their conferences (the others present are told) while the database is still there.
    await this.conferences.stop().catch(() => undefined);
    this.links.close();
    this.app.server.closeAllConnections();
    await this.app.close();
    await this.cluster?.stop();
    await this.repo.close();
  }

  /** Applies an account's changed policy to the rooms logged in as it, at once. */
  applyAccountChanges(name: string): Promise<void> {
    return this.logins.applyAccountChanges(name);
  }

  private onLinkClosed(session: LinkSession): void {
    this.logger.debug({ peerId: session.peerId, room: session.room }, 'link closed');
    this.logins.end(session);
  }
}
