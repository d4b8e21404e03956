import { join } from 'node:path';
import type { Logger } from 'pino';
import { PostgresHubRepository } from './postgres-repository.js';
import type { HubRepository } from './repository.js';
import { SqliteHubRepository } from './sqlite-repository.js';

/** The URL schemes `--db` takes (libpq's two spellings). */
const POSTGRES_URL = /^postgres(ql)?:\/\//i;

export class DatabaseUrlError extends Error {}

/** Whether `db` names a PostgreSQL database (as `--db` / ROOMFILES_DB take it). */
export function isPostgresUrl(db: string): boolean {
  return POSTGRES_URL.test(db);
}

/**
 * The hub's repository: PostgreSQL when `db` is a `postgres://` URL, else the SQLite file `hub.db` in `dataDir`
 * (the default). Opening PostgreSQL connects lazily; `ready()` applies the migrations.
 */
export function openHubRepository(options: {
  db?: string;
  dataDir: string;
  logger?: Logger;
  /** How long a request waits for a database that refuses connections (default: the repository's). */
  connectRetryMs?: number;
}): HubRepository {
  const db = options.db?.trim();
  if (!db) return new SqliteHubRepository(join(options.dataDir, 'hub.db'));
  if (!isPostgresUrl(db)) {
    throw new DatabaseUrlError(
      `--db takes a PostgreSQL URL (postgres://user:password@host:port/database); without it the hub ` +
        `uses hub.db in its data directory`,
    );
  }
  return new PostgresHubRepository({
    url: db,
    logger: options.logger,
    connectRetryMs: options.connectRetryMs,
  });
}
