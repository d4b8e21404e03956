import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { CliProcess, roomArgs } from '../helpers/child.js';
import { need } from '../helpers/system.js';
import { onSmallDisk, seenFromOutside, smallDiskMissing } from '../helpers/small-disk.js';
import { Recorder, upload, type Connection } from '../transfer/support.js';
import { openRoomConnection, type RoomConnection } from '../../src/client/index.js';
import type { Hub } from '../../src/hub/hub.js';

/**
 * Issue 12 point 9, the room's side: a room on a full disk answered uploads 400, kept a receiving transfer in
 * status 2 forever retrying ENOSPC with its partial kept, and answered with a raw SqliteError. The room here runs
 * as a process whose data directory is a real 24 MiB tmpfs (a private mount namespace); the test fills and frees
 * that disk from outside.
 */
const bed = new TestBed();
after(() => bed.close());

const MiB = 1024 * 1024;
const DISK = 24 * MiB;

interface SmallRoom {
  proc: CliProcess;
  api: RoomConnection & { tokenForHttpServer: string };
  httpPort: number;
  /** The room's data directory as the test sees it (inside the child's namespace). */
  outside: string;
}

async function roomOnSmallDisk(hub: Hub, name: string): Promise<SmallRoom> {
  const dir = bed.dir('small-disk-');
  const data = join(dir, 'data');
  mkdirSync(data);
  const proc = new CliProcess(
    roomArgs({ name, data, hubPort: hub.port, login: `${name}@${hub.domain}`, password: `pw-${name}` }),
    { wrap: onSmallDisk(data, DISK) },
  );
  bed.defer(() => proc.kill().then(() => undefined));
  const match = await proc.waitForLine(/listening: web \S+ api (\d+) http (\d+)/);
  const connection = await openRoomConnection(`ws://127.0.0.1:${match[1]}/`);
  bed.defer(() => connection.close());
  const auth = await connection.call('auth', { type: 'unsecured' });
  const logged = connection.waitFor('appStateChanged', (e) => e.appState === 3, 20_000);
  logged.catch(() => undefined);
  if ((await connection.call('getAppState')).appState !== 3) await logged;
  return {
    proc,
    api: Object.assign(connection, { tokenForHttpServer: auth.tokenForHttpServer }),
    httpPort: Number(match[2]),
    outside: seenFromOutside(proc.child.pid!, data),
  };
}

/** Fills the disk from outside until at most `leave` bytes are free (writing until ENOSPC when `leave` is 0). */
function fill(outside: string, leave: number): string {
  const path = join(outside, `filler-${randomBytes(4).toString('hex')}`);
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) {
      const { bavail, bsize } = statfs(outside);
      const free = bavail * bsize;
      if (free <= leave) break;
      writeSync(fd, chunk, 0, Math.min(chunk.length, free - leave));
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return path;
}

function statfs(path: string): { bavail: number; bsize: number } {
  return statfsSync(path);
}

async function uploadTo(room: SmallRoom, size: number): Promise<number> {
  const form = new FormData();
  form.append('file', new Blob([randomBytes(size)]), 'big.bin');
  const response = await fetch(
    `http://127.0.0.1:${room.httpPort}/files/?token=${room.api.tokenForHttpServer}`,
    { method: 'POST', body: form },
  ).catch(() => null);
  if (!response) return 0;
  await response.arrayBuffer();
  return response.status;
}

test('room: upload on a full disk → 507, nothing kept; works again when space returns, no restart', async (t) => {
  if (!need(t, smallDiskMissing())) return;
  const hub = await bed.hub({ accounts: ['carol'] });
  const room = await roomOnSmallDisk(hub, 'carol');
  const filler = fill(room.outside, 1 * MiB);
  assert.equal(await uploadTo(room, 4 * MiB), 507);
  assert.deepEqual(readdirSync(join(room.outside, 'files')), [], 'no body kept');
  assert.deepEqual(readdirSync(join(room.outside, 'tmp')), [], 'no temporary file kept');
  assert.deepEqual((await room.api.call('getFileList')).fileList, []);
  rmSync(filler);
  assert.equal(await uploadTo(room, 4 * MiB), 200);
  assert.equal((await room.api.call('getFileList')).fileList.length, 1);
});

test('room: receiving on a full disk → status 0 on both sides within seconds, partial removed; works again after', async (t) => {
  if (!need(t, smallDiskMissing())) return;
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  // The sender's rate limit keeps its upload going while the recipient's disk fills.
  const aliceRoom = await bed.room({ hub, as: 'alice', maxRateBytes: 4 * MiB });
  await loggedIn(aliceRoom);
  const alice: Connection = await bed.connect(aliceRoom);
  const aliceEvents = new Recorder(alice);
  const bob = await roomOnSmallDisk(hub, 'bob');
  const bobEvents = new Recorder(bob.api);
  const filler = fill(bob.outside, 4 * MiB);

  const big = await upload(aliceRoom, alice, 'big.bin', randomBytes(16 * MiB));
  const { sentFileRequestId } = await alice.call('sendFile', { fileId: big.fileId, peerId: 'bob' });
  const offerId = String((await bobEvents.waitFor('receivedFileRequest')).fileRequestId);
  const startedAt = performance.now();
  await bob.api.call('acceptIncomingFileRequest', { fileRequestId: offerId });
  const failed = (id: string) => (m: Record<string, unknown>) => m.fileRequestId === id && m.status === 0;
  await Promise.all([
    bobEvents.waitFor('fileRequestStatusChanged', failed(offerId), 30_000),
    aliceEvents.waitFor('fileRequestStatusChanged', failed(sentFileRequestId), 30_000),
  ]);
  const seconds = (performance.now() - startedAt) / 1000;
  assert.ok(seconds < 20, `failed after ${seconds.toFixed(1)} s`);
  assert.equal((await bob.api.call('getFileRequestInfo', { fileRequestId: offerId })).statusReason, 'failed');
  assert.deepEqual(readdirSync(join(bob.outside, 'partial')), [], 'the partial is removed');

  // Space returns: the next transfer goes through, with no restart.
  rmSync(filler);
  const small = await upload(aliceRoom, alice, 'small.bin', randomBytes(MiB));
  await alice.call('sendFile', { fileId: small.fileId, peerId: 'bob' });
  const second = String(
    (await bobEvents.waitFor('receivedFileRequest', (m) => m.fileRequestId !== offerId)).fileRequestId,
  );
  await bob.api.call('acceptIncomingFileRequest', { fileRequestId: second });
  await bobEvents.waitFor(
    'fileRequestStatusChanged',
    (m) => m.fileRequestId === second && m.status === 3,
    30_000,
  );
});

test('room: SQLite on a full disk → a clear error reply, nothing changed; the same call works when space returns', async (t) => {
  if (!need(t, smallDiskMissing())) return;
  const hub = await bed.hub({ accounts: ['dave'] });
  const room = await roomOnSmallDisk(hub, 'dave');
  assert.equal(await uploadTo(room, 64 * 1024), 200);
  const before = (await room.api.call('getFileList')).fileList;
  const filler = fill(room.outside, 0);
  // The simplest write of all, a setting, with not one byte free (a few tries: the first may still fit in a
  // page of the write-ahead log that is already there).
  let refusal: { errorCode?: number; message?: string } | null = null;
  for (let i = 0; i < 50 && !refusal; i++) {
    try {
      await room.api.call('setHttpServerSettings', {
        settings: { httpServerMaxPostFileSizeInBytes: 1_000_000 + i },
      });
    } catch (error) {
      refusal = error as { errorCode?: number; message?: string };
    }
  }
  assert.ok(refusal, 'a write on a full disk is refused');
  assert.equal(refusal.errorCode, 500);
  assert.match(String(refusal.message), /disk is full/);
  assert.doesNotMatch(String(refusal.message), /SqliteError|SQLITE_/);
  assert.deepEqual((await room.api.call('getFileList')).fileList, before, 'nothing changed');
  rmSync(filler);
  await room.api.call('setHttpServerSettings', { settings: { httpServerMaxPostFileSizeInBytes: 2_000_000 } });
  assert.equal(await uploadTo(room, 64 * 1024), 200);
});
