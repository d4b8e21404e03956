/**
 * The embedding API (`import { startHub, startRoom } from 'roomfiles'`): a Node program runs a hub and rooms in
 * its own process, as `roomfiles up` does. Each function resolves once its part listens, with the ports it got;
 * a room's login to its hub is a promise of its own. docs/embedding.md shows a whole program.
 *
 * The SDK that talks to a room is `roomfiles/client`; the Room API's schemas are `roomfiles/protocol`.
 */
import type { Logger } from 'pino';
import { Hub } from './hub/hub.js';
import { Room } from './room/room.js';
import { RoomLoginError, waitForLogin } from './room/login-wait.js';
import { DEFAULT_DOMAIN, DEFAULT_HUB_PORT, ROOM_DEFAULT_PORTS } from './common/defaults.js';
import { createLogger } from './common/logger.js';
import { urlHost } from './protocol/url-host.js';

export { RoomLoginError, DEFAULT_DOMAIN, DEFAULT_HUB_PORT, ROOM_DEFAULT_PORTS };
export type { Logger };

/** What every part takes about its logs. */
export interface LogOptions {
  /** A pino logger to log to; by default JSON lines on stderr at `logLevel`. */
  logger?: Logger;
  /** pino level of the default logger: `trace` … `fatal`, `silent` (default `warn`: an embedded part is quiet). */
  logLevel?: string;
}

export interface StartHubOptions extends LogOptions {
  /** Where the hub keeps `hub.db` (SQLite) and `blobs/`; created when missing. */
  dataDir: string;
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /** Port for room links and bodies (default 4307; 0 picks a free one, see `RunningHub.port`). */
  port?: number;
  /** Domain of TrueConf IDs, `name@domain` (default files.local). */
  domain?: string;
  /** How long an offer waits for its recipient, in ms (default 7 days). */
  offerTtlMs?: number;
  /** Largest file the hub relays, in bytes (default 64 GiB). */
  maxFileSize?: number;
  /** Accounts to create when they do not exist yet (an existing one keeps its password). */
  users?: { name: string; password: string; displayName?: string }[];
}

/** A hub listening in this process. */
export interface RunningHub {
  readonly host: string;
  /** The port it listens on (the one asked for, or the free one it picked). */
  readonly port: number;
  readonly domain: string;
  /** Creates an account; fails when it exists or the name is not a valid account name. */
  addUser(name: string, password: string, options?: { displayName?: string }): Promise<void>;
  /** Stops listening, closes every room link and the database. */
  stop(): Promise<void>;
  /** The hub itself, for what this interface does not cover; its members may change between versions. */
  readonly hub: Hub;
}

/** Starts a hub; resolves once it listens. */
export async function startHub(options: StartHubOptions): Promise<RunningHub> {
  const hub = new Hub({
    dataDir: options.dataDir,
    host: options.host,
    port: options.port ?? DEFAULT_HUB_PORT,
    domain: options.domain,
    offerTtlMs: options.offerTtlMs,
    maxFileSize: options.maxFileSize,
    logger: loggerOf('hub', options),
  });
  try {
    for (const user of options.users ?? []) {
      if (!(await hub.accounts.find(user.name))) {
        await hub.accounts.add(user.name, user.password, { displayName: user.displayName });
      }
    }
    await hub.start();
  } catch (error) {
    await hub.stop().catch(() => undefined);
    throw error;
  }
  const host = options.host ?? '127.0.0.1';
  return {
    host,
    port: hub.port,
    domain: hub.domain,
    async addUser(name, password, extra = {}) {
      await hub.accounts.add(name, password, { displayName: extra.displayName });
    },
    stop: () => hub.stop(),
    hub,
  };
}

export interface StartRoomOptions extends LogOptions {
  /** A label for logs and getSettings (`alice`). */
  name: string;
  /** Where the room keeps `room.db`, its files and partial downloads; created when missing. */
  dataDir: string;
  /** Bind address (default 127.0.0.1; another one needs `pin`, `password` or `insecure`). */
  host?: string;
  /** Ports of the web interface, the Room API and the built-in HTTP server (default 8764/8765/8766; 0: free). */
  ports?: { web?: number; api?: number; http?: number };
  /** Protect the Room API with a PIN … */
  pin?: string;
  /** … or with a password. */
  password?: string;
  /** Allow an unprotected room on a non-loopback address. */
  insecure?: boolean;
  /** The hub to use when the room has none saved: a RunningHub of this process, or its address. */
  hub?: RunningHub | { host: string; port: number };
  /** The account to log in as when the room has none saved; a bare name gets the hub's domain. */
  login?: { login: string; password: string };
  /** Storage for files on the built-in HTTP server, in bytes (default 20 GiB). */
  quotaBytes?: number;
  /** Largest upload, in bytes (default 4 GiB). */
  maxPostBytes?: number;
  /** Bytes per second per transfer to or from the hub (default unlimited). */
  maxRateBytes?: number;
}

/** A room listening in this process. */
export interface RunningRoom {
  readonly name: string;
  /** The ports it listens on (those asked for, or the free ones it picked). */
  readonly ports: { readonly web: number; readonly api: number; readonly http: number };
  /** `http://host:web` (what the SDK and the CLI's `--url` take) and `ws://host:api/` (the raw Room API). */
  readonly urls: { readonly web: string; readonly api: string };
  /** The TrueConf ID it is logged in as, or null. */
  readonly peerId: string | null;
  /**
   * Resolves when the room is logged in to its hub (at once if it is); rejects with a RoomLoginError when the hub
   * refuses the login for good, with an Error after `timeoutMs` (default 15 s) otherwise.
   */
  loggedIn(timeoutMs?: number): Promise<void>;
  /** Calls `listener` each time the room logs in (`true`) or out (`false`); returns the unsubscriber. */
  onLoginChange(listener: (loggedIn: boolean) => void): () => void;
  /** Stops its servers and its hub link; files and history stay in `dataDir`. */
  stop(): Promise<void>;
  /** The room itself, for what this interface does not cover; its members may change between versions. */
  readonly room: Room;
}

/** Starts a room; resolves once its three ports listen (its login to the hub goes on: see `loggedIn()`). */
export async function startRoom(options: StartRoomOptions): Promise<RunningRoom> {
  const hub = options.hub;
  const server = hub ? { host: reachable(hub.host), port: hub.port } : undefined;
  const room = new Room({
    name: options.name,
    dataDir: options.dataDir,
    host: options.host,
    webPort: options.ports?.web ?? ROOM_DEFAULT_PORTS.web,
    apiPort: options.ports?.api ?? ROOM_DEFAULT_PORTS.api,
    httpPort: options.ports?.http ?? ROOM_DEFAULT_PORTS.http,
    pin: options.pin,
    password: options.password,
    insecure: options.insecure,
    server,
    login: options.login,
    quotaBytes: options.quotaBytes,
    maxPostBytes: options.maxPostBytes,
    maxRateBytes: options.maxRateBytes,
    logger: loggerOf('room', options),
  });
  await room.start();
  const host = urlHost(reachable(options.host ?? '127.0.0.1'));
  return {
    name: room.name,
    ports: { web: room.webPort, api: room.apiPort, http: room.httpPort },
    urls: { web: `http://${host}:${room.webPort}`, api: `ws://${host}:${room.apiPort}/` },
    get peerId() {
      return room.session.identity?.peerId ?? null;
    },
    loggedIn: (timeoutMs) => waitForLogin(room, timeoutMs),
    onLoginChange(listener) {
      const onIn = () => listener(true);
      const onOut = () => listener(false);
      room.session.on('loggedIn', onIn);
      room.session.on('loggedOut', onOut);
      return () => {
        room.session.off('loggedIn', onIn);
        room.session.off('loggedOut', onOut);
      };
    },
    stop: () => room.stop(),
    room,
  };
}

function loggerOf(name: string, options: LogOptions): Logger {
  return options.logger ?? createLogger(name, options.logLevel ?? 'warn');
}

/** An address to connect to for one to listen on: a wildcard is reached on loopback. */
function reachable(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}
