import { Command, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Hub } from '../hub/hub.js';
import { Room } from '../room/room.js';
import { createLogger } from '../common/logger.js';
import { runUntilSignal, UsageError } from './process.js';

interface UpAccount {
  name: string;
  displayName: string;
  password: string;
  ports: { web: number; api: number; http: number };
}

const ROOMS: Omit<UpAccount, 'password'>[] = [
  { name: 'alice', displayName: 'Alice', ports: { web: 8764, api: 8765, http: 8766 } },
  { name: 'bob', displayName: 'Bob', ports: { web: 8774, api: 8775, http: 8776 } },
];

/** Passwords of the demo accounts: generated once, kept (0600) next to the data so the next start reuses them. */
function loadSecrets(dataDir: string): Record<string, string> {
  const path = join(dataDir, 'up-accounts.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
  const secrets = Object.fromEntries(ROOMS.map((room) => [room.name, randomBytes(18).toString('base64url')]));
  writeFileSync(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
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
  hubPort?: number;
  portBase?: { alice: UpAccount['ports']; bob: UpAccount['ports'] };
}): Promise<UpHandle> {
  const dataDir = resolve(options.data);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secrets = loadSecrets(dataDir);
  const logger = createLogger('up', process.env.ROOMFILES_LOG_LEVEL ?? 'warn');
  const hub = new Hub({ dataDir: join(dataDir, 'hub'), port: options.hubPort ?? 4307, logger });
  for (const room of ROOMS) {
    if (!(await hub.accounts.find(room.name))) {
      await hub.accounts.add(room.name, secrets[room.name], { displayName: room.displayName });
    }
  }
  await hub.start();
  const rooms: Room[] = [];
  try {
    for (const spec of ROOMS) {
      const ports = options.portBase?.[spec.name as 'alice' | 'bob'] ?? spec.ports;
      const room = new Room({
        name: spec.name,
        dataDir: join(dataDir, spec.name),
        webPort: ports.web,
        apiPort: ports.api,
        httpPort: ports.http,
        pin: options.pin,
        server: { host: '127.0.0.1', port: hub.port },
        login: { login: `${spec.name}@${hub.domain}`, password: secrets[spec.name] },
        logger,
      });
      rooms.push(room);
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

function waitForLogin(room: Room, timeoutMs = 15_000): Promise<void> {
  if (room.session.identity) return Promise.resolve();
  return new Promise((resolveLogin, reject) => {
    const timer = setTimeout(() => reject(new Error(`room ${room.name} did not log in`)), timeoutMs);
    room.session.once('loggedIn', () => {
      clearTimeout(timer);
      resolveLogin();
    });
  });
}

export function upCommand(): Command {
  return new Command('up')
    .description('start a hub and two rooms, alice and bob, logged in and ready in the browser')
    .addOption(
      new Option('--data <dir>', 'where everything is kept')
        .env('ROOMFILES_DATA')
        .default('./roomfiles-data'),
    )
    .addOption(new Option('--pin <pin>', 'protect both rooms with this PIN').env('ROOMFILES_PIN'))
    .addHelpText(
      'after',
      '\nExample:\n  roomfiles up            # then open http://127.0.0.1:8764/ (alice) and :8774 (bob)',
    )
    .action(async (options) => {
      const started = Date.now();
      let handle: UpHandle;
      try {
        handle = await startUp({ data: options.data, pin: options.pin });
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
      await runUntilSignal(() => handle.stop());
    });
}
