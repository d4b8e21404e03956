import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HubQueries, HubRepository, StopWatching } from './repository.js';
import { CONFERENCE_PRESENCE_SCHEMA } from './conference-presence-sql.js';
import { HUB_SCHEMA } from './schema.js';
import { SqliteQueries } from './sqlite-queries.js';

/** How often a running hub looks for commits by other processes (`roomfiles hub user …`). */
const EXTERNAL_CHANGE_POLL_MS = 1000;

/** The queries of one open transaction: they run at once, and only while it is open. */
class SqliteTransaction extends SqliteQueries {
  open = true;

  protected async run<T>(statement: () => T): Promise<T> {
    if (!this.open) throw new Error('the transaction these queries belong to has ended');
    return statement();
  }
}

/**
 * The default hub repository: one SQLite file in WAL mode, one connection. A transaction is BEGIN … COMMIT on that
 * connection; while one is open, every other call waits for it to end, so nothing outside it lands in it (or is
 * rolled back with it).
 */
export class SqliteHubRepository extends SqliteQueries implements HubRepository {
  /** Settles when the open transaction ends; null when none is open. */
  private openTransaction: Promise<void> | null = null;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    db.exec(HUB_SCHEMA);
    db.exec(CONFERENCE_PRESENCE_SCHEMA);
    super(db);
  }

  protected async run<T>(statement: () => T): Promise<T> {
    while (this.openTransaction) await this.openTransaction;
    return statement();
  }

  async transaction<T>(work: (tx: HubQueries) => Promise<T>): Promise<T> {
    while (this.openTransaction) await this.openTransaction;
    let ended!: () => void;
    this.openTransaction = new Promise((resolve) => (ended = resolve));
    const tx = new SqliteTransaction(this.db);
    try {
      this.db.exec('BEGIN IMMEDIATE');
      const result = await work(tx);
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    } finally {
      tx.open = false;
      this.openTransaction = null;
      ended();
    }
  }

  /** SQLite's counter of commits by other connections: how a running hub notices `roomfiles hub user …`. */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  watchExternalChanges(listener: () => void): StopWatching {
    let version = this.dataVersion();
    const timer = setInterval(() => {
      if (!this.db.open) return;
      const now = this.dataVersion();
      if (now === version) return;
      version = now;
      listener();
    }, EXTERNAL_CHANGE_POLL_MS);
    timer.unref();
    return () => clearInterval(timer);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
