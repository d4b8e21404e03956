import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RoomLoginError, startHub, startRoom } from '../../src/index.js';
import { RoomClient } from '../../src/client/index.js';
import { TestBed } from '../helpers/harness.js';

const bed = new TestBed();
after(() => bed.close());

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('startHub and startRoom run a hub and two rooms in-process: ports, readiness, a transfer, stop', async () => {
  const hub = await startHub({
    dataDir: bed.dir('hub-'),
    port: 0,
    logLevel: 'silent',
    users: [
      { name: 'alice', password: 'pw-a' },
      { name: 'bob', password: 'pw-b', displayName: 'Bob B.' },
    ],
  });
  bed.defer(() => hub.stop().catch(() => undefined));
  assert.ok(hub.port > 0, 'port 0 gives the free port it picked');
  assert.equal(hub.domain, 'files.local');

  const start = (name: string, password: string) =>
    startRoom({
      name,
      dataDir: bed.dir(`${name}-`),
      ports: { web: 0, api: 0, http: 0 },
      hub,
      login: { login: name, password },
      logLevel: 'silent',
    });
  const alice = await start('alice', 'pw-a');
  bed.defer(() => alice.stop());
  const bob = await start('bob', 'pw-b');
  bed.defer(() => bob.stop());
  for (const room of [alice, bob]) {
    assert.ok(room.ports.web > 0 && room.ports.api > 0 && room.ports.http > 0);
    assert.equal(room.urls.web, `http://127.0.0.1:${room.ports.web}`);
    assert.equal(room.urls.api, `ws://127.0.0.1:${room.ports.api}/`);
  }
  await Promise.all([alice.loggedIn(30_000), bob.loggedIn(30_000)]);
  assert.equal(alice.peerId, 'alice@files.local');
  assert.equal(bob.peerId, 'bob@files.local');

  const aliceClient = await RoomClient.connect({ url: alice.urls.web, reconnect: false });
  bed.defer(() => aliceClient.close());
  const bobClient = await RoomClient.connect({ url: bob.urls.api, reconnect: false });
  bed.defer(() => bobClient.close());
  bobClient.on(
    'receivedFileRequest',
    (offer) => void bobClient.acceptIncomingFileRequest({ fileRequestId: offer.fileRequestId }),
  );
  const received = bobClient.waitFor(
    'fileRequestStatusChanged',
    (e) => e.status === 3 && e.directionType === 0,
    60_000,
  );
  const dir = bed.dir('files-');
  const source = join(dir, 'report.bin');
  writeFileSync(source, Buffer.alloc(300_000, 7));
  await aliceClient.sendFileTo('bob', source, { timeoutMs: 60_000 });
  const saved = await bobClient.download((await received).fileId!, { to: join(dir, 'got.bin') });
  assert.equal(saved.sha256, sha256(source));

  // Readiness changes are reported: stopping the hub logs bob out.
  const loggedOut = new Promise<boolean>((resolve) => {
    const off = bob.onLoginChange((state) => {
      off();
      resolve(state);
    });
  });
  aliceClient.close();
  bobClient.close();
  await hub.stop();
  assert.equal(await loggedOut, false);
  assert.equal(bob.peerId, null);
  await Promise.all([alice.stop(), bob.stop()]);
});

test('loggedIn() rejects with a RoomLoginError naming the refusal when the password is wrong', async () => {
  const hub = await startHub({
    dataDir: bed.dir('hub-'),
    port: 0,
    logLevel: 'silent',
    users: [{ name: 'carol', password: 'right' }],
  });
  bed.defer(() => hub.stop().catch(() => undefined));
  const carol = await startRoom({
    name: 'carol',
    dataDir: bed.dir('carol-'),
    ports: { web: 0, api: 0, http: 0 },
    hub,
    login: { login: 'carol@files.local', password: 'wrong' },
    logLevel: 'silent',
  });
  bed.defer(() => carol.stop());
  await assert.rejects(carol.loggedIn(30_000), (error: unknown) => {
    assert.ok(error instanceof RoomLoginError);
    assert.equal(error.result, 3);
    assert.match(error.message, /room carol could not log in to the hub \(wrong password\)/);
    return true;
  });
});
