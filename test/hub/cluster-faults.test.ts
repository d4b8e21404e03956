import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import type { Hub, HubOptions } from '../../src/hub/hub.js';
import type { BlobStore } from '../../src/hub/blob-store.js';
import { DirectoryBlobStore } from '../../src/hub/directory-blob-store.js';
import { ManualClock } from '../../src/common/clock.js';
import { PUSH_CHANNEL } from '../../src/hub/postgres-migrations.js';
import { S3BlobStore } from '../../src/hub/s3-blob-store.js';
import { BLOB_PATH, UPLOAD_OFFSET_HEADER, BLOB_COMPLETE_HEADER } from '../../src/protocol/body-routes.js';
import { TestBed } from '../helpers/harness.js';
import { eventually } from '../helpers/http.js';
import { postgresMissing, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { S3Server } from '../helpers/s3.js';
import { need } from '../helpers/system.js';
import { waitFor, withTimeout } from '../helpers/wait.js';
import { RawLink } from '../transfer/support.js';

/**
 * Two hub processes on one PostgreSQL database and one bucket, each losing one of its database connections on
 * purpose (pg_terminate_backend): the hubs are in this process, so the test can name their connections.
 */
const missing = postgresMissing();
const bed = new TestBed();
let pgCluster: PgCluster | null = null;
let s3: S3Server | null = null;
let databases = 0;

before(async () => {
  if (missing) return;
  pgCluster = await startPostgres(bed.dir('roomfiles-pg-'));
  s3 = await S3Server.start();
});

after(async () => {
  await bed.close();
  await s3?.close();
  await pgCluster?.stop();
});

/** Small parts, stored at once: a test sees bytes become durable within milliseconds. */
const PART = 64 * 1024;

function bucketStore(prefix: string): S3BlobStore {
  return new S3BlobStore({
    client: s3!.client(),
    bucket: s3!.bucket,
    prefix: `${prefix}/`,
    partSize: PART,
    flushAfterMs: 20,
    followPollMs: 50,
  });
}

interface TwoHubs {
  a: Hub;
  b: Hub;
  store: BlobStore;
  url: string;
  gate: Gate | null;
}

/** Hubs A and B on a database and a bucket prefix of their own, with accounts alice and bob. */
async function twoHubs(
  t: TestContext,
  options: {
    gateB?: boolean;
    /** Where the bodies are: the bucket (default), or one directory both processes use. */
    store?: 'bucket' | 'directory';
    /** Every body removal either process makes, in order. */
    removals?: string[];
    /** Every upload either process drops, in order. */
    discards?: string[];
    hub?: Partial<HubOptions>;
  } = {},
) {
  if (!need(t, missing)) return null;
  const name = `faults${++databases}`;
  pgCluster!.createDatabase(name);
  const url = pgCluster!.url(name);
  const directory = bed.dir('roomfiles-blobs-');
  const storeOf = (): BlobStore => {
    const store = options.store === 'directory' ? new DirectoryBlobStore(directory) : bucketStore(name);
    const discards = options.discards;
    if (discards) {
      const discard = store.discard.bind(store);
      store.discard = async (upload) => {
        discards.push(`${upload.sha256}.${upload.uploader}`);
        await discard(upload);
      };
    }
    const removals = options.removals;
    if (removals) {
      const remove = store.remove.bind(store);
      store.remove = async (sha256, keep) => {
        removals.push(sha256);
        await remove(sha256, keep);
      };
    }
    return store;
  };
  const store = storeOf();
  const a = await bed.hub({ ...options.hub, db: url, blobStore: store, accounts: ['alice', 'bob'] });
  let gate: Gate | null = null;
  if (options.gateB) {
    gate = new Gate(new URL(url));
    bed.defer(() => gate!.close());
  }
  const b = await bed.hub({ ...options.hub, db: gate ? await gate.start() : url, blobStore: storeOf() });
  return { a, b, store, url, gate } satisfies TwoHubs;
}

/**
 * A TCP relay in front of PostgreSQL for one hub process, which can hold new connections back: a process that lost
 * a connection behind it cannot get another until `open()` (its other connections keep working).
 */
class Gate {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  readonly held: Socket[] = [];
  private shut = false;

  constructor(private readonly target: URL) {}

  async start(): Promise<string> {
    const server = (this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      if (this.shut) {
        socket.pause();
        this.held.push(socket);
      } else this.relay(socket);
    }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(this.target);
    url.port = String((server.address() as { port: number }).port);
    return url.toString();
  }

  private relay(socket: Socket): void {
    const upstream = connect(Number(this.target.port), this.target.hostname);
    this.sockets.add(upstream);
    upstream.on('close', () => this.sockets.delete(upstream));
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    socket.pipe(upstream).pipe(socket);
    socket.resume();
  }

  hold(): void {
    this.shut = true;
  }

  open(): void {
    this.shut = false;
    for (const socket of this.held.splice(0)) this.relay(socket);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Ends the backends of this hub process's connections named `<application_name>`; resolves to how many. */
async function terminate(url: string, applicationName: string): Promise<number> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const result = await admin.query<{ ended: boolean }>(
      'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );
    return result.rows.filter((row) => row.ended).length;
  } finally {
    await admin.end();
  }
}

/** alice (on hub A) offers bob (on hub B) a body; bob accepts. */
async function acceptedSend(hubs: TwoHubs, body: Buffer) {
  const alice = await RawLink.open(bed, hubs.a);
  const bob = await RawLink.open(bed, hubs.b);
  const token = String((await alice.login('alice')).session);
  const bobToken = String((await bob.login('bob', 'b0b0b0b0')).session);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const sendId = randomUUID();
  const created = await alice.request('offer.create', {
    sendId,
    to: 'bob@files.local',
    fileName: 'x.bin',
    fileSize: body.length,
    sha256,
  });
  const offerId = (created.offers as { offerId: string }[])[0].offerId;
  assert.equal((await bob.request('offer.accept', { offerId })).ok, true);
  return { alice, bob, token, bobToken, sha256, sendId, offerId };
}

/** A PATCH of the body routes whose body is written by the test, piece by piece; `answer` is its response. */
function openPatch(port: number, token: string, path: string, offset: number) {
  let req!: ReturnType<typeof request>;
  const answer = new Promise<{ status: number; offset: number | null }>((resolve, reject) => {
    req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'PATCH',
        path,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/offset+octet-stream',
          [UPLOAD_OFFSET_HEADER]: String(offset),
        },
      },
      (response) => {
        response.resume();
        const held = response.headers[UPLOAD_OFFSET_HEADER];
        resolve({ status: response.statusCode ?? 0, offset: held === undefined ? null : Number(held) });
      },
    );
    req.on('error', reject);
  });
  // A test that fails before it awaits the answer must not leave its rejection unhandled.
  answer.catch(() => undefined);
  return { req, answer };
}

/** Looks again until `check` holds (the bucket has no events to wait on); fails after 20 s. */
const until = (what: string, check: () => Promise<boolean>) => eventually(check, what, 20_000);

async function head(port: number, token: string, path: string) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'HEAD',
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    held: Number(response.headers.get(UPLOAD_OFFSET_HEADER)),
    complete: response.headers.get(BLOB_COMPLETE_HEADER) === '1',
  };
}

test(
  'an upload writer whose advisory-lock connection is killed stops at once: its PATCH fails (503, the durable offset), nothing more is appended, and the upload resumes through the other process from that byte',
  { timeout: 60_000 },
  async (t) => {
    const hubs = await twoHubs(t);
    if (!hubs) return;
    const body = randomBytes(1024 * 1024);
    const send = await acceptedSend(hubs, body);
    const path = `${BLOB_PATH}/${send.sha256}?send=${send.sendId}`;
    const upload = { sha256: send.sha256, uploader: 'alice' };

    const writing = openPatch(hubs.a.port, send.token, path, 0);
    writing.req.write(body.subarray(0, 4 * PART));
    // The first bytes are durable in the bucket: hub A holds the upload's lock and is writing.
    await until('the first bytes stored by hub A', async () => (await hubs.store.held(upload)) >= 4 * PART);

    assert.equal(await terminate(hubs.url, `roomfiles-cluster-${hubs.a.hubId}-locks`), 1);
    // The sender keeps its request open: the writer must stop by itself, not wait for the request to end.
    const answered = await withTimeout(writing.answer, "hub A's answer after losing its lock", 20_000);
    assert.equal(answered.status, 503, 'the upload failed cleanly');
    const durable = await hubs.store.held(upload);
    assert.equal(answered.offset, durable, 'the offset given is the last durable byte');
    assert.ok(durable >= 4 * PART && durable < body.length, `durable ${durable}`);

    // Bytes the sender goes on writing to the dead request are never appended.
    writing.req.write(body.subarray(4 * PART, 8 * PART), () => undefined);
    writing.req.on('error', () => undefined);

    // The room retries (here through hub B): from the offset held, to the end, verified.
    const where = await head(hubs.b.port, send.token, path);
    assert.equal(where.held, durable);
    const rest = openPatch(hubs.b.port, send.token, path, durable);
    rest.req.end(body.subarray(durable));
    assert.equal((await rest.answer).status, 204);
    const done = await head(hubs.a.port, send.token, path);
    assert.deepEqual(done, { held: body.length, complete: true }, 'the body is whole and verified');
  },
);

test(
  "pushes sent while a process's LISTEN connection was down (its backend terminated) reach the rooms on it once it listens again",
  { timeout: 60_000 },
  async (t) => {
    const hubs = await twoHubs(t, { gateB: true });
    if (!hubs) return;
    const gate = hubs.gate!;
    const alice = await RawLink.open(bed, hubs.a);
    const bob = await RawLink.open(bed, hubs.b);
    await alice.login('alice');
    await bob.login('bob', 'b0b0b0b0');

    // Someone else listening on the channel tells the test when hub A's push has been sent.
    const watcher = new pg.Client({ connectionString: hubs.url });
    await watcher.connect();
    bed.defer(() => watcher.end());
    const sent: string[] = [];
    watcher.on('notification', (message) => sent.push(message.payload ?? ''));
    await watcher.query(`LISTEN ${pg.escapeIdentifier(PUSH_CHANNEL)}`);

    gate.hold();
    assert.equal(await terminate(hubs.url, `roomfiles-cluster-${hubs.b.hubId}-listen`), 1);
    // Hub B noticed, and is trying to listen again: held back at the gate.
    await waitFor('hub B reconnecting', () => (gate.held.length > 0 ? true : undefined));

    const sendId = randomUUID();
    const created = await alice.request('offer.create', {
      sendId,
      to: 'bob@files.local',
      fileName: 'missed.bin',
      fileSize: 10,
      sha256: 'c'.repeat(64),
    });
    assert.equal(created.ok, true);
    await waitFor('the offer handed over by hub A', () =>
      sent.some((payload) => payload.includes(sendId) || payload.includes('missed.bin')) ? true : undefined,
    );
    assert.equal(
      bob.pushes.filter((push) => push.push === 'offer').length,
      0,
      'hub B was not listening when it was sent',
    );

    gate.open();
    const offer = await waitFor('the missed offer on hub B', () =>
      bob.pushes.find((push) => push.push === 'offer'),
    );
    assert.equal((offer.offer as { fileName: string }).fileName, 'missed.bin');
    // Delivered once: a later push arrives after it, and no second copy came.
    hubs.a.registry.pushTo('bob@files.local', 'policy', { fileTransfer: true });
    await waitFor('a later push', () => bob.pushes.find((push) => push.push === 'policy'));
    assert.equal(bob.pushes.filter((push) => push.push === 'offer').length, 1);
  },
);

/** A download of the body routes, read as it comes: what arrived, and how it ended. */
function openGet(port: number, token: string, path: string) {
  const got = { bytes: 0, ended: null as null | 'end' | 'error' };
  const wakes = new Set<() => void>();
  const wake = () => wakes.forEach((fn) => fn());
  const req = request(
    { host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${token}` } },
    (response) => {
      response.on('data', (chunk: Buffer) => {
        got.bytes += chunk.length;
        wake();
      });
      response.on('end', () => ((got.ended ??= 'end'), wake()));
      response.on('error', () => ((got.ended ??= 'error'), wake()));
      response.on('aborted', () => ((got.ended ??= 'error'), wake()));
    },
  );
  req.on('error', () => ((got.ended ??= 'error'), wake()));
  req.end();
  bed.defer(() => void req.destroy());
  return { got, wakes };
}

const HOUR = 3_600_000;

for (const where of ['bucket', 'directory'] as const) {
  test(
    `two processes running expiry and garbage collection at once (one clock jump seen by both) remove nothing in use, and remove the body once, when its last upload and download end (${where})`,
    { timeout: 60_000 },
    async (t) => {
      const clock = new ManualClock();
      const removals: string[] = [];
      const hubs = await twoHubs(t, {
        store: where,
        removals,
        hub: { clock, offerTtlMs: HOUR, partialIdleMs: HOUR },
      });
      if (!hubs) return;
      const body = randomBytes(1024 * 1024);
      const send = await acceptedSend(hubs, body);
      const upload = { sha256: send.sha256, uploader: 'alice' };

      // alice uploads through hub A (a request still open), bob downloads through hub B as it arrives.
      const writing = openPatch(
        hubs.a.port,
        send.token,
        `${BLOB_PATH}/${send.sha256}?send=${send.sendId}`,
        0,
      );
      writing.req.write(body.subarray(0, 4 * PART));
      await until('the first bytes stored', async () => (await hubs.store.held(upload)) >= 4 * PART);
      const reading = openGet(
        hubs.b.port,
        send.bobToken,
        `${BLOB_PATH}/${send.sha256}?offer=${send.offerId}`,
      );
      await waitFor('the first bytes downloaded', () => (reading.got.bytes > 0 ? true : undefined), {
        wake: reading.wakes,
      });

      // Past every deadline at once, on both processes: the offer expires, its body is needed no more.
      clock.advance(3 * HOUR);
      await Promise.all([
        hubs.a.expiry.expire(),
        hubs.b.expiry.expire(),
        hubs.a.staleUploads.sweep(),
        hubs.b.staleUploads.sweep(),
      ]);
      await waitFor("the expiry on bob's link", () =>
        send.bob.pushes.find((push) => push.push === 'offer.state' && push.state === 'expired'),
      );
      // The download ends (nothing needs the body), the upload's bytes are all still there for its writer.
      await waitFor('the download to end', () => reading.got.ended ?? undefined, { wake: reading.wakes });
      assert.equal(await hubs.store.held(upload), 4 * PART, 'nothing was taken from under the upload');
      assert.deepEqual(removals, [], 'nothing removed while in use');

      // Still writing: its bytes go on where they were (one writer, an intact upload).
      writing.req.write(body.subarray(4 * PART, 8 * PART));
      await until('more bytes stored', async () => (await hubs.store.held(upload)) >= 8 * PART);
      clock.advance(3 * HOUR);
      await Promise.all([hubs.a.staleUploads.sweep(), hubs.b.staleUploads.sweep()]);
      await Promise.all([hubs.a.staleUploads.sweep(), hubs.b.staleUploads.sweep()]);
      assert.equal(await hubs.store.held(upload), 8 * PART, 'the sweeps never take an upload being written');

      // The upload ends: the last user out removes the body, once, whatever the sweeps do next.
      writing.req.end();
      await writing.answer;
      await until('the body removed', async () => !(await hubs.store.list()).includes(send.sha256));
      clock.advance(3 * HOUR);
      await Promise.all([hubs.a.staleUploads.sweep(), hubs.b.staleUploads.sweep()]);
      await Promise.all([hubs.a.expiry.expire(), hubs.b.expiry.expire()]);
      assert.deepEqual(removals, [send.sha256], 'removed once');
      assert.equal(await hubs.store.held(upload), 0);
      assert.equal(await hubs.store.has(send.sha256), false);
    },
  );
}

test(
  'two processes sweeping stale partials at once (a clock jump past the idle time) leave alone an upload a writer holds on either, and drop it once when the writer is gone: its send fails once',
  { timeout: 60_000 },
  async (t) => {
    const clock = new ManualClock();
    const discards: string[] = [];
    const hubs = await twoHubs(t, { discards, hub: { clock, partialIdleMs: HOUR } });
    if (!hubs) return;
    const body = randomBytes(1024 * 1024);
    const send = await acceptedSend(hubs, body);
    const upload = { sha256: send.sha256, uploader: 'alice' };
    const sweepBoth = () => Promise.all([hubs.a.staleUploads.sweep(), hubs.b.staleUploads.sweep()]);

    // alice's upload through hub A stalls with its request open: the writer holds the upload.
    const writing = openPatch(hubs.a.port, send.token, `${BLOB_PATH}/${send.sha256}?send=${send.sendId}`, 0);
    writing.req.write(body.subarray(0, 4 * PART));
    await until('the first bytes stored', async () => (await hubs.store.held(upload)) >= 4 * PART);
    await sweepBoth();
    clock.advance(2 * HOUR);
    await sweepBoth();
    await sweepBoth();
    assert.deepEqual(discards, [], 'an upload a writer holds is not stale, on any process');
    assert.equal(await hubs.store.held(upload), 4 * PART);

    // The sender goes away: no one holds the upload any more, and it stays idle past the limit.
    writing.req.destroy();
    await writing.answer.catch(() => undefined);
    await until('hub A to let go of the upload', async () => {
      await sweepBoth();
      clock.advance(2 * HOUR);
      await sweepBoth();
      return discards.length > 0;
    });
    await sweepBoth();
    assert.deepEqual(discards, [`${send.sha256}.alice`], 'dropped once');
    assert.equal(await hubs.store.held(upload), 0);
    await waitFor("the failure on bob's link", () =>
      send.bob.pushes.find((push) => push.push === 'offer.state' && push.state === 'failed'),
    );
    assert.equal(
      send.bob.pushes.filter((push) => push.push === 'offer.state' && push.state === 'failed').length,
      1,
      'failed once',
    );
  },
);
