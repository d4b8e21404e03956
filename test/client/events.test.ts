import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RoomConnectionError, type EventMessage } from '../../src/client/index.js';
import { TestBed } from '../helpers/harness.js';
import { clientOf, fileWith, logged } from './support.js';

/** Typed events: on (and its off), waitFor with a predicate and its timeout, onAny, once. */

const bed = new TestBed();
after(() => bed.close());

test("on('fileRequestStatusChanged'), waitFor with a predicate, onAny: a transfer alice → bob seen from both sides", async () => {
  const {
    clients: [alice, bob],
  } = await logged(bed, ['alice', 'bob']);
  const statuses: number[] = [];
  const aliceAll: string[] = [];
  const offStatus = alice.on('fileRequestStatusChanged', (event) => statuses.push(event.status));
  const offAny = alice.onAny((event) => aliceAll.push(event.event));

  const offered = bob.waitFor('receivedFileRequest', (e) => e.fileName === 'events.txt', 10_000);
  const fileId = await alice.upload(await fileWith(bed.dir(), 'events.txt', 'e'.repeat(10_000)));
  const sentEvent = alice.waitFor('outgoingFileRequestSent');
  const { sentFileRequestId } = await alice.sendFile({ fileId, peerId: 'bob@files.local' });
  assert.equal((await sentEvent).fileRequestId, sentFileRequestId);
  const incoming = await offered;
  assert.equal(incoming.peerId, 'alice@files.local');

  // waitFor skips events that do not satisfy the predicate: status 2 comes first, 3 is the one waited for.
  const done = alice.waitFor(
    'fileRequestStatusChanged',
    (e) => e.fileRequestId === sentFileRequestId && e.status === 3,
  );
  const bobDone = bob.waitFor('fileRequestStatusChanged', (e) => e.status === 3);
  await bob.acceptIncomingFileRequest({ fileRequestId: incoming.fileRequestId });
  const finished = await done;
  assert.equal(finished.status, 3);
  assert.equal(finished.directionType, 1);
  assert.equal(finished.fileId, fileId);
  assert.ok((await bobDone).fileId);

  assert.deepEqual(statuses, [2, 3]);
  assert.ok(aliceAll.includes('outgoingFileRequestSent'));
  assert.ok(aliceAll.includes('outgoingFileRequestUploadingProgress'));
  assert.deepEqual(
    aliceAll.filter((name) => name === 'fileRequestStatusChanged'),
    ['fileRequestStatusChanged', 'fileRequestStatusChanged'],
  );

  // After off(), nothing more reaches those listeners.
  offStatus();
  offAny();
  const nextOffer = bob.waitFor('receivedFileRequest', (e) => e.fileRequestId !== incoming.fileRequestId);
  const second = await alice.sendFile({ fileId, peerId: 'bob@files.local' });
  const next = await nextOffer;
  const rejected = alice.waitFor(
    'fileRequestStatusChanged',
    (e) => e.fileRequestId === second.sentFileRequestId,
  );
  await bob.rejectIncomingFileRequest({ fileRequestId: next.fileRequestId });
  assert.equal((await rejected).status, 0);
  assert.deepEqual(statuses, [2, 3]);
  assert.equal(aliceAll.filter((name) => name === 'fileRequestStatusChanged').length, 2);
});

test('once delivers only the next event; waitFor rejects with RoomConnectionError when nothing comes in time', async () => {
  const room = await bed.room();
  const client = await clientOf(bed, room);
  const once: number[] = [];
  const onceOff = client.once('httpServerSettingChanged', (event) => once.push(event.value));
  const every: EventMessage[] = [];
  client.onAny((event) => every.push(event));
  // Each setting change is announced once; the event may come before or after the reply, so every wait is
  // set up before the change that causes it.
  const set = async (value: number) => {
    const seen = client.waitFor('httpServerSettingChanged', (e) => e.value === value, 5_000);
    await client.setHttpServerSettings({ settings: { httpServerMaxPostFileSizeInBytes: value } });
    return seen;
  };

  await set(1000);
  const second = await set(2000);
  assert.equal(second.name, 'httpServerMaxPostFileSizeInBytes');
  assert.deepEqual(once, [1000]);
  assert.deepEqual(
    every.map((e) => [e.event, (e as EventMessage<'httpServerSettingChanged'>).value]),
    [
      ['httpServerSettingChanged', 1000],
      ['httpServerSettingChanged', 2000],
    ],
  );
  onceOff(); // harmless after it fired

  // A once that is called off before its event never fires.
  const never: number[] = [];
  client.once('httpServerSettingChanged', (e) => never.push(e.value))();
  // once inside once: the inner one waits for the next event, not the one being delivered.
  const nested: number[] = [];
  client.once('httpServerSettingChanged', (outer) => {
    nested.push(outer.value);
    client.once('httpServerSettingChanged', (inner) => nested.push(inner.value));
  });
  await set(3000);
  assert.deepEqual(nested, [3000]);
  await set(4000);
  assert.deepEqual(nested, [3000, 4000]);
  assert.deepEqual(never, []);

  const started = Date.now();
  await assert.rejects(
    client.waitFor('conferenceCreated', () => true, 150),
    (error: unknown) => {
      assert.ok(error instanceof RoomConnectionError);
      assert.match(error.message, /no "conferenceCreated" event within 150 ms/);
      return true;
    },
  );
  assert.ok(Date.now() - started >= 140);
  // An event that does not satisfy the predicate does not end the wait early.
  const waiting = client.waitFor('httpServerSettingChanged', (e) => e.value === 6000, 400);
  await set(5000);
  await assert.rejects(waiting, RoomConnectionError);
  // A predicate that throws rejects the wait with its error.
  const throwing = client.waitFor('httpServerSettingChanged', () => {
    throw new Error('bad predicate');
  });
  await set(6000);
  await assert.rejects(throwing, /bad predicate/);
});
