import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TestBed, loggedIn } from '../helpers/harness.js';

/** Issue 2: the room's store (`<data>/room.db`) and the hub's database (`<data>/hub.db`) run in WAL mode. */

const bed = new TestBed();
after(() => bed.close());

/** The journal mode a second, read-only connection sees: WAL is a property of the database file, not of one connection. */
function journalModeSeenFromOutside(path: string): string {
  const reader = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return reader.pragma('journal_mode', { simple: true }) as string;
  } finally {
    reader.close();
  }
}

/** Bytes 18 and 19 of an SQLite file header: the read and write format versions, 2 and 2 for a WAL database. */
function headerFormatVersions(path: string): [number, number] {
  const header = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  try {
    assert.equal(readSync(fd, header, 0, 100, 0), 100, `${path} has a whole SQLite header`);
  } finally {
    closeSync(fd);
  }
  assert.equal(header.subarray(0, 16).toString('latin1'), 'SQLite format 3\0', `${path} is an SQLite file`);
  return [header[18], header[19]];
}

test('the room store and the hub database are SQLite files in WAL mode, while running and after a stop', async () => {
  const hubDir = bed.dir('hub-wal-');
  const roomDir = bed.dir('room-wal-');
  const hub = await bed.hub({ dataDir: hubDir, accounts: ['alice'] });
  const room = await bed.room({ hub, as: 'alice', dataDir: roomDir });
  await loggedIn(room);

  const hubDb = join(hubDir, 'hub.db');
  const roomDb = join(roomDir, 'room.db');
  for (const path of [hubDb, roomDb]) {
    assert.ok(existsSync(path), `${path} exists`);
    assert.equal(journalModeSeenFromOutside(path), 'wal', `${path} is in WAL mode`);
    assert.ok(existsSync(`${path}-wal`), `${path} has its write-ahead log next to it while open`);
    assert.deepEqual(headerFormatVersions(path), [2, 2], `${path} header says WAL`);
  }

  // WAL mode is persistent: it stays in the file after both have closed their databases.
  await room.stop();
  await hub.stop();
  for (const path of [hubDb, roomDb]) {
    assert.deepEqual(headerFormatVersions(path), [2, 2], `${path} header still says WAL after a stop`);
  }
});
