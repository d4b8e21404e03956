import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TestBed, loggedIn } from '../helpers/harness.js';
import type { Room } from '../../src/room/room.js';

const bed = new TestBed();
after(() => bed.close());

async function connected(room: Room) {
  await loggedIn(room);
  return bed.connect(room);
}

async function upload(room: Room, token: string, body: Buffer, name: string): Promise<number> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(body)]), name);
  const response = await fetch(`http://127.0.0.1:${room.httpPort}/files/?token=${token}`, {
    method: 'POST',
    body: form,
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { fileId: number }).fileId;
}

test('a body the hub holds is not uploaded again, and is removed once no offer needs it', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob', 'carol'] });
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((as) => bed.room({ hub, as })));
  const [a, b, c] = await Promise.all([alice, bob, carol].map((room) => connected(room)));
  const body = randomBytes(2 * 1024 * 1024 + 17);
  const fileId = await upload(alice, a.tokenForHttpServer, body, 'same.bin');

  // The same file offered to bob and to carol: two sends of one body.
  const toBob = b.waitFor('receivedFileRequest');
  const toCarol = c.waitFor('receivedFileRequest');
  const sentToBob = await a.call('sendFile', { fileId, peerId: 'bob' });
  const sentToCarol = await a.call('sendFile', { fileId, peerId: 'carol' });
  const [bobOffer, carolOffer] = await Promise.all([toBob, toCarol]);

  const bobDone = b.waitFor('fileRequestStatusChanged', (e) => e.status === 3);
  const aliceDoneForBob = a.waitFor(
    'fileRequestStatusChanged',
    (e) => e.status === 3 && e.fileRequestId === sentToBob.sentFileRequestId,
  );
  await b.call('acceptIncomingFileRequest', { fileRequestId: bobOffer.fileRequestId });
  await Promise.all([bobDone, aliceDoneForBob]);
  assert.equal(hub.stats.bytesReceived, body.length, 'the body reached the hub once');
  assert.deepEqual(
    await hub.bodies.list(),
    [await hubSha(hub)],
    "carol's waiting offer keeps the body at the hub",
  );

  // Carol accepts later: the hub already holds the body, so alice uploads nothing more.
  const carolDone = c.waitFor('fileRequestStatusChanged', (e) => e.status === 3);
  const aliceStatuses: number[] = [];
  a.on('fileRequestStatusChanged', (e) => {
    if (e.fileRequestId === sentToCarol.sentFileRequestId) aliceStatuses.push(e.status);
  });
  const aliceDoneForCarol = a.waitFor(
    'fileRequestStatusChanged',
    (e) => e.status === 3 && e.fileRequestId === sentToCarol.sentFileRequestId,
  );
  await c.call('acceptIncomingFileRequest', { fileRequestId: carolOffer.fileRequestId });
  const done = await carolDone;
  await aliceDoneForCarol;
  assert.deepEqual(aliceStatuses, [2, 3], 'status 2 then 3, as for any accepted send');
  assert.equal(hub.stats.bytesReceived, body.length, 'not uploaded again');
  const downloaded = await fetch(
    `http://127.0.0.1:${carol.httpPort}/files/${done.fileId}?token=${c.tokenForHttpServer}`,
  );
  assert.equal(Buffer.compare(Buffer.from(await downloaded.arrayBuffer()), body), 0);

  // Both offers are done: nothing at the hub needs the body any more.
  await until(async () => (await hub.bodies.list()).length === 0);
  assert.deepEqual(await hub.bodies.list(), []);
});

test('a rejected offer never moves its body and leaves nothing at the hub', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const alice = await bed.room({ hub, as: 'alice' });
  const bob = await bed.room({ hub, as: 'bob' });
  const [a, b] = await Promise.all([connected(alice), connected(bob)]);
  const fileId = await upload(alice, a.tokenForHttpServer, randomBytes(300_000), 'x.bin');
  const offered = b.waitFor('receivedFileRequest');
  const sent = await a.call('sendFile', { fileId, peerId: 'bob' });
  const rejected = a.waitFor(
    'fileRequestStatusChanged',
    (e) => e.fileRequestId === sent.sentFileRequestId && e.status === 0,
  );
  await b.call('rejectIncomingFileRequest', { fileRequestId: (await offered).fileRequestId });
  assert.equal((await rejected).statusReason, 'rejected');
  assert.deepEqual(await hub.bodies.list(), []);
  assert.equal(hub.stats.bytesReceived, 0, 'a rejected offer never moves its body');
});

async function hubSha(hub: { bodies: { list(): Promise<string[]> } }): Promise<string> {
  const [sha] = await hub.bodies.list();
  assert.match(sha ?? '', /^[0-9a-f]{64}$/);
  return sha;
}

/** Waits for a condition the hub reaches right after its last reply (blob removal follows offer.done). */
async function until(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
