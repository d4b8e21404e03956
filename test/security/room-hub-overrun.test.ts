import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { lyingHub, type Replacement } from '../helpers/lying-hub.js';
import { Recorder, randomBody, upload, type Connection } from '../transfer/support.js';

/**
 * Issue 12 point 10: a hub that offered 10 bytes and streamed more got 250 MB written into the room's partial.
 * Now a download stops at the offer's fileSize and the recipient's request fails (status 0, the hub is told
 * `offer.failed`; the sender, whose upload was whole, keeps status 3); other bytes of the right
 * length fail on the sha256 check. The lying hub is a real hub behind a proxy that replaces body GETs.
 */
const bed = new TestBed();
after(() => bed.close());

const isBodyGet = (request: IncomingMessage) =>
  request.method === 'GET' && /[?&]offer=/.test(request.url ?? '');

async function replay(size: number, replacement: Replacement) {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const liar = await lyingHub(hub.port, (request) => (isBodyGet(request) ? replacement : null));
  bed.defer(() => liar.close());
  const aliceRoom = await bed.room({ hub, as: 'alice' });
  const bobRoom = await bed.room({ hub, as: 'bob', server: { host: '127.0.0.1', port: liar.port } });
  await Promise.all([loggedIn(aliceRoom), loggedIn(bobRoom)]);
  const alice: Connection = await bed.connect(aliceRoom);
  const bob: Connection = await bed.connect(bobRoom);
  const bobEvents = new Recorder(bob);
  const file = await upload(aliceRoom, alice, 'ten.bin', randomBody(size));
  await alice.call('sendFile', { fileId: file.fileId, peerId: 'bob' });
  const offerId = String((await bobEvents.waitFor('receivedFileRequest')).fileRequestId);
  await bob.call('acceptIncomingFileRequest', { fileRequestId: offerId });
  const failed = (id: string) => (m: Record<string, unknown>) => m.fileRequestId === id && m.status === 0;
  await bobEvents.waitFor('fileRequestStatusChanged', failed(offerId), 30_000);
  assert.equal((await bob.call('getFileRequestInfo', { fileRequestId: offerId })).status, 0);
  assert.equal(existsSync(bobRoom.files.partialPathOf(offerId)), false, 'the partial is removed');
  assert.deepEqual(bobRoom.library.list(), [], 'nothing is stored');
  assert.ok(liar.tampered.length >= 1, 'the lying hub answered the body GET');
  return liar;
}

test("room: a hub streaming past the offer's fileSize without end → cut, status 0, partial gone", async () => {
  const endless: Replacement = {
    body: (original) =>
      Readable.from(
        (async function* () {
          for await (const chunk of original) yield chunk as Buffer;
          for (;;) yield Buffer.alloc(64 * 1024, 0x41);
        })(),
      ),
  };
  const liar = await replay(10, endless);
  assert.equal(liar.tampered.length, 1, 'the room does not ask again: retrying would get the same');
  assert.equal(liar.tampered[0].cutByRoom, true, 'the room hung up on the endless body');
});

test('room: a hub sending other bytes of the right length → sha256 check fails the transfer', async () => {
  const flipped: Replacement = {
    body: (original) =>
      Readable.from(
        (async function* () {
          for await (const chunk of original) yield Buffer.from((chunk as Buffer).map((byte) => byte ^ 0xff));
        })(),
      ),
  };
  await replay(100_000, flipped);
});
