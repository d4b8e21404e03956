import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { AppState, LoginResult, ServerConnection } from '../protocol/session-methods.js';
import { Availability } from '../protocol/common-types.js';
import type { LinkPush } from '../protocol/hub-link.js';
import { Backoff } from '../common/backoff.js';
import { isLoopback } from '../common/net.js';
import { HubLink, LinkError, type HelloResult } from './hub-link.js';
import { describeTarget, sameTarget, type HubTarget } from './hub-target.js';
import type { RoomEvents } from './room-events.js';
import type { RoomStore } from './store.js';

export const DEFAULT_HUB_PORT = 4307;

type AppStateValue = (typeof AppState)[keyof typeof AppState];
/** The appState a conference contributes. */
export type ConferenceAppState =
  typeof AppState.Calling | typeof AppState.InConference | typeof AppState.Leaving;

export interface Credentials {
  login: string;
  password: string;
}

export interface Identity {
  peerId: string;
  peerDn: string;
  instanceId: string;
  /** Bearer token for the hub's body routes. */
  session: string;
}

const SERVER_KEY = 'server';
const CREDENTIALS_KEY = 'credentials';

/**
 * The room's standing with its server: which server, whether the link is up, who is logged in, and the
 * appState and availability that follow from those (room-api.md §4). The server address and credentials are
 * saved, so the room logs in again by itself after a restart or a dropped link.
 *
 * Events (in-process): `loggedIn` (Identity), `loggedOut`, `push` (LinkPush, only while logged in).
 */
export class Session extends EventEmitter {
  readonly link: HubLink;
  domain: string | null = null;
  identity: Identity | null = null;
  fileTransferAllowed = false;
  /** appState contributed by a conference, or null outside one. */
  private conferenceState: ConferenceAppState | null = null;
  private lastAppState: AppStateValue | null = null;
  private lastAvailability: Availability | null = null;
  private lastLinkReported: 'up' | 'down' | null = null;
  private loginInFlight = false;
  /**
   * A login the hub refused as locked (result 10) is tried again with the reconnect backoff (1 s doubling to
   * 30 s), so the room logs in by itself once the lock window has passed. A wrong password is never retried: it
   * would only extend the lock.
   */
  private lockedRetry: { credentials: Credentials; explicit: boolean; timer: NodeJS.Timeout } | null = null;
  private readonly lockedBackoff = new Backoff(1000, 30_000);
  /**
   * A login waiting for a parked link to open again (docs/decisions.md, "Server and login"): asked for by a client
   * (`user`) or by the locked-login retry (`retry`).
   */
  private pendingLogin: { credentials: Credentials; explicit: boolean; from: 'user' | 'retry' } | null = null;

  constructor(
    private readonly store: RoomStore,
    private readonly events: RoomEvents,
    private readonly logger: Logger,
    link: HubLink,
    private readonly embeddedHttpPort: () => number,
    private readonly options: {
      /** Send the account's password over a cleartext link to a hub that is not on this machine. */
      insecureLink?: boolean;
    } = {},
  ) {
    super();
    this.link = link;
    link.on('certificateRejected', () => this.onCertificateRejected());
    link.on('connecting', () => this.publishState());
    link.on('open', (hello: HelloResult, woke: boolean) => void this.onLinkOpen(hello, woke));
    link.on('close', (wasOpen: boolean) => this.onLinkClose(wasOpen));
    link.on('push', (push: LinkPush) => this.onPush(push));
  }

  /** Starts the link to the saved server, if there is one. */
  resume(): void {
    const server = this.server;
    if (server) this.link.connect(server);
    this.publishState();
  }

  get server(): HubTarget | null {
    return this.store.get<HubTarget>(SERVER_KEY) ?? null;
  }

  get credentials(): Credentials | null {
    return this.store.get<Credentials>(CREDENTIALS_KEY) ?? null;
  }

  /**
   * Replaces the saved server and credentials without connecting: what `resume` (a start) uses next. For a
   * launcher that owns the room's server, such as `roomfiles up`, whose hub port may differ between runs.
   */
  remember(server: HubTarget, credentials?: Credentials): void {
    if (!sameTarget(this.server, server)) this.store.delete(CREDENTIALS_KEY);
    this.store.set(SERVER_KEY, server);
    if (credentials) this.store.set(CREDENTIALS_KEY, credentials);
  }

  /** Whether the server answered and waits for a login: the link is open, parked, or opening again after parking. */
  private serverReachable(): boolean {
    return this.link.state === 'open' || this.link.state === 'parked' || this.link.waking;
  }

  appState(): AppStateValue {
    if (this.identity && this.conferenceState !== null) return this.conferenceState;
    if (this.identity) return AppState.LoggedIn;
    if (this.serverReachable()) return AppState.LoginRequired;
    if (this.link.state === 'connecting') return AppState.Connecting;
    return AppState.NotConnected;
  }

  availability(): Availability {
    if (!this.identity) return Availability.NotLoggedIn;
    return this.fileTransferAllowed ? Availability.Available : Availability.Forbidden;
  }

  /** getConnected: 0 not connected, 1 connecting, 2 connected. */
  connectedState(): 0 | 1 | 2 {
    if (this.serverReachable()) return ServerConnection.Connected;
    if (this.link.state === 'connecting') return ServerConnection.Connecting;
    return ServerConnection.NotConnected;
  }

  setConferenceState(state: ConferenceAppState | null): void {
    this.conferenceState = state;
    this.publishState();
  }

  /** Emits appStateChanged and fileTransferAvailabilityChanged for whatever changed since the last call. */
  publishState(): void {
    const appState = this.appState();
    if (appState !== this.lastAppState) {
      this.lastAppState = appState;
      this.events.emit('appStateChanged', { appState, embeddedHttpPort: this.embeddedHttpPort() });
    }
    const availability = this.availability();
    if (availability !== this.lastAvailability) {
      const first = this.lastAvailability === null;
      this.lastAvailability = availability;
      if (!first) this.events.emit('fileTransferAvailabilityChanged', { availability });
    }
  }

  connectToServer(target: HubTarget): void {
    const sameServer = sameTarget(this.server, target);
    // Leave the current server first: its serverDisconnected names it, and `loggedOut` reaches the listeners.
    this.link.disconnect();
    if (!sameServer) {
      this.cancelLockedRetry();
      // Credentials belong to the server they were accepted by; another server starts logged out.
      this.store.delete(CREDENTIALS_KEY);
    }
    this.store.set(SERVER_KEY, target);
    this.domain = null;
    this.lastLinkReported = null;
    this.link.connect(target);
    this.publishState();
  }

  /** Whether a login refused as locked will be tried again (tests, diagnostics). */
  get loginRetryPending(): boolean {
    return this.lockedRetry !== null;
  }

  private cancelLockedRetry(): void {
    if (this.lockedRetry) clearTimeout(this.lockedRetry.timer);
    this.lockedRetry = null;
  }

  private scheduleLockedRetry(credentials: Credentials, explicit: boolean): void {
    this.cancelLockedRetry();
    const delay = this.lockedBackoff.next();
    const timer = setTimeout(() => {
      this.lockedRetry = null;
      if (this.identity || this.loginInFlight || this.pendingLogin) return;
      if (this.link.state === 'parked') {
        this.pendingLogin = { credentials, explicit, from: 'retry' };
        return this.link.wake();
      }
      // A closed link tries again when it opens (onLinkOpen); until then keep waiting with the same backoff.
      if (this.link.state !== 'open') return this.scheduleLockedRetry(credentials, explicit);
      void this.performLogin(credentials, explicit);
    }, delay);
    timer.unref();
    this.lockedRetry = { credentials, explicit, timer };
    this.logger.info({ retryInMs: delay }, 'login locked at the server; trying again later');
  }

  async login(credentials: Credentials): Promise<void> {
    this.cancelLockedRetry();
    this.lockedBackoff.reset();
    if (this.identity) {
      this.events.emit('login', { result: LoginResult.AlreadyLoggedIn, ...this.peerFields() });
      return;
    }
    if (this.link.state === 'parked' && !this.pendingLogin) {
      // The server answered before; the link opens again for this login (its outcome comes from onLinkOpen).
      this.pendingLogin = { credentials, explicit: true, from: 'user' };
      this.link.wake();
      return;
    }
    if (this.link.state !== 'open' || this.loginInFlight || this.pendingLogin) {
      this.events.emit('login', { result: LoginResult.Unreachable });
      return;
    }
    await this.performLogin(credentials, true);
  }

  async logout(): Promise<void> {
    this.cancelLockedRetry();
    this.store.delete(CREDENTIALS_KEY);
    const wasLoggedIn = this.identity !== null;
    if (wasLoggedIn) {
      try {
        await this.link.request('logout', {});
      } catch (error) {
        this.logger.debug({ err: (error as Error).message }, 'logout request not delivered');
      }
    }
    this.identity = null;
    this.conferenceState = null;
    this.events.emit('logout', { result: 0, cause: 0 });
    if (wasLoggedIn) this.emit('loggedOut');
    this.publishState();
    this.parkIfIdle();
  }

  /**
   * Closes the link while the room has no login to offer (no credentials, or a locked login waiting for its retry):
   * the hub closes a link that does not log in within its deadline, and a room that reconnected each time would
   * knock on the hub every few seconds for nothing (docs/decisions.md, "Server and login"). The room keeps showing
   * the server as reachable (appState 2); a login opens the link again.
   */
  private parkIfIdle(): void {
    if (this.identity || this.loginInFlight || this.pendingLogin || this.link.state !== 'open') return;
    if (this.credentials && !this.lockedRetry) return;
    this.link.park();
  }

  private peerFields() {
    return this.identity ? { peerId: this.identity.peerId, peerDn: this.identity.peerDn } : {};
  }

  /**
   * A hub whose certificate is not trusted: a login failure the user can see (login event, result 7) once per
   * run of refusals, besides the link's error-level log line. Nothing is sent to that server.
   */
  private certificateReported = false;
  private onCertificateRejected(): void {
    if (this.certificateReported) return;
    this.certificateReported = true;
    if (this.credentials || this.lockedRetry) this.events.emit('login', { result: LoginResult.Unreachable });
  }

  /** Whether a password may go to the current server: over TLS, to this machine, or with --insecure-link. */
  private passwordMayGo(): boolean {
    const target = this.link.target;
    if (!target || target.tls || isLoopback(target.host) || this.options.insecureLink) return true;
    this.logger.error(
      { server: describeTarget(target) },
      'refusing to send the password over a cleartext link to a server on another machine: ' +
        'use wss:// (TLS) or start the room with --insecure-link',
    );
    return false;
  }

  private async performLogin(credentials: Credentials, explicit: boolean): Promise<void> {
    if (!this.passwordMayGo()) {
      this.events.emit('login', { result: LoginResult.Unreachable });
      this.publishState();
      // Reconnecting would not change that: the link waits, closed, for a login the user gives again.
      if (!this.identity && this.link.state === 'open') this.link.park();
      return;
    }
    this.loginInFlight = true;
    try {
      const result = await this.link.request('login', credentials);
      this.identity = {
        peerId: result.peerId,
        peerDn: result.peerDn,
        instanceId: result.instanceId,
        session: result.session,
      };
      this.fileTransferAllowed = result.fileTransfer;
      this.store.set(CREDENTIALS_KEY, credentials);
      this.cancelLockedRetry();
      this.lockedBackoff.reset();
      this.events.emit('login', { result: LoginResult.Ok, peerId: result.peerId, peerDn: result.peerDn });
      this.publishState();
      this.emit('loggedIn', this.identity);
    } catch (error) {
      const code = error instanceof LinkError ? error.code : 'internal';
      const result =
        code === 'not_found'
          ? LoginResult.NotFound
          : code === 'wrong_password'
            ? LoginResult.WrongPassword
            : code === 'locked'
              ? LoginResult.Locked
              : LoginResult.Unreachable;
      if (!explicit && (result === LoginResult.NotFound || result === LoginResult.WrongPassword)) {
        // The saved credentials no longer work: stop retrying them on every reconnect.
        this.store.delete(CREDENTIALS_KEY);
      }
      if (result === LoginResult.Locked) this.scheduleLockedRetry(credentials, explicit);
      else if (result !== LoginResult.Unreachable) this.cancelLockedRetry();
      this.logger.info({ result }, 'login refused');
      this.events.emit('login', { result });
      this.publishState();
    } finally {
      this.loginInFlight = false;
    }
    this.parkIfIdle();
  }

  private async onLinkOpen(hello: HelloResult, woke = false): Promise<void> {
    this.certificateReported = false;
    // A parked link opened again for a login: the client saw serverConnected for this server already.
    const known = woke && this.domain === hello.domain;
    this.domain = hello.domain;
    const server = this.link.target;
    if (server && !known) {
      this.lastLinkReported = 'up';
      this.events.emit('serverConnected', {
        service: false,
        server: server.host,
        port: server.port,
        domain: hello.domain,
      });
    }
    const pending = this.pendingLogin;
    this.pendingLogin = null;
    const retry = this.lockedRetry;
    const credentials = pending?.credentials ?? this.credentials ?? retry?.credentials;
    if (credentials) {
      this.cancelLockedRetry();
      await this.performLogin(
        credentials,
        pending ? pending.explicit : retry !== null && this.credentials === null ? retry.explicit : false,
      );
    } else {
      this.publishState();
      this.parkIfIdle();
    }
  }

  private onLinkClose(wasOpen: boolean): void {
    const server = this.link.target ?? this.server;
    const hadIdentity = this.identity !== null;
    this.identity = null;
    this.conferenceState = null;
    // serverDisconnected when an open link drops, and once for a server that could not be reached at all.
    if (server && (wasOpen || this.lastLinkReported !== 'down')) {
      this.lastLinkReported = 'down';
      this.events.emit('serverDisconnected', { service: false, server: server.host, port: server.port });
    }
    if (hadIdentity) this.emit('loggedOut');
    const pending = this.pendingLogin;
    this.pendingLogin = null;
    if (pending?.from === 'user') this.events.emit('login', { result: LoginResult.Unreachable });
    // A locked login's retry waits for the reconnect loop, as it would have without parking.
    else if (pending) this.scheduleLockedRetry(pending.credentials, pending.explicit);
    this.publishState();
  }

  private onPush(push: LinkPush): void {
    if (push.push === 'policy' && this.identity) {
      this.fileTransferAllowed = push.fileTransfer;
      this.publishState();
      return;
    }
    if (push.push === 'loggedOut' && this.identity) {
      // The account was removed or locked at the hub: the saved credentials are of no more use.
      this.logger.warn({ reason: push.reason }, 'the server ended this login');
      this.store.delete(CREDENTIALS_KEY);
      this.identity = null;
      this.conferenceState = null;
      this.events.emit('logout', { result: 0, cause: 1 });
      this.emit('loggedOut');
      this.publishState();
      this.parkIfIdle();
      return;
    }
    if (this.identity) this.emit('push', push);
  }

  /** Stops the link without forgetting the saved server (shutdown). */
  stop(): void {
    this.cancelLockedRetry();
    this.link.removeAllListeners();
    this.link.disconnect();
  }
}
