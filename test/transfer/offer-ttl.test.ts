import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { Hub } from '../../src/hub/hub.js';
import { silentLogger } from '../../src/common/logger.js';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { CliProcess, freePort, runCli } from '../helpers/child.js';
import { Recorder, offerFile, parties, randomBody, upload, type Connection, type Party } from './support.js';

/**
 * The offer lifetime is the hub's setting (`offerTtlMs`, `roomfiles hub --offer-ttl`, room-api.md §8, default 7
 * days): a non-default one is what decides when an offer expires, for the sender and the recipient alike.
 */

const bed = new TestBed();
after(() => bed.close());

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

/** The state of every offer of a send, as the hub holds it. */
async function offerStates(hub: Hub, sendId: string): Promise<string[]> {
  return (await hub.repo.offersOfSend(sendId)).map((offer) => offer.state);
}

async function statusOf(conn: Connection, fileRequestId: string) {
  const info = await conn.call('getFileRequestInfo', { fileRequestId });
  return { status: info.status, statusReason: (info as { statusReason?: string }).statusReason };
}

test('the Hub option offerTtlMs defaults to 7 days', async () => {
  const hub = new Hub({ dataDir: bed.dir('hub-'), logger: silentLogger });
  try {
    assert.equal(hub.offerTtlMs, 7 * DAY);
  } finally {
    await hub.repo.close();
  }
});

test('offerTtlMs of 10 minutes: waiting offers (recipient online or offline) live just that long, not 7 days', async () => {
  const TTL = 10 * MINUTE;
  const clock = new ManualClock();
  const hub = await bed.hub({ accounts: ['alice', 'bob', 'carol'], clock, offerTtlMs: TTL });
  assert.equal(hub.offerTtlMs, TTL);
  // bob is online and never answers; carol has an account but no room logged in.
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const file = await upload(alice.room, alice.conn, 'short-lived.txt', randomBody(4096));
  const { sentFileRequestId: toBob } = await alice.conn.call('sendFile', {
    fileId: file.fileId,
    peerId: 'bob',
  });
  const { sentFileRequestId: toCarol } = await alice.conn.call('sendFile', {
    fileId: file.fileId,
    peerId: 'carol',
  });
  const offered = await bob.rec.waitFor('receivedFileRequest');
  const offerId = String(offered.fileRequestId);
  await alice.rec.waitFor('outgoingFileRequestSent', (m) => m.fileRequestId === toCarol);

  // One second short of the TTL: the sweep (run here and awaited) leaves both offers waiting.
  clock.advance(TTL - SECOND);
  await hub.expiry.expire();
  assert.deepEqual(await offerStates(hub, toBob), ['waiting']);
  assert.deepEqual(await offerStates(hub, toCarol), ['waiting']);
  assert.equal((await statusOf(alice.conn, toBob)).status, 1);
  assert.equal((await statusOf(alice.conn, toCarol)).status, 1);
  assert.equal((await statusOf(bob.conn, offerId)).status, 1);
  assert.deepEqual(alice.rec.statuses(toBob), []);
  assert.deepEqual(alice.rec.statuses(toCarol), []);

  // Past it (still far short of 7 days): both expire, and each side is told so.
  clock.advance(2 * SECOND);
  const bobSide = await bob.rec.waitFor(
    'fileRequestStatusChanged',
    (m) => m.fileRequestId === offerId && m.status === 0,
  );
  const aliceToBob = await alice.rec.waitFor(
    'fileRequestStatusChanged',
    (m) => m.fileRequestId === toBob && m.status === 0,
  );
  const aliceToCarol = await alice.rec.waitFor(
    'fileRequestStatusChanged',
    (m) => m.fileRequestId === toCarol && m.status === 0,
  );
  assert.equal(bobSide.statusReason, 'expired');
  assert.equal(bobSide.directionType, 0);
  assert.equal(aliceToBob.statusReason, 'expired');
  assert.equal(aliceToBob.peerId, bob.peerId);
  assert.equal(aliceToCarol.statusReason, 'expired');
  assert.equal(aliceToCarol.peerId, `carol@${hub.domain}`);
  assert.deepEqual(alice.rec.statuses(toBob), [0]);
  assert.deepEqual(alice.rec.statuses(toCarol), [0]);
  assert.deepEqual(await offerStates(hub, toBob), ['expired']);
  assert.deepEqual(await offerStates(hub, toCarol), ['expired']);
  assert.deepEqual(await statusOf(alice.conn, toBob), { status: 0, statusReason: 'expired' });
  assert.deepEqual(await statusOf(alice.conn, toCarol), { status: 0, statusReason: 'expired' });
  assert.deepEqual(await statusOf(bob.conn, offerId), { status: 0, statusReason: 'expired' });
  // Too late to accept.
  await assert.rejects(
    bob.conn.call('acceptIncomingFileRequest', { fileRequestId: offerId }),
    (error: { errorCode?: number }) => error.errorCode === 409,
  );
});

test('offerTtlMs also sets the extra period an accepted offer whose body the hub holds gets to be downloaded', async () => {
  const TTL = 10 * MINUTE;
  const clock = new ManualClock();
  const hub = await bed.hub({ accounts: ['alice', 'bob'], clock, offerTtlMs: TTL });
  const [alice] = await parties(bed, hub, ['alice']);
  // bob downloads at 256 KiB/s: the 4 MiB body is still coming when the clock moves.
  const [bob] = await parties(bed, hub, ['bob'], { maxRateBytes: 256 * 1024 });
  const body = randomBody(4 * 1024 * 1024);
  const file = await upload(alice.room, alice.conn, 'slow-download.bin', body);
  const { sendId, received: offered } = await offerFile(alice, bob, file.fileId, { peerId: 'bob' });
  const offerId = String(offered.fileRequestId);
  await bob.conn.call('acceptIncomingFileRequest', { fileRequestId: offerId });
  // alice is done once the hub holds the whole body; bob is still downloading.
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.fileRequestId === sendId && m.status === 3);
  await bob.rec.waitFor('incomingFileRequestDownloadingProgress', (m) => m.fileRequestId === offerId);

  // Past one TTL: the body is at the hub, so the accepted offer is kept.
  clock.advance(TTL + SECOND);
  await hub.expiry.expire();
  assert.deepEqual(await offerStates(hub, sendId), ['accepted']);
  assert.equal((await statusOf(bob.conn, offerId)).status, 2);

  // Past the second TTL (still far short of 7 days): it expires.
  clock.advance(TTL);
  const expired = await bob.rec.waitFor(
    'fileRequestStatusChanged',
    (m) => m.fileRequestId === offerId && m.status === 0,
  );
  assert.equal(expired.statusReason, 'expired');
  assert.deepEqual(await offerStates(hub, sendId), ['expired']);
  // The sender's request stays done: the hub had the whole body.
  assert.equal((await statusOf(alice.conn, sendId)).status, 3);
});

test('roomfiles hub --help shows --offer-ttl with its default of 7d', async () => {
  const help = await runCli(['hub', '--help']);
  assert.equal(help.code, 0, help.stderr);
  // Commander wraps long lines: read the help as one line.
  const text = help.stdout.replace(/\s+/g, ' ');
  assert.match(
    text,
    /--offer-ttl <duration> how long an offer waits \(e\.g\. 7d\) \(default: "7d", env: ROOMFILES_OFFER_TTL\)/,
  );
});

/** A `roomfiles hub` child on a fixed port and data directory, ready. */
async function hubProcess(data: string, port: number, extra: string[]): Promise<CliProcess> {
  const hub = new CliProcess(['hub', '--listen', `127.0.0.1:${port}`, '--data', data, ...extra]);
  bed.defer(() => hub.kill());
  await hub.waitForLine(/^roomfiles hub listening on 127\.0\.0\.1:\d+ /);
  return hub;
}

/** A room in this process, logged in to the hub child as `name` (password pw-<name>). */
async function roomOn(port: number, name: string): Promise<Party> {
  const room = await bed.room({
    as: name,
    server: { host: '127.0.0.1', port },
    login: { login: `${name}@files.local`, password: `pw-${name}` },
  });
  await loggedIn(room);
  const conn = await bed.connect(room);
  return {
    name,
    room,
    conn,
    rec: new Recorder(conn),
    peerId: `${name}@files.local`,
    peerDn: name.charAt(0).toUpperCase() + name.slice(1),
  };
}

test('roomfiles hub --offer-ttl 2s: a waiting offer expires close to its deadline, on both sides', async () => {
  const data = bed.dir('hub-ttl-');
  for (const name of ['alice', 'bob']) {
    const added = await runCli(['hub', 'user', 'add', name, '--password', `pw-${name}`, '--data', data]);
    assert.equal(added.code, 0, added.stderr);
  }
  const port = await freePort();
  await hubProcess(data, port, ['--offer-ttl', '2s']);
  const alice = await roomOn(port, 'alice');
  const bob = await roomOn(port, 'bob');
  const file = await upload(alice.room, alice.conn, 'gone-soon.txt', randomBody(2048));
  const { sendId, received: offered } = await offerFile(alice, bob, file.fileId, { peerId: 'bob' });
  const offerId = String(offered.fileRequestId);
  const createdAt = offered.timestamp as number;

  // Nobody answers. The hub's sweep runs ten times per TTL for a short one, so the offer ends soon after its
  // two seconds (with the default 30 s sweep it would wait up to half a minute; with 7 days, a week).
  const aliceSide = await alice.rec.waitFor(
    'fileRequestStatusChanged',
    (m) => m.fileRequestId === sendId && m.status === 0,
    15_000,
  );
  const expiredAt = Date.now();
  const bobSide = await bob.rec.waitFor(
    'fileRequestStatusChanged',
    (m) => m.fileRequestId === offerId && m.status === 0,
    15_000,
  );
  assert.ok(
    expiredAt >= createdAt + 2000,
    `expired ${expiredAt - createdAt} ms after the offer, before its TTL`,
  );
  assert.ok(expiredAt < createdAt + 10_000, `expired only ${expiredAt - createdAt} ms after the offer`);
  assert.equal(aliceSide.statusReason, 'expired');
  assert.equal(bobSide.statusReason, 'expired');
  assert.deepEqual(alice.rec.statuses(sendId), [0]);
  assert.deepEqual(bob.rec.statuses(offerId), [0]);
  assert.deepEqual(await statusOf(alice.conn, sendId), { status: 0, statusReason: 'expired' });
});
