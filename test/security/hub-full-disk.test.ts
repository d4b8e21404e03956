import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Readable } from 'node:stream';
import { TestBed } from '../helpers/harness.js';
import { CliProcess, freePort, runCli } from '../helpers/child.js';
import { need } from '../helpers/system.js';
import { onSmallDisk, seenFromOutside, smallDiskMissing } from '../helpers/small-disk.js';
import { DirectoryBlobStore } from '../../src/hub/directory-blob-store.js';
import type { UploadRef } from '../../src/hub/blob-store.js';
import { RawLink, download, loginToken, offer, patchBody, sha256Of } from './hub-support.js';

/**
 * Issue 12, point 9, the hub's side: a store with no room (ENOSPC, EDQUOT) used to leave both sides in status 2 for
 * good, reported as "sender went away" at debug level. Now the send fails for the sender and every recipient at
 * once, logged at error level, what it held is dropped, and the next send works as soon as there is room again.
 * The full disk is injected under the directory store, where the system's ENOSPC comes from.
 */

const bed = new TestBed();
after(() => bed.close());

/** The directory store on a disk that fills after `room` bytes of appends while `full` is set. */
class FillingStore extends DirectoryBlobStore {
  full = true;
  room = 100_000;

  override append(
    upload: UploadRef,
    offset: number,
    chunks: Readable | AsyncIterable<Buffer>,
    onHeld: (chunk: Buffer) => void,
  ): Promise<number> {
    if (!this.full) return super.append(upload, offset, chunks, onHeld);
    let written = 0;
    const room = this.room;
    async function* untilFull() {
      for await (const chunk of chunks) {
        const bytes = chunk as Buffer;
        if (written + bytes.length > room) {
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        }
        written += bytes.length;
        yield bytes;
      }
    }
    return super.append(upload, offset, untilFull(), onHeld);
  }
}

test('a hub with a full store fails the send for the sender and the recipient, logs an error, and recovers', async () => {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
        done();
      },
    }),
  );
  const store = new FillingStore(bed.dir('blobs-'));
  const hub = await bed.hub({ accounts: ['alice', 'bob'], blobStore: store, logger });
  const alice = new RawLink(hub.port);
  const bob = new RawLink(hub.port);
  bed.defer(() => alice.close());
  bed.defer(() => bob.close());
  const aliceToken = await loginToken(alice, 'alice');
  const bobToken = await loginToken(bob, 'bob');

  const body = randomBytes(1 << 20);
  const sha = sha256Of(body);
  const sent = await offer(alice, { to: 'bob', body });
  const sendId = sent.sendId as string;
  const offerId = (sent.offers as { offerId: string }[])[0].offerId;
  assert.equal((await bob.call('offer.accept', { offerId })).ok, true);
  const bobReading = download(hub.port, bobToken, sha, offerId);
  const put = await patchBody(hub.port, aliceToken, sendId, sha, body);
  assert.equal(put.status, 507);
  assert.equal(JSON.parse(put.body.toString()).errorCode, 507);

  await alice.until('send failed', () =>
    alice
      .pushesNamed('send.state')
      .some((s) => s.sendId === sendId && s.status === 0 && s.reason === 'failed'),
  );
  await bob.until('offer failed', () =>
    bob.pushesNamed('offer.state').some((s) => s.offerId === offerId && s.state === 'failed'),
  );
  // Bob's GET races alice's PATCH: begun before the store filled, it is cut (never ended as whole); reaching the hub
  // after the send failed, it is refused. Either way it ends, and never as a whole body.
  const reading = await bobReading;
  assert.ok(
    reading.status >= 400 || !reading.whole,
    `bob's download ends instead of waiting, and not as a whole body (${reading.status}, whole ${reading.whole})`,
  );
  assert.ok(
    lines.some((line) => line.level === 50 && /no room/.test(line.msg)),
    'logged at error level',
  );
  assert.deepEqual(await hub.bodies.list(), [], 'what the failed upload held is dropped');

  // Space returns: the next send of the same file goes through without a restart.
  store.full = false;
  const again = await offer(alice, { to: 'bob', body });
  const againOffer = (again.offers as { offerId: string }[])[0].offerId;
  assert.equal((await bob.call('offer.accept', { offerId: againOffer })).ok, true);
  assert.equal((await patchBody(hub.port, aliceToken, again.sendId as string, sha, body)).status, 204);
  const got = await download(hub.port, bobToken, sha, againOffer);
  assert.deepEqual(got.bytes, body);
});

test('a hub process on a small real filesystem fails the send too large for it, and takes the next one', async (t) => {
  if (!need(t, smallDiskMissing())) return;
  const dataDir = bed.dir('hub-');
  for (const name of ['alice', 'bob']) {
    const added = await runCli(['hub', 'user', 'add', name, '--password', `pw-${name}`, '--data', dataDir]);
    assert.equal(added.code, 0, added.stderr);
  }
  // The bodies' directory is a 6 MiB filesystem of the hub's own (its database stays on the real disk).
  const blobs = join(dataDir, 'blobs');
  mkdirSync(blobs, { recursive: true });
  const port = await freePort();
  const hub = new CliProcess(['hub', '--listen', `127.0.0.1:${port}`, '--data', dataDir], {
    wrap: onSmallDisk(blobs, 6 << 20),
  });
  bed.defer(() => hub.kill());
  await hub.ready(/roomfiles hub listening/);
  assert.ok(existsSync(seenFromOutside(hub.child.pid!, join(blobs, 'partial'))), 'the hub sees its tmpfs');
  const alice = new RawLink(port);
  const bob = new RawLink(port);
  bed.defer(() => alice.close());
  bed.defer(() => bob.close());
  const aliceToken = await loginToken(alice, 'alice');
  const bobToken = await loginToken(bob, 'bob');

  const big = randomBytes(12 << 20);
  const sent = await offer(alice, { to: 'bob', body: big });
  const offerId = (sent.offers as { offerId: string }[])[0].offerId;
  assert.equal((await bob.call('offer.accept', { offerId })).ok, true);
  const put = await patchBody(port, aliceToken, sent.sendId as string, sha256Of(big), big);
  assert.equal(put.status, 507);
  await alice.until('send failed', () =>
    alice.pushesNamed('send.state').some((s) => s.sendId === sent.sendId && s.status === 0),
  );
  await bob.until('offer failed', () =>
    bob.pushesNamed('offer.state').some((s) => s.offerId === offerId && s.state === 'failed'),
  );
  // The hub logs at error level (on its standard error); the line may still be on its way.
  const deadline = Date.now() + 10_000;
  while (!/"level":50.*no room for this body/.test(hub.stderr) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.match(hub.stderr, /"level":50.*no room for this body/);

  // The failed upload gave its space back: a file that fits goes through, no restart.
  const small = randomBytes(1 << 20);
  const next = await offer(alice, { to: 'bob', body: small });
  const nextOffer = (next.offers as { offerId: string }[])[0].offerId;
  assert.equal((await bob.call('offer.accept', { offerId: nextOffer })).ok, true);
  assert.equal(
    (await patchBody(port, aliceToken, next.sendId as string, sha256Of(small), small)).status,
    204,
  );
  assert.deepEqual((await download(port, bobToken, sha256Of(small), nextOffer)).bytes, small);
});
