import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BlobStore, UploadRef } from './blob-store.js';
import { DirectoryBlobStore } from './directory-blob-store.js';
import type { PostgresHubRepository, RowCounts } from './postgres-repository.js';
import { toAccount, toConference, toOffer, toSend, type Row } from './sqlite-rows.js';

/** The uploader name under which bodies are read and written by a migration (any valid account name would do). */
const MIGRATION_UPLOADER = 'roomfiles-migrate';

export class MigrationError extends Error {}

export interface MigrationReport {
  counts: RowCounts;
  /** Verified bodies checked (and copied, when the bodies move too). */
  bodies: number;
  bodyBytes: number;
  /** Whether bodies were copied to another store, or only checked where they are. */
  copiedBodies: boolean;
}

/**
 * Copies a SQLite hub (its data directory: hub.db and blobs/) to PostgreSQL, and its bodies to another blob
 * store when one is given (a directory, or S3 once that store exists: only the BlobStore interface is used).
 * The source is opened read-only and never written. Order: bodies first, each checked against its sha256 as it
 * is read back from the target; then every row in one transaction on the target; then the row counts of both
 * sides compared. A failure leaves the target without a single row of the hub (bodies already copied stay:
 * stored under their sha256, a second run checks and reuses them).
 */
export async function migrateHub(options: {
  dataDir: string;
  target: PostgresHubRepository;
  /** Where the bodies go; undefined: they stay in the data directory, checked in place. */
  targetBlobs?: BlobStore;
  onProgress?: (line: string) => void;
}): Promise<MigrationReport> {
  const { dataDir, target, targetBlobs } = options;
  const say = options.onProgress ?? (() => undefined);
  const path = join(dataDir, 'hub.db');
  if (!existsSync(path)) throw new MigrationError(`no hub database at ${path}: give the hub's --data`);
  // SQLite makes the WAL index files of a database in WAL mode even for a read-only connection, and only a
  // writer removes them: those this run made are removed after it, so a stopped hub's directory stays as it was.
  const sidecars = [`${path}-wal`, `${path}-shm`].filter((file) => !existsSync(file));
  const source = new Database(path, { readonly: true, fileMustExist: true });
  try {
    await target.ready();
    const already = await target.rowCounts();
    const held = Object.entries(already).filter(([, count]) => count > 0);
    if (held.length > 0) {
      throw new MigrationError(
        `the target database already holds a hub (${held.map(([table, n]) => `${n} ${table}`).join(', ')}): ` +
          'migrate into an empty database',
      );
    }

    const sourceBlobs = openSourceBlobs(join(dataDir, 'blobs'));
    let bodies = 0;
    let bodyBytes = 0;
    for (const sha256 of sourceBlobs ? await sourceBlobs.list() : []) {
      if (!(await sourceBlobs!.has(sha256))) continue; // an upload under way: its sender uploads it again
      bodyBytes += await (targetBlobs
        ? copyBody(sourceBlobs!, targetBlobs, sha256)
        : checkBody(sourceBlobs!, sha256));
      bodies += 1;
    }
    say(
      `bodies: ${bodies} (${bodyBytes} bytes) ${targetBlobs ? 'copied and ' : ''}checked against their sha256`,
    );

    // One snapshot of the source (a hub still running could write meanwhile: stop it first).
    source.exec('BEGIN');
    const expected = sourceCounts(source);
    await target.transaction(async (tx) => {
      for (const row of source.prepare('SELECT * FROM accounts').all() as Row[]) {
        await tx.addAccount(toAccount(row));
      }
      for (const row of source.prepare('SELECT * FROM conferences').all() as Row[]) {
        await tx.addConference(toConference(row));
      }
      for (const row of source.prepare('SELECT * FROM meta').all() as Row[]) {
        await tx.setMeta(row.key as string, row.value as string);
      }
      // Sends in pages by id, each with its offers: memory stays flat however many there are.
      const page = source.prepare('SELECT * FROM sends WHERE send_id > ? ORDER BY send_id LIMIT 500');
      const offersOf = source.prepare('SELECT * FROM offers WHERE send_id = ?');
      for (let after = ''; ;) {
        const rows = page.all(after) as Row[];
        if (rows.length === 0) break;
        for (const row of rows) {
          const send = toSend(row);
          await tx.insertSend(send, (offersOf.all(send.sendId) as Row[]).map(toOffer));
          after = send.sendId;
        }
      }
      // Checked inside the transaction: a difference rolls everything back.
      const copied = await tx.rowCounts();
      for (const table of Object.keys(expected) as (keyof RowCounts)[]) {
        if (copied[table] !== expected[table]) {
          throw new MigrationError(`${table}: ${expected[table]} in the source, ${copied[table]} copied`);
        }
      }
    });
    source.exec('COMMIT');
    say(
      Object.entries(expected)
        .map(([table, n]) => `${table}: ${n}`)
        .join(', '),
    );
    return { counts: expected, bodies, bodyBytes, copiedBodies: targetBlobs !== undefined };
  } finally {
    source.close();
    for (const file of sidecars) rmSync(file, { force: true });
  }
}

function sourceCounts(source: Database.Database): RowCounts {
  const count = (table: string) =>
    Number((source.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);
  return {
    accounts: count('accounts'),
    conferences: count('conferences'),
    meta: count('meta'),
    sends: count('sends'),
    offers: count('offers'),
  };
}

/**
 * The source's directory store, or null when it has none. The store creates its `partial/` directory when
 * missing: a hub's data directory always has it, so the source stays untouched; anything else is refused.
 */
function openSourceBlobs(dir: string): BlobStore | null {
  if (!existsSync(dir)) return null;
  if (!existsSync(join(dir, 'partial'))) {
    throw new MigrationError(`${dir} is not a hub's blob directory (it has no partial/): nothing was copied`);
  }
  return new DirectoryBlobStore(dir);
}

const ref = (sha256: string): UploadRef => ({ sha256, uploader: MIGRATION_UPLOADER });

/** Reads a whole body (streaming), hashing it; resolves to its size, or fails when it is not what its name says. */
async function hashBody(store: BlobStore, sha256: string, where: string): Promise<number> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of store.read(ref(sha256), 0, Number.MAX_SAFE_INTEGER)) {
    hash.update(chunk);
    size += chunk.length;
  }
  if (hash.digest('hex') !== sha256) {
    throw new MigrationError(`the body ${sha256} ${where} does not match its sha256: nothing was migrated`);
  }
  return size;
}

function checkBody(store: BlobStore, sha256: string): Promise<number> {
  return hashBody(store, sha256, 'in the source');
}

/** Copies one verified body through the BlobStore interface (streaming) unless the target has it; checks it there. */
async function copyBody(from: BlobStore, to: BlobStore, sha256: string): Promise<number> {
  if (!(await to.has(sha256))) {
    const upload = ref(sha256);
    // A copy interrupted by an earlier run starts over: its bytes were never checked.
    await to.discard(upload);
    await to.create(upload);
    const hash = createHash('sha256');
    await to.append(upload, 0, from.read(upload, 0, Number.MAX_SAFE_INTEGER), (chunk) => hash.update(chunk));
    if (hash.digest('hex') !== sha256) {
      await to.discard(upload);
      throw new MigrationError(
        `the body ${sha256} in the source does not match its sha256: nothing was migrated`,
      );
    }
    await to.finish(upload);
  }
  return hashBody(to, sha256, 'in the target store');
}
