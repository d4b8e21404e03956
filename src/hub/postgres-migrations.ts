import type { PoolClient } from 'pg';
import { CONFERENCE_PRESENCE_SCHEMA } from './conference-presence-sql.js';
import { HUB_SCHEMA } from './schema.js';

/**
 * One step of the PostgreSQL schema. Steps are applied in order of `version`, each once, each in the transaction
 * that records it in `schema_migrations`; a step already applied is never edited: a change is a new step with the
 * next version (docs/operations.md, "Scaling out").
 */
export interface Migration {
  version: number;
  /** What the step does, stored with it for whoever reads the table. */
  name: string;
  sql: string;
}

/** The channel on which committed account changes are announced (LISTEN/NOTIFY); the payload names the writer. */
export const CHANGES_CHANNEL = 'roomfiles_changes';

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'hub tables: meta, accounts, sends, offers, conferences', sql: HUB_SCHEMA },
  {
    version: 2,
    name: 'announce committed account changes to the other hub processes',
    // NOTIFY is delivered at commit, and only then; the payload is the writer's application_name, so that a
    // process can tell its own changes from another's.
    sql: `
CREATE FUNCTION roomfiles_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${CHANGES_CHANNEL}', current_setting('application_name'));
  RETURN NULL;
END
$$;
CREATE TRIGGER accounts_changed AFTER INSERT OR UPDATE OR DELETE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION roomfiles_announce_change();
`,
  },
  {
    version: 3,
    name: 'several hub processes: who is alive, body-route tokens, login failures, jobs run once per interval',
    // See src/hub/postgres-cluster.ts for what each table is for.
    sql: `
CREATE TABLE hub_processes (
  process TEXT PRIMARY KEY,
  seen_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE body_tokens (
  token_hash TEXT PRIMARY KEY,
  account TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  process TEXT NOT NULL REFERENCES hub_processes (process) ON DELETE CASCADE
);
CREATE INDEX body_tokens_process ON body_tokens (process);
CREATE TABLE login_failures (
  name TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX login_failures_name ON login_failures (name, at);
CREATE TABLE cluster_jobs (
  job TEXT PRIMARY KEY,
  ran_at TIMESTAMPTZ NOT NULL
);
`,
  },
  {
    version: 4,
    name: 'running conferences: who is present (a lease per hub process) and who is invited',
    // See src/hub/conference-presence-sql.ts and src/hub/conferences.ts.
    sql: CONFERENCE_PRESENCE_SCHEMA,
  },
  {
    version: 5,
    name: 'several hub processes: a log of the pushes handed over, for a process that missed notifications',
    // src/hub/postgres-cluster.ts: each message is logged and announced by one statement; a process whose LISTEN
    // connection was lost reads what it missed from here once it listens again. Rows live minutes, not longer.
    sql: `
CREATE TABLE cluster_pushes (
  id BIGSERIAL PRIMARY KEY,
  at TIMESTAMPTZ NOT NULL DEFAULT now(),
  message TEXT NOT NULL
);
CREATE INDEX cluster_pushes_at ON cluster_pushes (at);
`,
  },
];

/** The channel on which a hub process hands pushes to the processes holding the recipients' links. */
export const PUSH_CHANNEL = 'roomfiles_pushes';

/**
 * An arbitrary constant key of the advisory lock taken while migrating: two hub processes starting at once on an
 * empty database apply the steps once, one after the other.
 */
const MIGRATION_LOCK = 0x726f6f6d; // "room"

export class SchemaTooNewError extends Error {}

/**
 * Applies the steps of `migrations` the database does not have yet, all in one transaction under an advisory
 * lock. Refuses a database whose schema is newer than this program knows (a newer roomfiles migrated it).
 * Resolves to the versions applied now.
 */
export async function applyMigrations(
  client: PoolClient,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    const result = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const present = new Set(result.rows.map((row) => row.version));
    const newest = Math.max(0, ...migrations.map((step) => step.version));
    const beyond = [...present].filter((version) => version > newest);
    if (beyond.length > 0) {
      throw new SchemaTooNewError(
        `the database's schema is at version ${Math.max(...beyond)}, newer than this roomfiles knows ` +
          `(${newest}): run a roomfiles at least as new as the one that migrated it`,
      );
    }
    for (const step of [...migrations].sort((a, b) => a.version - b.version)) {
      if (present.has(step.version)) continue;
      await client.query(step.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        step.version,
        step.name,
      ]);
      applied.push(step.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
