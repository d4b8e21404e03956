import { Command, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BlobStore } from '../hub/blob-store.js';
import type { Hub } from '../hub/hub.js';
import type { Room } from '../room/room.js';
import { DEFAULT_HUB_PORT } from '../common/defaults.js';
import { addBlobStorageOptions } from './blob-storage-options.js';
import { checkedDatabaseUrl } from './hub-database.js';
import { parsePort } from './parse.js';
import { runUntilSignal, UsageError } from './process.js';

interface UpRoom {
  name: string;
  displayName: string;
  /** Where this room's ports start, counted from --port-base: web, API and HTTP are offset, +1, +2. */
  offset: number;
}

export const UP_DEFAULT_HUB_PORT = DEFAULT_HUB_PORT;
/** alice 8764/8765/8766, bob 8774/8775/8776. */
export const UP_DEFAULT_PORT_BASE = 8764;

const ROOMS: UpRoom[] = [
  { name: 'alice', displayName: 'Alice', offset: 0 },
  { name: 'bob', displayName: 'Bob', offset: 10 },
];
const LAST_OFFSET = 12;

/** A room's three ports for a base; base 0 means any free ports. */
function portsOf(room: UpRoom, base: number) {
  if (base === 0) return { web: 0, api: 0, http: 0 };
  const first = base + room.offset;
  return { web: first, api: first + 1, http: first + 2 };
}

/**
 * Passwords of the demo accounts: generated once, kept (0600) next to the data so the next start reuses them.
 * `fresh` says they were generated just now (first start, or the file was deleted).
 */
function loadSecrets(dataDir: string): { secrets: Record<string, string>; fresh: boolean } {
  const path = join(dataDir, 'up-accounts.json');
  if (existsSync(path)) {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
    if (ROOMS.every((room) => typeof saved[room.name] === 'string')) return { secrets: saved, fresh: false };
  }
  const secrets = Object.fromEntries(ROOMS.map((room) => [room.name, randomBytes(18).toString('base64url')]));
  writeFileSync(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return { secrets, fresh: true };
}

export interface UpHandle {
  hub: Hub;
  rooms: Room[];
  stop(): Promise<void>;
}

/** Starts a hub and the two demo rooms in this process and waits until both are logged in. */
export async function startUp(options: {
  data: string;
  pin?: string;
  /** The hub's port (default 4307; 0: any free port). */
  hubPort?: number;
  /** alice gets base, base+1, base+2; bob base+10..base+12 (default 8764; 0: any free ports). */
  portBase?: number;
  /** `postgres://…`: the hub's rows in PostgreSQL (`--db`) instead of hub.db under `<data>/hub`. */
  db?: string;
  /** Where the hub keeps bodies (`--blobs`: a bucket) instead of `<data>/hub/blobs`. */
  blobStore?: BlobStore;
}): Promise<UpHandle> {
  const base = options.portBase ?? UP_DEFAULT_PORT_BASE;
  if (base !== 0 && base + LAST_OFFSET > 65535) {
    throw new UsageError(`--port-base ${base} is too high: the rooms use up to base+${LAST_OFFSET}`);
  }
  const dataDir = resolve(options.data);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const { secrets, fresh } = loadSecrets(dataDir);
  const [{ Hub }, { Room }, { createLogger }] = await Promise.all([
    import('../hub/hub.js'),
    import('../room/room.js'),
    import('../common/logger.js'),
  ]);
  const logger = createLogger('up', process.env.ROOMFILES_LOG_LEVEL ?? 'warn');
  const hub = new Hub({
    dataDir: join(dataDir, 'hub'),
    port: options.hubPort ?? UP_DEFAULT_HUB_PORT,
    db: options.db,
    blobStore: options.blobStore,
    logger,
  });
  // A database is migrated before the accounts go in (SQLite is ready as soon as it is open).
  await hub.repo.ready?.();
  for (const room of ROOMS) {
    if (!(await hub.accounts.find(room.name))) {
      await hub.accounts.add(room.name, secrets[room.name], { displayName: room.displayName });
    } else if (fresh) {
      // The accounts outlived their passwords file: give them the new passwords.
      await hub.accounts.update(room.name, { password: secrets[room.name] });
    }
  }
  await hub.start();
  const rooms: Room[] = [];
  try {
    for (const spec of ROOMS) {
      const ports = portsOf(spec, base);
      const server = { host: '127.0.0.1', port: hub.port };
      const login = { login: `${spec.name}@${hub.domain}`, password: secrets[spec.name] };
      const room = new Room({
        name: spec.name,
        dataDir: join(dataDir, spec.name),
        webPort: ports.web,
        apiPort: ports.api,
        httpPort: ports.http,
        pin: options.pin,
        server,
        login,
        logger,
      });
      rooms.push(room);
      // This process owns the rooms' hub: an earlier run on another --hub-port, or a logout, must not stick.
      room.session.remember(server, login);
      await room.start();
    }
    await Promise.all(rooms.map((room) => waitForLogin(room)));
  } catch (error) {
    for (const room of rooms) await room.stop().catch(() => undefined);
    await hub.stop();
    throw error;
  }
  return {
    hub,
    rooms,
    async stop() {
      for (const room of rooms) await room.stop();
      await hub.stop();
    },
  };
}

/** Waits for the room's login; a refusal becomes one sentence that says where to look. */
async function waitForLogin(room: Room): Promise<void> {
  // Loaded here, as the servers are: `roomfiles --help` does not load the protocol's schemas.
  const { RoomLoginError, waitForLogin: waitForRoomLogin } = await import('../room/login-wait.js');
  try {
    await waitForRoomLogin(room);
  } catch (error) {
    if (!(error instanceof RoomLoginError)) throw error;
    throw new UsageError(
      `${error.message}; check the account with "roomfiles hub user list --data <data>/hub"`,
      1,
    );
  }
}

export function upCommand(): Command {
  return addBlobStorageOptions(
    new Command('up')
      .description('start a hub and two rooms, alice and bob, logged in and ready in the browser')
      .addOption(
        new Option('--data <dir>', 'where everything is kept')
          .env('ROOMFILES_DATA')
          .default('./roomfiles-data'),
      )
      .addOption(new Option('--pin <pin>', 'protect both rooms with this PIN').env('ROOMFILES_PIN'))
      .addOption(
        new Option('--hub-port <port>', 'port of the hub (0: any free port)')
          .env('ROOMFILES_HUB_PORT')
          .argParser(parsePort)
          .default(UP_DEFAULT_HUB_PORT),
      )
      .addOption(
        new Option(
          '--port-base <port>',
          'first port of the rooms: alice web/API/HTTP on base, base+1, base+2, bob on base+10..base+12 (0: any free ports)',
        )
          .env('ROOMFILES_PORT_BASE')
          .argParser(parsePort)
          .default(UP_DEFAULT_PORT_BASE),
      )
      .addOption(
        new Option(
          '--db <url>',
          "the hub's PostgreSQL database (postgres://user:password@host:port/db); default: SQLite in --data",
        ).env('ROOMFILES_DB'),
      ),
    'DATA/hub/blobs',
  )
    .addHelpText(
      'after',
      '\nExamples:\n  roomfiles up            # then open http://127.0.0.1:8764/ (alice) and :8774 (bob)\n' +
        '  roomfiles up --data ./demo --hub-port 5307 --port-base 9000   # alice on 9000-9002, bob on 9010-9012\n' +
        '  roomfiles up --db postgres://roomfiles@db/roomfiles --blobs s3://roomfiles/hub --s3-endpoint http://minio:9000 --s3-force-path-style',
    )
    .action(async (options) => {
      const started = Date.now();
      let handle: UpHandle;
      try {
        handle = await startUp({
          data: options.data,
          pin: options.pin,
          hubPort: options.hubPort,
          portBase: options.portBase,
          db: await checkedDatabaseUrl(options.db),
          blobStore: options.blobs ? await (await import('./hub-command.js')).openBlobs(options) : undefined,
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') {
          throw new UsageError(
            `a port is already in use (${(error as Error).message}); is roomfiles already running?`,
            1,
          );
        }
        throw error;
      }
      // Signal handlers first: whoever reads the ready line may send Ctrl-C at once.
      const stopped = runUntilSignal(() => handle.stop());
      console.log(`roomfiles is up (hub on 127.0.0.1:${handle.hub.port}, domain ${handle.hub.domain})`);
      for (const room of handle.rooms) {
        console.log('');
        console.log(`  ${room.name}`);
        console.log(`    web       http://127.0.0.1:${room.webPort}/`);
        console.log(`    API port  ${room.apiPort}  (ws://127.0.0.1:${room.apiPort}/)`);
        console.log(`    HTTP port ${room.httpPort}`);
        console.log(`    TrueConf ID ${room.session.identity?.peerId}`);
      }
      console.log('');
      console.log(
        `ready in ${Date.now() - started} ms${options.pin ? ' (PIN protected)' : ''}; Ctrl-C stops`,
      );
      await stopped;
    });
}
