import type { Logger } from 'pino';
import { isDiskFull } from '../common/disk-full.js';
import type { Clock } from '../common/clock.js';
import { BodyMover } from './body-mover.js';
import { BodyReceiver } from './body-receiver.js';
import type { FileLibrary } from './file-library.js';
import type { FileStore } from './file-store.js';
import { HubBodies } from './hub-bodies.js';
import { HubNotices } from './hub-notices.js';
import type { TransferPush } from './link-pushes.js';
import { OfferSync } from './offer-sync.js';
import { ProgressReporting } from './progress-reporting.js';
import { RequestLedger } from './request-ledger.js';
import { FileRequestMethods } from './request-methods.js';
import type { RoomEvents } from './room-events.js';
import type { Session } from './session.js';
import type { RoomStore } from './store.js';
import { TransferEvents } from './transfer-events.js';

/** How long after a push lost to a full disk the room asks the hub for everything again. */
const DISK_FULL_RETRY_MS = 10_000;

export interface TransferEngineDeps {
  store: RoomStore;
  events: RoomEvents;
  session: Session;
  library: FileLibrary;
  files: FileStore;
  clock: Clock;
  logger: Logger;
  quotaBytes: () => number;
  /** The least time between two progress events of one request. */
  progressIntervalMs: () => number;
  /** Most bytes per second in each direction of one transfer (unlimited when absent). */
  /** A certificate authority (PEM) trusted for a TLS hub besides the system's. */
  hubCa?: string;
  maxRateBytes?: number;
}

/**
 * The transfer state machine of a room (room-api.md §8, §9, architecture.md "Moving a file"), put together from
 * its parts: the API's methods (request-methods.ts), the offer sync with the hub (offer-sync.ts), the body loops
 * (body-mover.ts) and their progress (progress-reporting.ts), over the requests in the store (request-ledger.ts).
 * Requests live in the store; the hub is told of every decision and tells of every change; bodies move over the
 * hub's HTTP routes and resume from the byte where they stopped. Every status change is stored before it is
 * announced, and every transfer event goes out through one TransferEvents.
 */
export class TransferEngine {
  readonly methods: FileRequestMethods;
  private readonly sync: OfferSync;
  private readonly mover: BodyMover;
  private readonly receiver: BodyReceiver;
  private readonly unsubscribe: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly deps: TransferEngineDeps) {
    const { session, logger, clock } = deps;
    const link = session.link;
    const background = (work: Promise<unknown>) => this.background(work);
    const events = new TransferEvents(deps.events);
    const requests = new RequestLedger({
      store: deps.store,
      events,
      clock,
      loggedInAs: () => session.identity?.peerId ?? null,
    });
    const progress = new ProgressReporting({
      store: deps.store,
      events,
      interval: deps.progressIntervalMs,
      now: () => Date.now(),
    });
    const notices = new HubNotices(link, logger);
    this.receiver = new BodyReceiver({
      onFallback: (error) =>
        logger.error({ err: error }, 'the receive worker cannot run: bodies are received on the main thread'),
    });
    this.mover = new BodyMover({
      requests,
      progress,
      bodies: new HubBodies(
        () => link.target,
        () => session.identity?.session ?? null,
        deps.hubCa,
      ),
      receiver: this.receiver,
      files: deps.files,
      notices,
      clock,
      logger,
      loggedIn: () => session.identity !== null,
      maxRateBytes: deps.maxRateBytes,
      outOfStep: () => background(this.sync.resync()),
      background,
    });
    // Accepts on their way to the hub: the methods refuse a second decision, the sync waits for their reply.
    const deciding = new Set<string>();
    this.sync = new OfferSync({ requests, events, link, notices, mover: this.mover, deciding, logger });
    this.methods = new FileRequestMethods({
      requests,
      events,
      progress,
      mover: this.mover,
      link,
      session,
      library: deps.library,
      storage: { usedBytes: () => deps.files.usedBytes(), quotaBytes: deps.quotaBytes },
      deciding,
      resync: () => this.sync.resync(),
      clock,
      logger,
      background,
    });
  }

  start(): void {
    const session = this.deps.session;
    const onLogin = () => {
      const identity = session.identity;
      if (identity) this.background(this.sync.atLogin(identity.peerId));
    };
    const onLogout = () => this.mover.pauseAll();
    session.on('loggedIn', onLogin);
    session.on('loggedOut', onLogout);
    this.unsubscribe.push(
      () => session.off('loggedIn', onLogin),
      () => session.off('loggedOut', onLogout),
    );
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.diskFullRetry);
    for (const fn of this.unsubscribe) fn();
    this.mover.stop();
    this.background(this.receiver.stop());
  }

  /** A push about an offer or a send (see link-pushes.ts). */
  onPush(push: TransferPush): void {
    this.background(this.sync.apply(push));
  }

  /** Work nobody waits for: a failure is logged; after stop() failures are expected (the store is closed). */
  private background(work: Promise<unknown>): void {
    work.catch((error: unknown) => {
      if (this.stopped) return;
      if (isDiskFull(error)) return this.afterDiskFull(error);
      this.deps.logger.error({ err: error }, 'transfer step failed');
    });
  }

  private diskFullRetry: NodeJS.Timeout | undefined;

  /**
   * A push the room could not record for want of space (an offer, a state): nothing of it was kept, and the hub
   * will not send it again by itself. The room asks for the hub's whole account again a little later, and keeps
   * asking while the disk stays full, so what was missed shows once space returns, without a restart.
   */
  private afterDiskFull(error: unknown): void {
    this.deps.logger.error({ err: error }, 'disk full: a change from the server could not be recorded');
    if (this.diskFullRetry) return;
    this.diskFullRetry = setTimeout(() => {
      this.diskFullRetry = undefined;
      if (!this.stopped && this.deps.session.identity) this.background(this.sync.resync());
    }, DISK_FULL_RETRY_MS);
    this.diskFullRetry.unref();
  }
}
