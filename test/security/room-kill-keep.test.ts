import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { lyingHub } from '../helpers/lying-hub.js';
import { Recorder, randomBody, restartRoom, upload, type Connection } from '../transfer/support.js';
import { sha256 } from '../helpers/http.js';

/**
 * Issue 12 point 12: a room killed between keeping a received body and recording status 3 downloaded it again on
 * its next start and kept a duplicate. Keeping is now one database transaction (file record + status 3) followed
 * by the move of the body into place; a start finishes a move a kill interrupted and removes a body no record
 * names. The test leaves the data directory exactly as such a kill leaves it and starts the room again on it.
 */
const bed = new TestBed();
after(() => bed.close());

test('room: killed after recording status 3 but before moving the body → next start keeps it once, no new download', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  let bodyGets = 0;
  // A hub that only counts: every body GET of the recipient goes through it.
  const counter = await lyingHub(hub.port, (request) => {
    if (request.method === 'GET' && /[?&]offer=/.test(request.url ?? '')) bodyGets += 1;
    return null;
  });
  bed.defer(() => counter.close());
  const aliceRoom = await bed.room({ hub, as: 'alice' });
  const bobDir = bed.dir('bob-');
  const bobRoom = await bed.room({
    hub,
    as: 'bob',
    dataDir: bobDir,
    server: { host: '127.0.0.1', port: counter.port },
  });
  await Promise.all([loggedIn(aliceRoom), loggedIn(bobRoom)]);
  const alice: Connection = await bed.connect(aliceRoom);
  const bob: Connection = await bed.connect(bobRoom);
  const bobEvents = new Recorder(bob);
  const body = randomBody(300_000);
  const file = await upload(aliceRoom, alice, 'kept.bin', body);
  await alice.call('sendFile', { fileId: file.fileId, peerId: 'bob' });
  const offerId = String((await bobEvents.waitFor('receivedFileRequest')).fileRequestId);
  await bob.call('acceptIncomingFileRequest', { fileRequestId: offerId });
  await bobEvents.waitFor('fileRequestStatusChanged', (m) => m.fileRequestId === offerId && m.status === 3);
  const { fileId } = await bob.call('getFileRequestInfo', { fileRequestId: offerId });
  assert.equal(bodyGets, 1);
  await bobRoom.stop();

  // What a kill between the commit and the move leaves: the request done, its body still in partial/. And a
  // body in files/ that no record names (a kill between an upload's move and its record).
  const kept = join(bobDir, 'files', String(fileId));
  renameSync(kept, join(bobDir, 'partial', offerId));
  writeFileSync(join(bobDir, 'files', '12345'), 'orphan');

  const { room } = await restartRoom(bed, bobDir, 'bob', {
    server: { host: '127.0.0.1', port: counter.port },
  });
  await loggedIn(room);
  const again: Connection = await bed.connect(room);
  const info = await again.call('getFileRequestInfo', { fileRequestId: offerId });
  assert.equal(info.status, 3);
  assert.equal(info.fileId, fileId);
  assert.equal(sha256(readFileSync(kept)), sha256(body), 'the body is in place');
  assert.deepEqual(readdirSync(join(bobDir, 'partial')), [], 'no partial left');
  assert.deepEqual(readdirSync(join(bobDir, 'files')), [String(fileId)], 'one copy, no orphan');
  assert.deepEqual(
    room.library.list().map((f) => f.fileId),
    [fileId],
    'one file recorded',
  );
  // The room has synced with the hub (it is logged in and has answered): still one body GET in all.
  await again.call('getIncomingFilesRequests');
  assert.equal(bodyGets, 1, 'the body was not downloaded again');
  assert.equal(existsSync(join(bobDir, 'partial', offerId)), false);
});
