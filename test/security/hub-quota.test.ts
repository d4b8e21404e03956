import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { captureLogger, LOG_LEVEL } from '../helpers/log-capture.js';
import { Recorder, upload } from '../transfer/support.js';
import { RoomClient, TransferFailedError, untilDelivered } from '../../src/client/index.js';
import { runCli } from '../helpers/child.js';
import { ManualClock } from '../../src/common/clock.js';
import { RawLink, loginToken, offer, patchBody, sha256Of, type Reply } from './hub-support.js';

/**
 * Issue 12, point 8 (disk without quota): an account alone in a conference parked 300 MiB of partial bodies nobody
 * asked for, kept until the 7-day expiry. Now each account may hold at most its quota (10 GiB unless `roomfiles hub
 * user set NAME --quota SIZE` says otherwise): an upload that would pass it fails its send on every side with the
 * reason; and a partial upload with no new byte for 24 h (configurable) is removed and its send fails.
 */

const bed = new TestBed();
after(() => bed.close());

const offerIdOf = (sent: Reply) => (sent.offers as { offerId: string }[])[0].offerId;

test('roomfiles hub user set --quota bounds what an account holds: the send over it fails with the reason', async () => {
  const dataDir = bed.dir('hub-');
  assert.equal(
    (await runCli(['hub', 'user', 'add', 'alice', '--password', 'pw-alice', '--data', dataDir])).code,
    0,
  );
  const set = await runCli(['hub', 'user', 'set', 'alice', '--quota', '1MiB', '--data', dataDir]);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /quota 1048576 bytes/);
  const hub = await bed.hub({ dataDir, accounts: ['bob'] });
  const alice = new RawLink(hub.port);
  const bob = new RawLink(hub.port);
  bed.defer(() => alice.close());
  bed.defer(() => bob.close());
  const token = await loginToken(alice, 'alice');
  await loginToken(bob, 'bob');

  // Alone in a conference, parking a body nobody asked for: over the quota, refused before a byte is kept.
  assert.equal((await alice.call('conf.create', { title: 'Alone', confType: 1, invite: [] })).ok, true);
  const big = randomBytes(2 << 20);
  const parked = await offer(alice, { conference: true, body: big });
  const put = await patchBody(hub.port, token, parked.sendId as string, sha256Of(big), big);
  assert.equal(put.status, 507);
  assert.match(JSON.parse(put.body.toString()).error, /over quota/);
  await alice.until('send failed', () =>
    alice
      .pushesNamed('send.state')
      .some(
        (s) =>
          s.sendId === parked.sendId &&
          s.status === 0 &&
          s.reason === 'failed' &&
          /^over quota: /.test(String(s.detail)),
      ),
  );
  assert.deepEqual(await hub.bodies.list(), [], 'nothing of it is kept');
  assert.equal((await alice.call('conf.leave', { forAll: true })).ok, true);

  // Within the quota a send goes through.
  const small = randomBytes(512 * 1024);
  const sent = await offer(alice, { to: 'bob', body: small });
  assert.equal((await bob.call('offer.accept', { offerId: offerIdOf(sent) })).ok, true);
  assert.equal((await patchBody(hub.port, token, sent.sendId as string, sha256Of(small), small)).status, 204);
});

test('a room over its quota: status 0 "failed", and the reason in getFileRequestInfo and in the room\'s log', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  await hub.accounts.update('alice', { quota: 1 << 20 });
  const aliceLog = captureLogger('info');
  const aliceRoom = await bed.room({ hub, as: 'alice', logger: aliceLog.logger });
  const bobRoom = await bed.room({ hub, as: 'bob' });
  await Promise.all([loggedIn(aliceRoom), loggedIn(bobRoom)]);
  const alice = await bed.connect(aliceRoom);
  const bob = await bed.connect(bobRoom);
  const aliceEvents = new Recorder(alice);
  const bobEvents = new Recorder(bob);

  const file = await upload(aliceRoom, alice, 'too-big.bin', randomBytes(2 << 20));
  const sent = await alice.call('sendFile', { fileId: file.fileId, peerId: 'bob' });
  const fileRequestId = String(sent.sentFileRequestId);
  const offered = await bobEvents.waitFor('receivedFileRequest');
  await bob.call('acceptIncomingFileRequest', { fileRequestId: String(offered.fileRequestId) });

  const failed = await aliceEvents.waitFor(
    'fileRequestStatusChanged',
    (m) => m.fileRequestId === fileRequestId && m.status === 0,
    30_000,
  );
  assert.equal(failed.statusReason, 'failed');
  assert.match(String(failed.statusReasonText), /^over quota: .*its quota is 1048576 bytes$/);
  const info = await alice.call('getFileRequestInfo', { fileRequestId });
  assert.equal(info.status, 0);
  assert.equal(info.statusReason, 'failed');
  assert.equal(info.statusReasonText, failed.statusReasonText);
  const logged = await aliceLog.waitFor(
    (line) => line.level >= LOG_LEVEL.warn && /over quota/.test(String(line.msg)),
    "the quota refusal in the sender room's log",
  );
  assert.equal(logged.fileRequestId, fileRequestId);
  // The recipient's side fails too, and nothing of the body stays at the hub.
  await bobEvents.waitFor('fileRequestStatusChanged', (m) => m.status === 0, 30_000);
  assert.deepEqual(await hub.bodies.list(), []);

  // The SDK (what `roomfiles send --wait` uses) says it too: the failure's message ends with the reason.
  const client = await RoomClient.connect({ port: aliceRoom.apiPort });
  bed.defer(() => client.close());
  const mark = bobEvents.mark();
  const delivered = untilDelivered(
    client,
    async () => (await client.sendFile({ fileId: file.fileId, peerId: 'bob' })).sentFileRequestId,
  );
  delivered.catch(() => undefined);
  const second = await bobEvents.next(mark, 'receivedFileRequest');
  await bob.call('acceptIncomingFileRequest', { fileRequestId: String(second.fileRequestId) });
  await assert.rejects(delivered, (error: Error) => {
    assert.ok(error instanceof TransferFailedError);
    assert.match(error.message, /^the transfer of too-big\.bin to bob@files\.local failed: over quota: /);
    assert.match(String(error.statusReasonText), /^over quota: /);
    return true;
  });

  // The text is kept with the request: a restarted room shows it still.
  await aliceRoom.stop();
  const again = await bed.room({ hub, as: 'alice', dataDir: aliceRoom.options.dataDir });
  const info2 = await (await bed.connect(again)).call('getFileRequestInfo', { fileRequestId });
  assert.equal(info2.statusReasonText, failed.statusReasonText);
});

test('a partial upload with no new byte for 24 h is removed and its send fails on both sides', async () => {
  const clock = new ManualClock();
  const hub = await bed.hub({ accounts: ['alice', 'bob'], clock });
  const alice = new RawLink(hub.port);
  const bob = new RawLink(hub.port);
  bed.defer(() => alice.close());
  bed.defer(() => bob.close());
  const token = await loginToken(alice, 'alice');
  await loginToken(bob, 'bob');
  const body = randomBytes(1 << 20);
  const sha = sha256Of(body);
  const sent = await offer(alice, { to: 'bob', body });
  const offerId = offerIdOf(sent);
  assert.equal((await bob.call('offer.accept', { offerId })).ok, true);
  // The first 100,000 bytes arrive, then nothing more.
  const part = await patchBody(hub.port, token, sent.sendId as string, sha, body.subarray(0, 100_000));
  assert.equal(part.status, 204);
  assert.equal(part.headers['upload-offset'], '100000');
  await hub.staleUploads.sweep();

  clock.advance(23 * 3_600_000);
  await hub.staleUploads.sweep();
  assert.deepEqual(await hub.bodies.list(), [sha], 'kept within the 24 hours');
  clock.advance(3_600_001);
  await alice.until('send failed', () =>
    alice
      .pushesNamed('send.state')
      .some(
        (s) => s.sendId === sent.sendId && s.status === 0 && /no new byte for 24 h/.test(String(s.detail)),
      ),
  );
  await bob.until('offer failed', () =>
    bob.pushesNamed('offer.state').some((s) => s.offerId === offerId && s.state === 'failed'),
  );
  assert.deepEqual(await hub.bodies.list(), [], 'the partial is removed');
});
