import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from 'pino';
import { DatabaseUnavailableError, isConnectionLoss } from './database-errors.js';
import { applyMigrations, CHANGES_CHANNEL, MIGRATIONS, type Migration } from './postgres-migrations.js';
import { PostgresChangeFeed } from './postgres-change-feed.js';
import { PostgresQueries, type Execute } from './postgres-queries.js';
export type { RowCounts } from './postgres-queries.js';
import type { HubRepository, StopWatching } from './repository.js';

/** Connections per hub process: enough for the links' requests and body routes without starving the server. */
const DEFAULT_POOL_SIZE = 10;
/** How long a request waits for a connection (a new one, or a free one of the pool) before it fails. */
const CONNECT_TIMEOUT_MS = 5000;
/**
 * How long a request keeps trying to reach a database that refuses connections (a restart takes a few seconds)
 * before it fails with DatabaseUnavailableError. Nothing was sent yet, so trying again is always safe.
 */
const DEFAULT_CONNECT_RETRY_MS = 15_000;
/** The first key of the advisory locks of `exclusively` (the second is the job's name, hashed). */
const JOB_LOCK_CLASS = 0x726f6f6e;

export { DatabaseUnavailableError };

export interface PostgresRepositoryOptions {
  /** `postgres://user:password@host:port/database` (libpq's URL; `?sslmode=…` and the rest as pg reads them). */
  url: string;
  poolSize?: number;
  connectRetryMs?: number;
  logger?: Logger;
  /** The schema steps (tests give their own to check the migration rules). */
  migrations?: readonly Migration[];
}

/** The queries of one open transaction, on its connection, refused once it ended. */
class PostgresTransaction extends PostgresQueries {
  open = true;

  constructor(private readonly client: pg.PoolClient) {
    super();
  }

  protected execute: Execute = async (text, values) => {
    if (!this.open) throw new Error('the transaction these queries belong to has ended');
    const result = await this.client.query(text, values);
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  };

  protected atomically<T>(work: (execute: Execute) => Promise<T>): Promise<T> {
    return work(this.execute);
  }
}

/**
 * The hub repository on PostgreSQL, for several hub processes sharing one database: a pool of connections (pg),
 * the schema brought up to date at start (src/hub/postgres-migrations.ts), one transaction per multi-row change,
 * and committed account changes announced to every process by LISTEN/NOTIFY.
 */
export class PostgresHubRepository extends PostgresQueries implements HubRepository {
  /** This process's connections introduce themselves so: the payload of the changes it announces itself. */
  readonly writerName = `roomfiles-hub-${randomBytes(6).toString('hex')}`;
  private readonly pool: pg.Pool;
  private readonly feed: PostgresChangeFeed;
  private readonly connectRetryMs: number;
  private migrated: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly options: PostgresRepositoryOptions) {
    super();
    this.connectRetryMs = options.connectRetryMs ?? DEFAULT_CONNECT_RETRY_MS;
    const config: pg.PoolConfig = {
      connectionString: options.url,
      application_name: this.writerName,
      max: options.poolSize ?? DEFAULT_POOL_SIZE,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    };
    this.pool = new pg.Pool(config);
    // A connection the server ended (restart, idle timeout) must not take the process down: the pool drops it
    // and the next request opens a new one.
    this.pool.on('error', (error) =>
      options.logger?.warn({ err: error.message }, 'database connection lost'),
    );
    this.pool.on('connect', (client) => client.on('error', () => undefined));
    this.feed = new PostgresChangeFeed(
      { connectionString: options.url, application_name: `${this.writerName}-listen`, keepAlive: true },
      CHANGES_CHANNEL,
      options.logger,
    );
  }

  /** The database's URL, for the parts of several hub processes that keep their own connections to it. */
  get url(): string {
    return this.options.url;
  }

  /** Resolves once the schema is up to date; rejects (and is tried again on the next call) when it cannot be. */
  ready(): Promise<void> {
    this.migrated ??= this.withClient((client) =>
      applyMigrations(client, this.options.migrations ?? MIGRATIONS),
    )
      .then(() => undefined)
      .catch((error: unknown) => {
        this.migrated = null;
        throw error;
      });
    return this.migrated;
  }

  /** Whether the database answers now (for /health): a round trip on a pooled connection, no retrying. */
  async reachable(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  protected execute: Execute = async (text, values) => {
    await this.ready();
    const result = await this.withClient((client) => client.query(text, values));
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  };

  protected atomically<T>(work: (execute: Execute) => Promise<T>): Promise<T> {
    return this.transaction((tx) => work((tx as PostgresTransaction)['execute']));
  }

  /** `transaction`, with the PostgreSQL queries (rowCounts…) on `tx` as well as the hub's. */
  async transaction<T>(work: (tx: PostgresQueries) => Promise<T>): Promise<T> {
    await this.ready();
    return this.withClient(async (client) => {
      const tx = new PostgresTransaction(client);
      try {
        await client.query('BEGIN');
        const result = await work(tx);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // A failed COMMIT or statement has already ended the transaction on the server; a lost connection
        // ends it too (PostgreSQL rolls back what a vanished session left open).
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        tx.open = false;
      }
    });
  }

  /**
   * A transaction-level advisory lock, tried without waiting, held on a connection of its own while `work` runs
   * (on other connections). Should that connection be lost meanwhile, the server drops the lock and another
   * process may start the same work: the jobs run so (expiry) are safe to overlap, only wasteful.
   */
  async exclusively(name: string, work: () => Promise<void>): Promise<boolean> {
    await this.ready();
    return this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        const result = await client.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked',
          [JOB_LOCK_CLASS, name],
        );
        if (!result.rows[0]?.locked) return false;
        await work();
        return true;
      } finally {
        await client.query('COMMIT').catch(() => undefined);
      }
    });
  }

  watchExternalChanges(listener: () => void): StopWatching {
    return this.feed.subscribe((writer) => {
      if (writer !== this.writerName) listener();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.feed.stop();
    await this.pool.end();
  }

  /**
   * Runs `work` on a pooled connection. A connection that failed is destroyed rather than given back (it may be
   * broken, or inside a transaction that could not be rolled back).
   */
  private async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let failure: Error | undefined;
    try {
      return await work(client);
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      // The connection went away under the request: say so, the same way as when it could not be had.
      throw isConnectionLoss(error) ? new DatabaseUnavailableError(error) : error;
    } finally {
      client.release(failure);
    }
  }

  /** A pooled connection, trying again while the server refuses them, for at most connectRetryMs. */
  private async connect(): Promise<pg.PoolClient> {
    const started = Date.now();
    let wait = 50;
    for (;;) {
      if (this.closed) throw new DatabaseUnavailableError(new Error('the repository is closed'));
      try {
        return await this.pool.connect();
      } catch (error) {
        if (Date.now() - started + wait > this.connectRetryMs) throw new DatabaseUnavailableError(error);
        await delay(wait);
        wait = Math.min(wait * 2, 1000);
      }
    }
  }
}
