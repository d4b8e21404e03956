import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { Recorder, parties, randomBody, restartRoom, upload, type Party } from '../transfer/support.js';
import { legacySide, type LegacySide } from './support.js';

/**
 * The legacy id of a file request (room-api.md §10): a positive integer, unique within the room, given in creation
 * order, kept across restarts, and given to the requests of a data directory written before it existed.
 */

const bed = new TestBed();
after(() => bed.close());

/** `from` offers files to `to` one after the other; resolves to the offers in the order `to` received them. */
async function offers(from: Party, to: LegacySide, toPeer: Party, count: number) {
  const out: { fileRequestId: string; id: number }[] = [];
  for (let i = 0; i < count; i += 1) {
    const file = await upload(from.room, from.conn, `f${i}.txt`, randomBody(100 + i));
    const mark = to.rec.mark();
    await from.conn.call('sendFile', { fileId: file.fileId, peerId: toPeer.peerId });
    const received = await to.rec.waitFor('receivedFileRequest', () => true, 15_000, mark);
    out.push({ fileRequestId: String(received.fileRequestId), id: received.id as number });
  }
  return out;
}

/** fileRequestId → legacy id of every request the room lists. */
async function idsOf(side: LegacySide): Promise<Map<string, number>> {
  const files = (await side.conn.call('getFileTransferInfo')).files;
  return new Map(files.map((f) => [f.fileRequestId, f.id]));
}

test('legacy ids follow creation order across both directions, survive a restart, and go on after the highest', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const bL = await legacySide(bed, bob);
  const aL = await legacySide(bed, alice);
  const incoming = await offers(alice, bL, bob, 3);
  const outgoing = await offers(bob, aL, alice, 1);
  assert.deepEqual(
    incoming.map((o) => o.id),
    [1, 2, 3],
  );
  const before = await idsOf(bL);
  assert.equal(before.size, 4);
  const bobOutgoingId = before.get(
    (await bob.conn.call('getOutgoingFilesRequests')).outgoingFilesRequests[0].fileRequestId,
  );
  assert.equal(bobOutgoingId, 4, 'one sequence for both directions');
  assert.equal(outgoing[0].id, 4, "alice's incoming request comes after her three outgoing ones");

  const dataDir = bob.room.dataDir;
  await bob.room.stop();
  const again = await restartRoom(bed, dataDir, 'bob');
  await loggedIn(again.room);
  const conn = await bed.connect(again.room, { apiVersion: null });
  const side: LegacySide = { conn, rec: new Recorder(conn) };
  assert.deepEqual(await idsOf(side), before);

  // The id from before the restart still names the same request.
  const mark = side.rec.mark();
  await side.conn.call('acceptFile', { id: incoming[1].id });
  const done = await side.rec.waitFor('fileStatus', (m) => m.status === 3, 15_000, mark);
  assert.equal(done.id, incoming[1].id);
  const info = await side.conn.call('getFileInfo', { id: incoming[1].id });
  assert.equal(info.fileRequestId, incoming[1].fileRequestId);

  const [next] = await offers(alice, side, bob, 1);
  assert.equal(next.id, 5);
});

test('an older data directory: its requests get ids in the order they were created, once', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const bL = await legacySide(bed, bob);
  const made = await offers(alice, bL, bob, 4);
  const dataDir = bob.room.dataDir;
  await bob.room.stop();

  // What a data directory of a roomfiles before legacy ids looks like: the same tables without the new columns.
  const db = new Database(join(dataDir, 'room.db'));
  db.exec(`DROP INDEX requests_legacy;
    ALTER TABLE requests DROP COLUMN legacy_id;
    ALTER TABLE requests DROP COLUMN peers_count;`);
  const columns = (db.prepare('PRAGMA table_info(requests)').all() as { name: string }[]).map((c) => c.name);
  assert.ok(!columns.includes('legacy_id') && !columns.includes('peers_count'));
  db.close();

  const again = await restartRoom(bed, dataDir, 'bob');
  await loggedIn(again.room);
  const conn = await bed.connect(again.room, { apiVersion: null });
  const side: LegacySide = { conn, rec: new Recorder(conn) };
  const ids = await idsOf(side);
  assert.deepEqual(
    made.map((o) => ids.get(o.fileRequestId)),
    [1, 2, 3, 4],
  );
  const info = await side.conn.call('getFileInfo', { id: 3 });
  assert.equal(info.fileRequestId, made[2].fileRequestId);

  // Opening it again gives nothing new: the ids stay, the next request gets the next one.
  await again.room.stop();
  const third = await restartRoom(bed, dataDir, 'bob');
  await loggedIn(third.room);
  const conn3 = await bed.connect(third.room, { apiVersion: null });
  const side3: LegacySide = { conn: conn3, rec: new Recorder(conn3) };
  assert.deepEqual(await idsOf(side3), ids);
  const [next] = await offers(alice, side3, bob, 1);
  assert.equal(next.id, 5);
});
