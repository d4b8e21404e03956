import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import WebSocket from 'ws';
import { runCli } from '../helpers/child.js';
import { tempDir } from '../helpers/harness.js';
import { Cluster, downloadSha256, randomFile, uploadFile } from '../helpers/cluster.js';
import { postgresMissing, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { S3_ENV, S3Server } from '../helpers/s3.js';
import { need } from '../helpers/system.js';
import { LINK_PATH, LINK_SUBPROTOCOL } from '../../src/protocol/hub-link.js';
import { BLOB_PATH, UPLOAD_OFFSET_HEADER } from '../../src/protocol/body-routes.js';
import { PostgresCluster } from '../../src/hub/postgres-cluster.js';
import { PostgresHubRepository } from '../../src/hub/postgres-repository.js';
import { silentLogger } from '../../src/common/logger.js';
import { ManualClock } from '../../src/common/clock.js';
import { Hub } from '../../src/hub/hub.js';

/**
 * Several hub processes on one PostgreSQL database and one bucket (issue 16): real `roomfiles hub` processes on a
 * throwaway PostgreSQL cluster and s3rver, rooms and raw links on either.
 */
const missing = postgresMissing();
const dir = tempDir('roomfiles-multi-');
let pg: PgCluster | null = null;
let s3: S3Server | null = null;
let databases = 0;

before(async () => {
  if (missing) return;
  pg = await startPostgres(dir.path);
  s3 = await S3Server.start();
});

after(async () => {
  await s3?.close();
  await pg?.stop();
  dir.cleanup();
});

/** A cluster in two-hub mode on a database of its own, with accounts alice and bob, and its two hubs started. */
async function twoHubs(t: TestContext) {
  if (!need(t, missing)) return null;
  const db = `multi${++databases}`;
  pg!.createDatabase(db);
  const cluster = new Cluster();
  cluster.shared = {
    db: pg!.url(db),
    blobs: `s3://${s3!.bucket}/${db}`,
    s3Endpoint: s3!.endpoint,
    env: S3_ENV,
  };
  // The first hub migrates the empty database; accounts go in once it has.
  const a = await cluster.startSharedHub();
  await cluster.createAccounts(['alice', 'bob']);
  const b = await cluster.startSharedHub();
  t.after(() => cluster.close());
  return { cluster, a: a.port, b: b.port, db: pg!.url(db) };
}

interface RawLink {
  call(op: string, fields?: object): Promise<Record<string, unknown>>;
  pushes: Record<string, unknown>[];
  /** Resolves with the first push of this name (received already, or to come). */
  push(name: string): Promise<Record<string, unknown>>;
  closed: Promise<void>;
  close(): void;
}

/** A room's link spoken by hand (hello done), to see exactly what one process tells it. */
async function rawLink(port: number): Promise<RawLink> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}${LINK_PATH}`, LINK_SUBPROTOCOL);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const pushes: Record<string, unknown>[] = [];
  const pushWaiters = new Set<() => void>();
  const replies = new Map<number, (reply: Record<string, unknown>) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as Record<string, unknown>;
    if (typeof message.re === 'number') replies.get(message.re)?.(message);
    else {
      pushes.push(message);
      for (const wake of [...pushWaiters]) wake();
    }
  });
  const push = (name: string) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const look = () => {
        const found = pushes.find((message) => message.push === name);
        if (!found) return;
        pushWaiters.delete(look);
        resolve(found);
      };
      pushWaiters.add(look);
      look();
    });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let next = 1;
  const call = (op: string, fields: object = {}) => {
    const id = next++;
    return new Promise<Record<string, unknown>>((resolve) => {
      replies.set(id, resolve);
      socket.send(JSON.stringify({ id, op, ...fields }));
    });
  };
  const instance = Math.floor(Math.random() * 0xffffffff)
    .toString(16)
    .padStart(8, '0');
  const hello = await call('hello', { room: 'raw', instance, software: 'test' });
  assert.equal(hello.ok, true);
  return { call, pushes, push, closed, close: () => socket.close() };
}

async function headBlob(port: number, token: string): Promise<number> {
  const sha = 'a'.repeat(64);
  const response = await fetch(`http://127.0.0.1:${port}${BLOB_PATH}/${sha}?send=nothing`, {
    method: 'HEAD',
    headers: { authorization: `Bearer ${token}` },
  });
  return response.status;
}

test(
  'two hub processes on one database and bucket: alice on hub A sends to bob on hub B; the offer, the accept and the states cross over, the body is byte-identical',
  { timeout: 120_000 },
  async (t) => {
    const hubs = await twoHubs(t);
    if (!hubs) return;
    const { cluster, a, b } = hubs;
    await cluster.startRoom('alice', [], a);
    const bobRoom = await cluster.startRoom('bob', [], b);
    const alice = await cluster.connect('alice');
    const bob = await cluster.connect('bob');
    const path = join(cluster.root.path, 'file.bin');
    const sha256 = await randomFile(path, 3 * 1024 * 1024 + 17);
    const fileId = await uploadFile(
      cluster.rooms.get('alice')!.httpPort,
      alice.tokenForHttpServer,
      path,
      'f.bin',
    );

    const received = bob.waitFor('receivedFileRequest', undefined, 30_000);
    const sent = await alice.call('sendFile', { fileId, peerId: 'bob@files.local' });
    const offer = await received;
    const aliceDone = alice.waitFor(
      'fileRequestStatusChanged',
      (e) => e.fileRequestId === sent.sentFileRequestId && e.status === 3,
      60_000,
    );
    const bobDone = bob.waitFor(
      'fileRequestStatusChanged',
      (e) => e.fileRequestId === offer.fileRequestId && e.status === 3,
      60_000,
    );
    await bob.call('acceptIncomingFileRequest', { fileRequestId: offer.fileRequestId });
    await Promise.all([aliceDone, bobDone]);
    const info = await bob.call('getFileRequestInfo', { fileRequestId: offer.fileRequestId });
    assert.equal(await downloadSha256(bobRoom.httpPort, bob.tokenForHttpServer, info.fileId!), sha256);
  },
);

test(
  "a body route's bearer token given by hub A is good on hub B while its link lasts, and refused there once it closed",
  { timeout: 120_000 },
  async (t) => {
    const hubs = await twoHubs(t);
    if (!hubs) return;
    const link = await rawLink(hubs.a);
    const login = await link.call('login', { login: 'alice@files.local', password: 'pw-alice' });
    assert.equal(login.ok, true);
    const token = login.session as string;
    // No such send (404) rather than 401: the token was accepted on the other process.
    assert.equal(await headBlob(hubs.b, token), 404);
    assert.equal(await headBlob(hubs.b, 'not-a-token'), 401);
    link.close();
    await link.closed;
    // The token leaves the database as hub A notices the close: asked again until then (bounded).
    const deadline = Date.now() + 20_000;
    while ((await headBlob(hubs.b, token)) !== 401) {
      assert.ok(
        Date.now() < deadline,
        'the token is still good on hub B 20 s after its link closed on hub A',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  },
);

test(
  'the login lockout counts wrong passwords on every process: ten wrong ones spread over hubs A and B lock the account on both',
  { timeout: 120_000 },
  async (t) => {
    const hubs = await twoHubs(t);
    if (!hubs) return;
    const onA = await rawLink(hubs.a);
    const onB = await rawLink(hubs.b);
    try {
      for (let i = 0; i < 10; i++) {
        const reply = await (i % 2 ? onB : onA).call('login', {
          login: 'bob@files.local',
          password: 'wrong',
        });
        assert.equal(reply.code, 'wrong_password');
      }
      for (const link of [onA, onB]) {
        const reply = await link.call('login', { login: 'bob@files.local', password: 'pw-bob' });
        assert.equal(reply.code, 'locked', 'the right password is refused while the account is locked out');
      }
    } finally {
      onA.close();
      onB.close();
    }
  },
);

test(
  'an account locked with `roomfiles hub user set --lock --db …` logs out its rooms on every hub process',
  { timeout: 120_000 },
  async (t) => {
    const hubs = await twoHubs(t);
    if (!hubs) return;
    const onA = await rawLink(hubs.a);
    const onB = await rawLink(hubs.b);
    try {
      for (const link of [onA, onB]) {
        const reply = await link.call('login', { login: 'bob@files.local', password: 'pw-bob' });
        assert.equal(reply.ok, true);
      }
      const result = await runCli(['hub', 'user', 'set', 'bob', '--lock', '--db', hubs.db]);
      assert.equal(result.code, 0, result.stderr);
      const pushes = await Promise.all([onA.push('loggedOut'), onB.push('loggedOut')]);
      assert.deepEqual(
        pushes.map((push) => push.reason),
        ['locked', 'locked'],
      );
    } finally {
      onA.close();
      onB.close();
    }
  },
);

test(
  'expiry is claimed by one process per interval: two processes asking at once get one yes between them',
  { timeout: 120_000 },
  async (t) => {
    if (!need(t, missing)) return;
    const name = `claims${++databases}`;
    pg!.createDatabase(name);
    const repo = new PostgresHubRepository({ url: pg!.url(name) });
    const members = ['one', 'two'].map(
      (process) =>
        new PostgresCluster({ url: repo.url, process, ready: () => repo.ready(), logger: silentLogger }),
    );
    try {
      await repo.ready();
      const hour = 3_600_000;
      const first = await Promise.all(members.map((member) => member.claim('offer-expiry', hour)));
      assert.deepEqual(first.filter(Boolean).length, 1, 'exactly one process runs this interval');
      const again = await Promise.all(members.map((member) => member.claim('offer-expiry', hour)));
      assert.deepEqual(again, [false, false], 'nobody runs it again within the interval');
      // An interval of zero has always passed: the next asker runs it.
      assert.equal(await members[1].claim('offer-expiry', 0), true);
    } finally {
      for (const member of members) await member.stop();
      await repo.close();
    }
  },
);

/** A PATCH of the body routes: `first` sent at once, the rest (`more`) only when `go` is called. */
function patch(port: number, token: string, path: string, offset: number, first: Buffer) {
  let status: (code: number) => void = () => undefined;
  const answered = new Promise<number>((resolve) => (status = resolve));
  const req = request(
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
      status(response.statusCode ?? 0);
    },
  );
  req.on('error', () => status(-1));
  req.write(first);
  return { req, answered };
}

async function statsOf(cluster: Cluster, port: number) {
  const response = await fetch(`http://127.0.0.1:${port}/stats`, {
    headers: { authorization: `Bearer ${cluster.metricsToken}` },
  });
  return (await response.json()) as { receivedByBlob: Record<string, number> };
}

test(
  'one upload writer per body across processes: a second PATCH on hub B while hub A writes is refused (409); once A is cut off, B resumes from the bytes in the store and completes it',
  { timeout: 90_000 },
  async (t) => {
    const hubs = await twoHubs(t);
    if (!hubs) return;
    const { cluster, a, b } = hubs;
    const body = randomBytes(3 * 1024 * 1024);
    const sha256 = createHash('sha256').update(body).digest('hex');
    const alice = await rawLink(a);
    const bob = await rawLink(b);
    try {
      const token = (await alice.call('login', { login: 'alice@files.local', password: 'pw-alice' }))
        .session as string;
      assert.equal((await bob.call('login', { login: 'bob@files.local', password: 'pw-bob' })).ok, true);
      const sendId = randomUUID();
      const created = await alice.call('offer.create', {
        sendId,
        to: 'bob@files.local',
        fileName: 'x.bin',
        fileSize: body.length,
        sha256,
      });
      const offerId = (created.offers as { offerId: string }[])[0].offerId;
      assert.equal((await bob.call('offer.accept', { offerId })).ok, true);
      const path = `${BLOB_PATH}/${sha256}?send=${sendId}`;

      const first = patch(a, token, path, 0, body.subarray(0, 1024 * 1024));
      // Hub A holds the upload's lock once it counts bytes of it.
      const deadline = Date.now() + 30_000;
      while (!((await statsOf(cluster, a)).receivedByBlob[sha256] > 0)) {
        assert.ok(Date.now() < deadline, 'hub A never received the first bytes');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const second = patch(b, token, path, 0, body.subarray(0, 1024));
      second.req.end();
      assert.equal(await second.answered, 409, 'a second writer on another process is refused');

      // The sender's connection to A drops: A lets go of the upload, B takes it from where the store stands.
      first.req.destroy();
      let offset = -1;
      const resumeBy = Date.now() + 30_000;
      for (;;) {
        const head = await fetch(`http://127.0.0.1:${b}${path}`, {
          method: 'HEAD',
          headers: { authorization: `Bearer ${token}` },
        });
        offset = Number(head.headers.get(UPLOAD_OFFSET_HEADER));
        const rest = patch(b, token, path, offset, body.subarray(offset));
        rest.req.end();
        const code = await rest.answered;
        if (code === 204) break;
        assert.ok(Date.now() < resumeBy, `hub B never took the upload over (last answer ${code})`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(offset >= 0 && offset <= 1024 * 1024, `resumed from ${offset}`);
      const done = await fetch(`http://127.0.0.1:${a}${path}`, {
        method: 'HEAD',
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(done.headers.get(UPLOAD_OFFSET_HEADER), String(body.length), 'hub A sees it complete');
    } finally {
      alice.close();
      bob.close();
    }
  },
);

test(
  'two processes running expiry at once (one clock jump seen by both) expire an offer once: the recipient, linked to the other process, hears it once',
  { timeout: 120_000 },
  async (t) => {
    if (!need(t, missing)) return;
    const name = `expiry${++databases}`;
    pg!.createDatabase(name);
    const clock = new ManualClock();
    const hubs = ['a', 'b'].map(
      (which) =>
        new Hub({
          dataDir: join(dir.path, `${name}-${which}`),
          db: pg!.url(name),
          port: 0,
          clock,
          offerTtlMs: 3_600_000,
          logger: silentLogger,
        }),
    );
    const links: RawLink[] = [];
    try {
      for (const hub of hubs) await hub.start();
      const [hubA, hubB] = hubs as [Hub, Hub];
      await hubA.accounts.add('alice', 'pw-alice', {});
      await hubA.accounts.add('bob', 'pw-bob', {});
      const alice = await rawLink(hubA.port);
      const bob = await rawLink(hubB.port);
      links.push(alice, bob);
      assert.equal(
        (await alice.call('login', { login: 'alice@files.local', password: 'pw-alice' })).ok,
        true,
      );
      assert.equal((await bob.call('login', { login: 'bob@files.local', password: 'pw-bob' })).ok, true);
      const created = await alice.call('offer.create', {
        sendId: randomUUID(),
        to: 'bob@files.local',
        fileName: 'x.bin',
        fileSize: 10,
        sha256: 'b'.repeat(64),
      });
      assert.equal(created.ok, true);
      await bob.push('offer');

      // Both processes see the clock jump past the deadline and run their pass at the same time.
      clock.advance(2 * 3_600_000);
      await Promise.all(hubs.map((hub) => hub.expiry.expire()));
      // A marker pushed by hub A after its pass reaches bob after anything hub A pushed before it.
      hubA.registry.pushTo('bob@files.local', 'policy', { fileTransfer: true });
      await bob.push('policy');
      const expired = bob.pushes.filter((push) => push.push === 'offer.state' && push.state === 'expired');
      assert.equal(expired.length, 1, 'the offer expired once, pushed once');
    } finally {
      for (const link of links) link.close();
      for (const hub of hubs) await hub.stop();
    }
  },
);
