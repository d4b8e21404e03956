import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Hub, type HubOptions } from '../../src/hub/hub.js';
import { openBlobStore } from '../../src/hub/blob-store-config.js';
import type { LinkSession } from '../../src/hub/link-session.js';
import type { Room } from '../../src/room/room.js';
import { silentLogger } from '../../src/common/logger.js';
import { freePort } from './child.js';
import { codeBlockAfter, startNginx } from './nginx.js';
import { sharedPostgresDatabase } from './postgres.js';
import { S3_ENV, S3Server } from './s3.js';
import { waitFor } from './wait.js';

/**
 * `ROOMFILES_TEST_HUB_DB=cluster`: every hub a TestBed starts is a cluster of two hub processes' worth of parts —
 * two Hub instances that share nothing but a PostgreSQL database (of one throwaway server per test process) and
 * a prefix of one S3 bucket (s3rver, one per test process) — behind nginx running the configuration of
 * docs/operations.md "Several hub processes". The test gets the first hub; rooms started with it connect to
 * nginx, and the bed places their links on the two hubs in turn (the first room on one, the next on the other…),
 * so that whatever two rooms of a test do to each other goes from one hub to the other through the database:
 * pushes by NOTIFY, conference membership in the tables, bodies through the bucket. Body requests are spread by
 * nginx over both, whichever holds the link.
 */
export const CLUSTER_MODE = 'cluster';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface HubCluster {
  /** The two hubs; `hubs[0]` is the one the test holds. */
  hubs: [Hub, Hub];
  /** nginx's port: the address rooms are given. */
  front: number;
  /** Rooms placed so far (the next one goes to `hubs[placed % 2]`). */
  placed: number;
}

const clusters = new WeakMap<Hub, HubCluster>();

/** The cluster `hub` belongs to, when the bed runs in cluster mode. */
export function clusterOf(hub: Hub): HubCluster | undefined {
  return clusters.get(hub);
}

/** Bytes the hub received from uploads: of both hubs of its cluster, when it has one. */
export function bytesReceived(hub: Hub): number {
  const hubs = clusterOf(hub)?.hubs ?? [hub];
  return hubs.reduce((sum, each) => sum + each.stats.snapshot(0).bytesReceived, 0);
}

/**
 * Set by a parent test file that started the PostgreSQL server and the S3 endpoint once for all its child test
 * processes (test/transfer/cluster.test.ts): the server's URL (its `postgres` database) and the endpoint's.
 */
export const CLUSTER_PG_ENV = 'ROOMFILES_TEST_CLUSTER_PG';
export const CLUSTER_S3_ENV = 'ROOMFILES_TEST_CLUSTER_S3';
/** The bucket S3Server makes by default. */
const BUCKET = 'roomfiles';

let s3: Promise<{ endpoint: string; bucket: string }> | null = null;
let databases = 0;
let prefixes = 0;

/** The parent's S3 endpoint, or one of this test process's own (its own `after` stops it at the end of the file). */
function sharedS3(): Promise<{ endpoint: string; bucket: string }> {
  // The in-process hubs sign their requests with the SDK's default chain: the endpoint's credentials.
  Object.assign(process.env, S3_ENV);
  const given = process.env[CLUSTER_S3_ENV];
  s3 ??= given ? Promise.resolve({ endpoint: given, bucket: BUCKET }) : S3Server.start();
  return s3;
}

/** A new empty database: on the parent's server, or on this process's own throwaway one. */
async function freshDatabase(): Promise<string> {
  const given = process.env[CLUSTER_PG_ENV];
  if (!given) return sharedPostgresDatabase();
  const name = `cluster_${process.pid}_${++databases}`;
  const client = new pg.Client({ connectionString: given });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(given);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Starts the two hubs and nginx; `defer` is given what stops them. Accounts are added through the first hub
 * (the database is shared).
 */
export async function startHubCluster(
  options: Partial<HubOptions> & { accounts?: string[] },
  defer: (stop: () => Promise<void> | void) => void,
): Promise<Hub> {
  const [db, endpoint] = await Promise.all([freshDatabase(), sharedS3()]);
  const location = `s3://${endpoint.bucket}/hub-${process.pid}-${++prefixes}`;
  const dirs: string[] = [];
  const make = () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'roomfiles-cluster-hub-'));
    dirs.push(dataDir);
    return new Hub({
      dataDir,
      port: 0,
      logger: silentLogger,
      db,
      blobStore: openBlobStore(location, dataDir, { endpoint: endpoint.endpoint, forcePathStyle: true }),
      ...options,
    });
  };
  defer(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const first = make();
  for (const name of options.accounts ?? []) {
    if (!(await first.accounts.find(name))) await first.accounts.add(name, `pw-${name}`);
  }
  await first.start();
  defer(() => first.stop().catch(() => undefined));
  const second = make();
  await second.start();
  defer(() => second.stop().catch(() => undefined));

  const front = await freePort();
  const block = codeBlockAfter(join(root, 'docs/operations.md'), '### Several hub processes')
    .replaceAll('127.0.0.1:4307', `127.0.0.1:${first.port}`)
    .replaceAll('127.0.0.1:4308', `127.0.0.1:${second.port}`)
    .replaceAll('127.0.0.1:4300', `127.0.0.1:${front}`);
  const nginxDir = mkdtempSync(join(tmpdir(), 'roomfiles-cluster-nginx-'));
  const nginx = await startNginx(nginxDir, block, front);
  defer(async () => {
    await nginx.stop();
    rmSync(nginxDir, { recursive: true, force: true });
  });
  clusters.set(first, { hubs: [first, second], front, placed: 0 });
  return first;
}

function linkOf(hub: Hub, room: Room): LinkSession | undefined {
  for (const session of hub.links.sessions) if (session.instance === room.instance) return session;
  return undefined;
}

/**
 * Waits until one of the hubs holds the room's link (logged in, when `login`), and moves it to the hub whose turn
 * it is: nginx balances round robin, so the link is cut there and the room's reconnect lands on the other one.
 */
export async function placeRoom(cluster: HubCluster, room: Room, login: boolean): Promise<void> {
  // A room with nothing to log in with keeps no link (it closes it after the hello, docs/decisions.md "Server and
  // login"): there is nothing to place until it logs in, and then nginx picks its hub.
  if (!login) return;
  const want = cluster.hubs[cluster.placed++ % 2];
  const held = () => {
    for (const hub of cluster.hubs) {
      const session = linkOf(hub, room);
      if (session && (!login || session.loggedIn)) return { hub, session };
    }
    return undefined;
  };
  for (let attempt = 1; ; attempt++) {
    const { hub, session } = await waitFor(`the link of room ${room.name}`, held, { timeoutMs: 30_000 });
    if (hub === want) {
      // The room itself has seen its login (the hub's side of it comes first).
      if (login) await waitFor(`login of ${room.name}`, () => room.session.identity ?? undefined);
      return;
    }
    if (attempt >= 8) throw new Error(`room ${room.name} never reached the hub whose turn it was`);
    session.socket.terminate();
    await waitFor(`the cut link of room ${room.name}`, () => (linkOf(hub, room) ? undefined : true));
  }
}
