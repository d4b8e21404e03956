import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TestBed } from '../helpers/harness.js';
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
      .some((s) => s.sendId === parked.sendId && s.status === 0 && s.reason === 'failed'),
  );
  assert.deepEqual(await hub.bodies.list(), [], 'nothing of it is kept');
  assert.equal((await alice.call('conf.leave', { forAll: true })).ok, true);

  // Within the quota a send goes through.
  const small = randomBytes(512 * 1024);
  const sent = await offer(alice, { to: 'bob', body: small });
  assert.equal((await bob.call('offer.accept', { offerId: offerIdOf(sent) })).ok, true);
  assert.equal((await patchBody(hub.port, token, sent.sendId as string, sha256Of(small), small)).status, 204);
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
    alice.pushesNamed('send.state').some((s) => s.sendId === sent.sendId && s.status === 0),
  );
  await bob.until('offer failed', () =>
    bob.pushesNamed('offer.state').some((s) => s.offerId === offerId && s.state === 'failed'),
  );
  assert.deepEqual(await hub.bodies.list(), [], 'the partial is removed');
});
