import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hub, type HubOptions } from '../../src/hub/hub.js';
import { Room, type RoomOptions } from '../../src/room/room.js';
import { openRoomConnection, type RoomConnection } from '../../src/client/index.js';
import { silentLogger } from '../../src/common/logger.js';
import { waitFor } from './wait.js';
import { HUB_DB_ENV, sharedPostgresDatabase } from './postgres.js';
import { CLUSTER_MODE, clusterOf, placeRoom, startHubCluster } from './hub-cluster.js';

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix = 'roomfiles-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Collects what a test starts and stops it all at the end, in reverse order: `const t = new TestBed(); …;
 * after(() => t.close())`.
 */
export class TestBed {
  private readonly closers: (() => Promise<void> | void)[] = [];

  defer(fn: () => Promise<void> | void): void {
    this.closers.push(fn);
  }

  dir(prefix?: string): string {
    const dir = tempDir(prefix);
    this.defer(dir.cleanup);
    return dir.path;
  }

  /** A hub on a free loopback port, with the given accounts (password = `pw-<name>`). */
  async hub(options: Partial<HubOptions> & { accounts?: string[] } = {}): Promise<Hub> {
    const mode = !options.repository && !options.db ? process.env[HUB_DB_ENV] : undefined;
    // Two hubs on PostgreSQL and S3 behind nginx (test/helpers/hub-cluster.ts); the test holds the first.
    if (mode === CLUSTER_MODE) return startHubCluster(options, (stop) => this.defer(stop));
    const onPostgres = mode === 'postgres';
    const hub = new Hub({
      dataDir: options.dataDir ?? this.dir('hub-'),
      port: 0,
      logger: silentLogger,
      ...(onPostgres ? { db: await sharedPostgresDatabase() } : {}),
      ...options,
    });
    for (const name of options.accounts ?? []) {
      if (!(await hub.accounts.find(name))) await hub.accounts.add(name, `pw-${name}`);
    }
    await hub.start();
    this.defer(() => hub.stop().catch(() => undefined));
    return hub;
  }

  /** A room on free loopback ports; `hub` + `as` make it connect and log in as that account. */
  async room(options: Partial<RoomOptions> & { hub?: Hub; as?: string } = {}): Promise<Room> {
    const { hub, as, ...rest } = options;
    const cluster = hub && clusterOf(hub);
    const room = new Room({
      name: as ?? 'room',
      dataDir: rest.dataDir ?? this.dir('room-'),
      webPort: 0,
      apiPort: 0,
      httpPort: 0,
      logger: silentLogger,
      ...(hub ? { server: { host: '127.0.0.1', port: cluster?.front ?? hub.port } } : {}),
      ...(hub && as ? { login: { login: `${as}@${hub.domain}`, password: `pw-${as}` } } : {}),
      ...rest,
    });
    await room.start();
    let stopped = false;
    const stop = room.stop.bind(room);
    room.stop = async () => {
      if (stopped) return;
      stopped = true;
      await stop();
    };
    this.defer(() => room.stop().catch(() => undefined));
    if (cluster) await placeRoom(cluster, room, Boolean(as));
    return room;
  }

  /**
   * An authorized API connection to a room (unsecured, or with the PIN/password given). It selects API version 2
   * first, as roomfiles' own SDK does, so it gets the current shapes only; `apiVersion: null` selects nothing and
   * `'1'` selects version 1: both leave it in legacy mode (room-api.md §10).
   */
  async connect(
    room: Room,
    options: {
      credentials?: string;
      role?: 'admin' | 'user';
      origin?: string;
      apiVersion?: '1' | '2' | null;
    } = {},
  ): Promise<RoomConnection & { tokenForHttpServer: string; token: string }> {
    const connection = await this.open(room, options.origin);
    const version = options.apiVersion === undefined ? '2' : options.apiVersion;
    if (version !== null) await connection.call('setUsedApiVersion', { version });
    const reply = await connection.call('auth', {
      ...(options.credentials !== undefined
        ? { type: 'secured', credentials: options.credentials }
        : { type: 'unsecured' }),
      ...(options.role ? { role: options.role } : {}),
    });
    return Object.assign(connection, { tokenForHttpServer: reply.tokenForHttpServer, token: reply.token });
  }

  /** An API connection that has not authorized yet. */
  async open(room: Room, origin?: string): Promise<RoomConnection> {
    const connection = await openRoomConnection(`ws://127.0.0.1:${room.apiPort}/`, { origin });
    this.defer(() => connection.close());
    return connection;
  }

  async close(): Promise<void> {
    while (this.closers.length > 0) {
      const fn = this.closers.pop()!;
      await fn();
    }
  }
}

/** Resolves when the room is logged in (its session emits loggedIn), or at once if it already is. */
export async function loggedIn(room: Room, timeoutMs = 10_000): Promise<void> {
  await waitFor(`login of ${room.name}`, () => (room.session.identity ? true : undefined), {
    timeoutMs,
    wake: (wake) => {
      room.session.on('loggedIn', wake);
      return () => room.session.off('loggedIn', wake);
    },
  });
}
