import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { Accounts, DEFAULT_DOMAIN } from '../src/hub/accounts.js';
import { PostgresHubRepository } from '../src/hub/postgres-repository.js';
import { systemClock } from '../src/common/clock.js';
import { LINK_PATH, LINK_SUBPROTOCOL } from '../src/protocol/hub-link.js';
import { tempDir } from '../test/helpers/harness.js';
import { startPostgres, type PgCluster } from '../test/helpers/postgres.js';
import { S3_ENV, S3Server } from '../test/helpers/s3.js';
import { BenchCluster, incomingDone, prepareHubData } from './lib/fixture.js';
import { trackChild, trackDir } from './lib/cleanup.js';
import { getSha256 } from './lib/http-client.js';
import { BenchFiles, restamp, sha256Of } from './lib/files.js';
import { sizeLabel, type BenchConfig } from './lib/config.js';
import { median, MiB, secondsSince } from './lib/stats.js';
import { fmt, log } from './lib/log.js';
import { failedRow, makeRow, type BenchRow } from './report.js';
import { alternate } from './pair.js';
import { RssSampler, rssOf } from './rss.js';

/** A target in words (the table's) and as the test of a row's median value and ratio to its baseline. */
export interface ScaleTarget {
  text: string;
  meets: (value: number, ratio: number | null) => boolean;
}

/** The targets of rows 14–16 (issue 16). */
export const SCALE_TARGETS: Record<'delivery' | 'offers', ScaleTarget> = {
  /** Row 14: a second process and the bucket cost at most 30 % more time than one embedded hub. */
  delivery: {
    text: '≤ 1.3 × one embedded hub',
    meets: (_value, ratio) => ratio !== null && ratio <= 1.3,
  },
  /** Row 15: two processes on PostgreSQL create offers at least 80 % as fast as one on SQLite. */
  offers: {
    text: '≥ 0.8 × one process on SQLite',
    meets: (_value, ratio) => ratio !== null && ratio >= 0.8,
  },
};

/** Rooms that are link clients of the offers row share this many accounts (each login costs a scrypt). */
export const OFFER_ACCOUNTS = 20;
/** Logins at a time per hub process: the hub verifies four per source network at once (login limits). */
const LOGINS_AT_ONCE = 4;

/** What one two-process setup is made of: PostgreSQL, the bucket, and a BenchCluster whose hubs share both. */
interface SharedSetup {
  pg: PgCluster;
  s3: S3Server;
  db: string;
  bench: BenchCluster;
  hubs: { port: number; pid: number }[];
  stop(): Promise<void>;
}

/** A throwaway PostgreSQL cluster and an s3rver endpoint (test/helpers), as the two-hub tests use. */
async function startServers(): Promise<{ pg: PgCluster; s3: S3Server; stop(): Promise<void> }> {
  // Not under the run's directory: PostgreSQL runs as its own user, which must reach its data directory.
  const dir = tempDir('roomfiles-bench-pg-');
  const untrack = trackDir(dir.path);
  const pg = await startPostgres(dir.path);
  const s3 = await S3Server.start();
  return {
    pg,
    s3,
    async stop() {
      await s3.close();
      await pg.stop();
      dir.cleanup();
      untrack();
    },
  };
}

/** Two `roomfiles hub` processes on one database and one bucket; rooms (when named) alternate between them. */
async function startShared(name: string, accounts: string[], rooms: string[]): Promise<SharedSetup> {
  const servers = await startServers();
  const bench = new BenchCluster();
  const untrack = trackDir(bench.root);
  try {
    servers.pg.createDatabase(name);
    const db = servers.pg.url(name);
    bench.cluster.shared = {
      db,
      blobs: `s3://${servers.s3.bucket}/${name}`,
      s3Endpoint: servers.s3.endpoint,
      env: S3_ENV,
    };
    const a = await bench.cluster.startSharedHub();
    trackChild(a.proc.child);
    await addPostgresAccounts(db, accounts);
    const b = await bench.cluster.startSharedHub();
    trackChild(b.proc.child);
    const hubs = [a, b].map((hub) => ({ port: hub.port, pid: hub.proc.child.pid! }));
    for (const [i, room] of rooms.entries()) await bench.startRoom(room, { hubPort: hubs[i % 2].port });
    return {
      ...servers,
      db,
      bench,
      hubs,
      async stop() {
        await bench.close();
        untrack();
        await servers.stop();
      },
    };
  } catch (error) {
    await bench.close().catch(() => undefined);
    await servers.stop();
    throw error;
  }
}

/** Accounts (password `pw-<name>`) straight into the database, as prepareHubData does for SQLite. */
async function addPostgresAccounts(url: string, names: string[]): Promise<void> {
  const repo = new PostgresHubRepository({ url });
  try {
    await repo.ready();
    const book = new Accounts(repo, DEFAULT_DOMAIN, systemClock);
    for (const name of names) if (!(await book.find(name))) await book.add(name, `pw-${name}`);
  } finally {
    await repo.close();
  }
}

/** One delivery from `from` to bob (bob accepts on arrival) until bob's status 3; bob's copy checked. */
async function deliver(bench: BenchCluster, from: string, source: string, sha256: string): Promise<number> {
  const bob = bench.room('bob');
  const name = `scale-${Date.now()}.bin`;
  const fileId = await bench.upload(from, source, name);
  const done = incomingDone(bob.conn, name);
  const start = performance.now();
  await bench.room(from).conn.call('sendFile', { fileId, peerId: bob.peerId });
  const event = await done;
  const seconds = secondsSince(start);
  const got = await getSha256(bob.httpPort, `/files/${Number(event.fileId)}${await bench.query('bob')}`);
  await Promise.all([bench.clear(from), bench.clear('bob')]);
  if (got !== sha256) throw new Error(`bob's copy has sha256 ${got}, not the ${sha256} sent`);
  return seconds;
}

/** A room's link to a hub spoken directly (a lightweight room: hello, login, offer.create). */
export class LinkClient {
  private next = 1;
  private readonly replies = new Map<number, (reply: Record<string, unknown>) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      if (typeof message.re === 'number') {
        this.replies.get(message.re)?.(message);
        this.replies.delete(message.re);
      }
    });
  }

  static async open(port: number, account: string): Promise<LinkClient> {
    const socket = new WebSocket(`ws://127.0.0.1:${port}${LINK_PATH}`, LINK_SUBPROTOCOL);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const link = new LinkClient(socket);
    const instance = randomBytes(4).toString('hex');
    await link.call('hello', { room: `bench-${instance}`, instance, software: 'bench' });
    for (let attempt = 0; ; attempt += 1) {
      const login = await link.call('login', {
        login: `${account}@${DEFAULT_DOMAIN}`,
        password: `pw-${account}`,
      });
      if (login.ok === true) return link;
      // Too many logins under way from this network: the hub says when to come back.
      if (attempt > 50) throw new Error(`login of ${account} refused: ${JSON.stringify(login)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  call(op: string, fields: object = {}): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.replies.set(id, resolve);
      this.socket.send(JSON.stringify({ id, op, ...fields }), (error) => error && reject(error));
    });
  }

  close(): void {
    this.socket.terminate();
  }
}

/** `count` rooms as link clients spread over `ports`, logged in as the bench's accounts in turn. */
export async function openLinks(ports: number[], count: number): Promise<LinkClient[]> {
  const links: LinkClient[] = new Array<LinkClient>(count);
  const perPort = ports.map((port, p) => ({
    port,
    indexes: [...Array(count).keys()].filter((i) => i % ports.length === p),
  }));
  await Promise.all(
    perPort.map(async ({ port, indexes }) => {
      for (let at = 0; at < indexes.length; at += LOGINS_AT_ONCE) {
        await Promise.all(
          indexes.slice(at, at + LOGINS_AT_ONCE).map(async (i) => {
            links[i] = await LinkClient.open(port, `u${i % OFFER_ACCOUNTS}`);
          }),
        );
      }
    }),
  );
  return links;
}

/**
 * Offers created per second: every room creates offers one after another (the next once the hub replied), each to
 * the account of the next room, until `total` were created; from the first request to the last reply.
 */
export async function offersPerSecond(links: LinkClient[], total: number): Promise<number> {
  let started = 0;
  const start = performance.now();
  await Promise.all(
    links.map(async (link, i) => {
      while (started < total) {
        started += 1;
        const reply = await link.call('offer.create', {
          sendId: randomUUID(),
          to: `u${(i + 1) % OFFER_ACCOUNTS}@${DEFAULT_DOMAIN}`,
          fileName: 'offer.bin',
          fileSize: 1000,
          sha256: randomBytes(32).toString('hex'),
        });
        if (reply.ok !== true) throw new Error(`offer.create refused: ${JSON.stringify(reply)}`);
      }
    }),
  );
  return total / secondsSince(start);
}

/**
 * Rows 14–16 (issue 16): a delivery through two hub processes on PostgreSQL and S3 next to one embedded hub,
 * offers created per second by many rooms over two processes on PostgreSQL next to one on SQLite, and the hub's
 * memory during a large body on S3. Every hub and room is its own process, except the rooms of row 15, which are
 * link clients in this process (see bench/README.md).
 */
export async function scaleRows(
  config: BenchConfig,
  files: BenchFiles,
  only: Set<number>,
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const label = sizeLabel(config.bodySize);
  const names = {
    delivery: `14. delivery ${label} through two hub processes (alice on A, bob on B; PostgreSQL + S3) vs one embedded hub`,
    offers: `15. offers created per second, ${config.scaleRooms} rooms over two hub processes on PostgreSQL vs one on SQLite`,
    memory: `16. memory: RSS growth of the hubs during a ${sizeLabel(config.memorySize)} body on S3`,
  };
  const targets = {
    delivery: SCALE_TARGETS.delivery.text,
    offers: SCALE_TARGETS.offers.text,
    memory: `< ${config.memoryLimitMiB} MiB growth over RSS at rest`,
  };

  if (only.has(14) || only.has(16)) {
    let shared: SharedSetup | null = null;
    let single: BenchCluster | null = null;
    try {
      shared = await startShared('delivery', ['alice', 'bob'], ['alice', 'bob']);
      if (only.has(14)) {
        single = await BenchCluster.start(['alice', 'bob']);
        const source = await files.file(config.bodySize);
        const two: number[] = [];
        const one: number[] = [];
        for (let run = 0; run < config.runs; run += 1) {
          await restamp(source);
          const sha256 = await sha256Of(source);
          await alternate(
            run,
            async () => void two.push(await deliver(shared!.bench, 'alice', source, sha256)),
            async () => void one.push(await deliver(single!, 'alice', source, sha256)),
          );
          log(
            `scale delivery run ${run + 1}: two processes ${fmt(two[run])} s, one embedded hub ${fmt(one[run])} s`,
          );
        }
        rows.push(
          makeRow({
            name: names.delivery,
            unit: 's',
            values: two,
            baselines: one,
            target: targets.delivery,
            meets: SCALE_TARGETS.delivery.meets,
            note:
              "from sendFile to bob's status 3, bob's copy checked; two `roomfiles hub --db … --blobs s3://…` " +
              'processes on a throwaway PostgreSQL and s3rver (8 MiB parts), alice linked to one, bob to the other; ' +
              'baseline: one `roomfiles hub` with SQLite and its directory',
          }),
        );
        await single.close();
        single = null;
      }
      if (only.has(16)) {
        const source = await files.file(config.memorySize);
        const growth: number[] = [];
        const atRest: number[] = [];
        for (let run = 0; run < config.runs; run += 1) {
          await restamp(source);
          const sha256 = await sha256Of(source);
          const pids = { a: shared.hubs[0].pid, b: shared.hubs[1].pid };
          const rest = { a: rssOf(pids.a), b: rssOf(pids.b) };
          const sampler = new RssSampler(pids);
          sampler.start(50);
          try {
            await deliver(shared.bench, 'alice', source, sha256);
          } finally {
            sampler.stop();
          }
          const grew = Math.max(sampler.peak.get('a')! - rest.a, sampler.peak.get('b')! - rest.b) / MiB;
          growth.push(grew);
          atRest.push(Math.max(rest.a, rest.b) / MiB);
          log(
            `scale memory run ${run + 1}: growth ${fmt(grew)} MiB (hub A at rest ${fmt(rest.a / MiB)} MiB)`,
          );
        }
        rows.push({
          ...makeRow({
            name: names.memory,
            unit: 'MiB',
            values: growth,
            baselines: atRest,
            target: targets.memory,
            meets: (value) => value < config.memoryLimitMiB,
            note:
              "the larger of the two hubs' peak RSS growth (sampled every 50 ms) while alice (on A) sends the body " +
              'to bob (on B) through the bucket; baseline: RSS at rest',
          }),
          ratio: null,
        });
      }
    } catch (error) {
      log(`FAILED rows 14, 16: ${error instanceof Error ? error.message : String(error)}`);
      if (only.has(14) && !rows.some((row) => row.name === names.delivery))
        rows.push(failedRow(names.delivery, 's', targets.delivery, error));
      if (only.has(16)) rows.push(failedRow(names.memory, 'MiB', targets.memory, error));
    } finally {
      await single?.close();
      await shared?.stop();
    }
  }

  if (only.has(15)) {
    let shared: SharedSetup | null = null;
    let single: BenchCluster | null = null;
    const links: LinkClient[] = [];
    try {
      const accounts = Array.from({ length: OFFER_ACCOUNTS }, (_, i) => `u${i}`);
      shared = await startShared('offers', accounts, []);
      single = new BenchCluster();
      await prepareHubData(single.cluster.hubData, accounts);
      await single.cluster.startHub();
      trackChild(single.cluster.hub!.child);
      log(`scale offers: logging in ${config.scaleRooms} rooms on each setup`);
      const twoLinks = await openLinks(
        shared.hubs.map((hub) => hub.port),
        config.scaleRooms,
      );
      links.push(...twoLinks);
      const oneLinks = await openLinks([single.cluster.hubPort], config.scaleRooms);
      links.push(...oneLinks);
      const two: number[] = [];
      const one: number[] = [];
      for (let run = 0; run < config.runs; run += 1) {
        await alternate(
          run,
          async () => void two.push(await offersPerSecond(twoLinks, config.scaleOffers)),
          async () => void one.push(await offersPerSecond(oneLinks, config.scaleOffers)),
        );
        log(
          `scale offers run ${run + 1}: two processes ${fmt(two[run])}/s, one on SQLite ${fmt(one[run])}/s`,
        );
      }
      rows.push(
        makeRow({
          name: names.offers,
          unit: 'offers/s',
          values: two,
          baselines: one,
          target: targets.offers,
          meets: SCALE_TARGETS.offers.meets,
          note:
            `${config.scaleOffers} offer.create per run from ${config.scaleRooms} rooms at once, each waiting for ` +
            `its reply before the next, each to another of ${OFFER_ACCOUNTS} accounts (all logged in); the rooms ` +
            'are link clients in the bench process (hello, login, offer.create over the link protocol), since ' +
            `${config.scaleRooms} room processes do not fit on this machine; median ${fmt(median(two))} vs ` +
            `${fmt(median(one))} offers/s`,
        }),
      );
    } catch (error) {
      log(`FAILED row 15: ${error instanceof Error ? error.message : String(error)}`);
      rows.push(failedRow(names.offers, 'offers/s', targets.offers, error));
    } finally {
      for (const link of links) link.close();
      await single?.close();
      await shared?.stop();
    }
  }
  return rows;
}
