import type { HubRepository } from '../hub/repository.js';
import { UsageError } from './process.js';

/** The URL `--db` / ROOMFILES_DB gave, checked: undefined for the default (SQLite in the data directory). */
export async function checkedDatabaseUrl(db: string | undefined): Promise<string | undefined> {
  const given = db?.trim();
  if (!given) return undefined;
  // Loaded here: commands that do not touch a database start without loading a driver.
  const { isPostgresUrl } = await import('../hub/open-repository.js');
  if (!isPostgresUrl(given)) {
    throw new UsageError(
      `--db takes a PostgreSQL URL (postgres://user:password@host:port/database), not "${given}"`,
    );
  }
  return given;
}

/**
 * The repository a one-shot command (`hub user …`, `hub conference …`) works on: the PostgreSQL database of
 * `--db`, brought up to date, or hub.db in the data directory. A database that cannot be reached is the user's
 * to fix: one line, exit code 1.
 */
export async function openRepositoryForCommand(options: {
  db: string | undefined;
  dataDir: string;
}): Promise<HubRepository> {
  const db = await checkedDatabaseUrl(options.db);
  const { openHubRepository } = await import('../hub/open-repository.js');
  // A person waits on the other end: a database that refuses connections fails the command within seconds.
  const repo = openHubRepository({ db, dataDir: options.dataDir, connectRetryMs: 2000 });
  try {
    await repo.ready?.();
  } catch (error) {
    await repo.close().catch(() => undefined);
    throw new UsageError((error as Error).message, 1);
  }
  return repo;
}
