import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createFastify } from '../common/fastify.js';
import type { Logger } from 'pino';
import { LINK_PATH } from '../protocol/hub-link.js';
import { systemClock, type Clock } from '../common/clock.js';
import { createLogger } from '../common/logger.js';
import { isLoopback, listen } from '../common/net.js';
import { Accounts, DEFAULT_DOMAIN } from './accounts.js';
import { LinkServer } from './link-server.js';
import type { LinkSession } from './link-session.js';
import type { HubRepository } from './repository.js';
import { SqliteHubRepository } from './sqlite-repository.js';
import { registerSessionOps } from './session-ops.js';
import { HubStats } from './stats.js';
import { DirectoryBlobStore } from './blob-store.js';
import { Offers } from './offers.js';
import { Conferences } from './conferences.js';
import { registerOfferOps } from './offer-ops.js';
import { registerConferenceOps } from './conference-ops.js';
import { registerRelay } from './relay.js';

import { DEFAULT_HUB_PORT } from '../common/defaults.js';

export { DEFAULT_HUB_PORT };
const DAY = 24 * 60 * 60_000;

export interface HubOptions {
  dataDir: string;
  host?: string;
  port?: number;
  domain?: string;
  /** A repository to use instead of the SQLite file under dataDir (PostgreSQL). */
  repository?: HubRepository;
  clock?: Clock;
  logger?: Logger;
  /** How long an offer waits for its recipient (default 7 days). */
  offerTtlMs?: number;
  /** Largest file the hub relays (default 64 GiB). */
  maxFileSize?: number;
  heartbeatMs?: number;
}

/** The hub: accounts, presence, conferences, offers, and the relay of file bodies between rooms. */
export class Hub {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly repo: HubRepository;
  readonly accounts: Accounts;
  readonly links: LinkServer;
  readonly stats = new HubStats();
  readonly hubId = randomBytes(6).toString('hex');
  readonly app: FastifyInstance;
  readonly blobs: DirectoryBlobStore;
  readonly offers: Offers;
  readonly conferences: Conferences;
  private readonly host: string;
  private externalWatch: NodeJS.Timeout | undefined;
  port = 0;

  constructor(readonly options: HubOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? createLogger('hub')).child({ part: 'hub' });
    this.host = options.host ?? '127.0.0.1';
    this.repo = options.repository ?? new SqliteHubRepository(join(options.dataDir, 'hub.db'));
    this.accounts = new Accounts(this.repo, options.domain ?? DEFAULT_DOMAIN, this.clock);
    this.links = new LinkServer(this.logger, (session) => this.onLinkClosed(session), options.heartbeatMs);
    this.blobs = new DirectoryBlobStore(join(options.dataDir, 'blobs'));
    this.offers = new Offers(this);
    this.conferences = new Conferences(this);
    registerSessionOps(this);
    registerOfferOps(this);
    registerConferenceOps(this);
    this.app = createFastify(this.logger, {
      requestTimeout: 0,
      connectionTimeout: 0,
    });
    this.app.get('/health', async () => ({ ok: true, hubId: this.hubId, domain: this.domain }));
    // Counters name the sha256 of bodies in transit: only this machine may read them.
    this.app.get('/stats', async (request, reply) => {
      if (!isLoopback(request.ip.replace(/^::ffff:/, ''))) {
        return reply.code(404).send({ error: 'no route GET /stats', errorCode: 404 });
      }
      return {
        ...this.stats.snapshot(this.links.sessions.size),
        relayedFromMemory: this.blobs.relayed.fromMemory,
        relayedFromDisk: this.blobs.relayed.fromDisk,
      };
    });
    registerRelay(this, this.app);
  }

  get domain(): string {
    return this.accounts.domain;
  }

  get offerTtlMs(): number {
    return this.options.offerTtlMs ?? 7 * DAY;
  }

  get maxFileSize(): number {
    return this.options.maxFileSize ?? 64 * 1024 ** 3;
  }

  async start(): Promise<void> {
    await this.app.ready();
    this.app.server.on('upgrade', (req, socket, head) => {
      const path = (req.url ?? '').split('?')[0];
      if (path === LINK_PATH) this.links.upgrade(req, socket, head);
      else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    });
    this.port = await listen(this.app.server, this.options.port ?? DEFAULT_HUB_PORT, this.host);
    this.watchExternalChanges();
    this.offers.start();
    this.logger.info({ host: this.host, port: this.port, domain: this.domain }, 'hub listening');
  }

  async stop(): Promise<void> {
    clearInterval(this.externalWatch);
    this.offers.stop();
    this.links.close();
    this.app.server.closeAllConnections();
    await this.app.close();
    await this.repo.close();
  }

  /** Applies an account's changed policy to the rooms logged in as it, at once. */
  async applyAccountChanges(name: string): Promise<void> {
    const account = await this.repo.getAccount(name);
    const peerId = this.accounts.peerIdOf(name);
    for (const session of this.links.sessionsOf(peerId)) {
      if (!account || account.locked) {
        session.push('loggedOut', { reason: account ? 'locked' : 'removed' });
        this.endLogin(session);
        continue;
      }
      if (session.account && session.account.fileTransfer !== account.fileTransfer) {
        session.push('policy', { fileTransfer: account.fileTransfer });
      }
      session.account = account;
    }
  }

  /** Forgets a session's login (its bearer token stops working) without closing its link. */
  endLogin(session: LinkSession): void {
    this.conferences.onSessionGone(session, session.instanceId);
    session.account = null;
    session.peerId = null;
    session.instanceId = null;
    this.links.setToken(session, null);
  }

  private onLinkClosed(session: LinkSession): void {
    this.logger.debug({ peerId: session.peerId, room: session.room }, 'link closed');
    this.endLogin(session);
  }

  /**
   * `roomfiles hub user …` edits the database from another process; SQLite's data_version tells this one, and
   * the rooms logged in as a changed account learn their new policy within a second or two.
   */
  private watchExternalChanges(): void {
    const repo = this.repo;
    if (!(repo instanceof SqliteHubRepository)) return;
    let version = repo.dataVersion();
    this.externalWatch = setInterval(async () => {
      const now = repo.dataVersion();
      if (now === version) return;
      version = now;
      const names = new Set<string>();
      for (const session of this.links.sessions) if (session.account) names.add(session.account.name);
      for (const name of names) await this.applyAccountChanges(name);
    }, 1000);
    this.externalWatch.unref();
  }

  newSessionToken(): string {
    return randomBytes(32).toString('base64url');
  }
}
