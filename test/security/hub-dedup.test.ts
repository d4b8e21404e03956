import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TestBed } from '../helpers/harness.js';
import type { Hub } from '../../src/hub/hub.js';
import { BLOB_PATH, UPLOAD_OFFSET_HEADER } from '../../src/protocol/body-routes.js';
import { RawLink, download, hubRequest, loginToken, offer, patchBody, sha256Of } from './hub-support.js';

/**
 * Issue 12, point 2 (body theft by hash) and the dedup oracle of point 3: a send counts as uploaded only when its
 * own sender streamed the whole body and the hub verified it. An account that knows only a body's sha256 and size
 * gets none of its bytes to anyone, and sees nothing that tells whether another account uploaded it.
 */

const bed = new TestBed();
after(() => bed.close());

function link(hub: Hub): RawLink {
  const raw = new RawLink(hub.port);
  bed.defer(() => raw.close());
  return raw;
}

interface Party {
  link: RawLink;
  token: string;
}

async function party(hub: Hub, name: string): Promise<Party> {
  const raw = link(hub);
  return { link: raw, token: await loginToken(raw, name) };
}

function sendState(p: Party, sendId: string, status: number) {
  return p.link
    .until(`send.state ${status} of ${sendId}`, () =>
      p.link.pushesNamed('send.state').some((s) => s.sendId === sendId && s.status === status),
    )
    .then(() => p.link.pushesNamed('send.state').find((s) => s.sendId === sendId && s.status === status)!);
}

/** Bob sends `body` to carol, carol accepts, bob uploads it whole: the hub holds the verified body. */
async function bodyHeldForBob(hub: Hub, bob: Party, carol: Party, body: Buffer) {
  const sent = await offer(bob.link, { to: 'carol', body });
  assert.equal(sent.ok, true, JSON.stringify(sent));
  const offerId = (sent.offers as { offerId: string }[])[0].offerId;
  assert.equal((await carol.link.call('offer.accept', { offerId })).ok, true);
  const put = await patchBody(hub.port, bob.token, sent.sendId as string, sha256Of(body), body);
  assert.equal(put.status, 204);
  assert.equal(await hub.bodies.isComplete(sha256Of(body)), true);
  return { offerId, sendId: sent.sendId as string };
}

test('a send claiming a body another account uploaded gets none of its bytes to its recipient', async () => {
  const hub = await bed.hub({ accounts: ['bob', 'carol', 'mallory', 'eve'] });
  const [bob, carol, mallory, eve] = await Promise.all(
    ['bob', 'carol', 'mallory', 'eve'].map((name) => party(hub, name)),
  );
  const secret = randomBytes(256 * 1024);
  const sha = sha256Of(secret);
  const forCarol = await bodyHeldForBob(hub, bob, carol, secret);

  // Mallory knows only the sha256 and the size, and offers them to her accomplice eve, who accepts.
  const claimed = await offer(mallory.link, { to: 'eve', sha256: sha, fileSize: secret.length });
  assert.equal(claimed.ok, true, JSON.stringify(claimed));
  const sendId = claimed.sendId as string;
  const offerId = (claimed.offers as { offerId: string }[])[0].offerId;
  assert.equal((await eve.link.call('offer.accept', { offerId })).ok, true);
  const accepted = await sendState(mallory, sendId, 2);
  assert.equal(accepted.held, 0, "the hub holds none of mallory's bytes");

  const head = await hubRequest(hub.port, 'HEAD', `${BLOB_PATH}/${sha}?send=${sendId}`, {
    authorization: `Bearer ${mallory.token}`,
  });
  assert.equal(head.headers[UPLOAD_OFFSET_HEADER], '0');
  assert.equal(head.headers['blob-complete'], '0');

  // Eve starts downloading: she may only follow mallory's own bytes, which are not the secret.
  const eveGets = download(hub.port, eve.token, sha, offerId);
  const garbage = randomBytes(secret.length);
  const put = await patchBody(hub.port, mallory.token, sendId, sha, garbage);
  assert.equal(put.status, 422, 'the lie fails its check at its last byte');
  // Whatever of it eve got (her room's sha256 check refuses it), it is mallory's bytes, not one of the secret's.
  const got = await eveGets;
  assert.deepEqual(got.bytes, garbage.subarray(0, got.bytes.length), 'eve got only what mallory sent');
  const failed = await sendState(mallory, sendId, 0);
  assert.equal(failed.reason, 'failed');
  await eve.link.until('offer failed', () =>
    eve.link.pushesNamed('offer.state').some((s) => s.offerId === offerId && s.state === 'failed'),
  );

  // Bob's own send is untouched by mallory's failed upload: carol gets the whole body.
  const carolGets = await download(hub.port, carol.token, sha, forCarol.offerId);
  assert.equal(carolGets.whole, true);
  assert.deepEqual(carolGets.bytes, secret);
});

test('a conference send made alone sees the same for a hash another account uploaded as for an unknown one', async () => {
  const hub = await bed.hub({ accounts: ['bob', 'carol', 'mallory'] });
  const [bob, carol, mallory] = await Promise.all(
    ['bob', 'carol', 'mallory'].map((name) => party(hub, name)),
  );
  const secret = randomBytes(64 * 1024);
  await bodyHeldForBob(hub, bob, carol, secret);

  assert.equal(
    (await mallory.link.call('conf.create', { title: 'Alone', confType: 1, invite: [] })).ok,
    true,
  );
  const known = await offer(mallory.link, {
    conference: true,
    sha256: sha256Of(secret),
    fileSize: secret.length,
  });
  const unknown = await offer(mallory.link, {
    conference: true,
    sha256: sha256Of(randomBytes(64 * 1024)),
    fileSize: secret.length,
  });
  assert.equal(known.ok, true);
  assert.equal(unknown.ok, true);
  const sync = await mallory.link.call('sync');
  const sends = sync.sends as { sendId: string; status: number; held: number }[];
  const stateOf = (sendId: unknown) => {
    const state = sends.find((s) => s.sendId === sendId)!;
    return { status: state.status, held: state.held };
  };
  assert.deepEqual(stateOf(known.sendId), { status: 2, held: 0 }, 'not "uploaded at once"');
  assert.deepEqual(stateOf(known.sendId), stateOf(unknown.sendId));
  assert.deepEqual(mallory.link.pushesNamed('send.state'), [], 'no status 3 pushed');
  const head = await hubRequest(
    hub.port,
    'HEAD',
    `${BLOB_PATH}/${sha256Of(secret)}?send=${known.sendId as string}`,
    { authorization: `Bearer ${mallory.token}` },
  );
  assert.equal(head.headers[UPLOAD_OFFSET_HEADER], '0', 'the hub holds none of her bytes');
  assert.equal(head.headers['blob-complete'], '0');
});

test('an account that has the bytes streams them whole once; its next send of them is not uploaded again', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob', 'carol', 'dave'] });
  const [alice, bob, carol, dave] = await Promise.all(
    ['alice', 'bob', 'carol', 'dave'].map((name) => party(hub, name)),
  );
  const body = randomBytes(200 * 1024);
  const sha = sha256Of(body);
  await bodyHeldForBob(hub, bob, carol, body);
  const before = hub.stats.bytesReceived;

  const first = await offer(alice.link, { to: 'dave', body });
  const firstOffer = (first.offers as { offerId: string }[])[0].offerId;
  assert.equal((await dave.link.call('offer.accept', { offerId: firstOffer })).ok, true);
  assert.equal((await sendState(alice, first.sendId as string, 2)).held, 0);
  const put = await patchBody(hub.port, alice.token, first.sendId as string, sha, body);
  assert.equal(put.status, 204);
  assert.equal(put.headers[UPLOAD_OFFSET_HEADER], String(body.length));
  await sendState(alice, first.sendId as string, 3);
  assert.equal(hub.stats.bytesReceived - before, body.length, "alice's bytes were received in full");
  assert.deepEqual(await hub.bodies.list(), [sha], 'stored once');
  const daveGets = await download(hub.port, dave.token, sha, firstOffer);
  assert.deepEqual(daveGets.bytes, body);

  // Alice's second send of the same bytes (to carol) is done without a new upload: she proved she holds them.
  const second = await offer(alice.link, { to: 'carol', body });
  const secondOffer = (second.offers as { offerId: string }[])[0].offerId;
  assert.equal((await carol.link.call('offer.accept', { offerId: secondOffer })).ok, true);
  await sendState(alice, second.sendId as string, 3);
  assert.equal(hub.stats.bytesReceived - before, body.length, 'not uploaded again');
});
