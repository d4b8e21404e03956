import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PostgresHubRepository } from '../../src/hub/postgres-repository.js';
import { MIGRATIONS, SchemaTooNewError } from '../../src/hub/postgres-migrations.js';
import type { HubRepository } from '../../src/hub/repository.js';
import { tempDir } from '../helpers/harness.js';
import { postgresMissing, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { need } from '../helpers/system.js';
import { repositoryContract } from './repository-contract.js';

/** One throwaway cluster for this file, started by the first test that needs it; one database per test. */
let cluster: Promise<PgCluster> | null = null;
const dir = tempDir('roomfiles-pg-');
let databases = 0;

async function freshDatabase(): Promise<string> {
  cluster ??= startPostgres(dir.path);
  const server = await cluster;
  const name = `hub_${++databases}`;
  server.createDatabase(name);
  return server.url(name);
}

after(async () => {
  if (cluster) await (await cluster).stop();
  dir.cleanup();
});

repositoryContract(
  'PostgreSQL',
  async () => {
    const url = await freshDatabase();
    const opened: HubRepository[] = [new PostgresHubRepository({ url })];
    return {
      repo: opened[0],
      connectAgain: async () => {
        const again = new PostgresHubRepository({ url });
        opened.push(again);
        return again;
      },
      dispose: async () => {
        for (const repo of opened) await repo.close();
      },
    };
  },
  postgresMissing,
);

/** The versions recorded in the database's migrations table, in order. */
async function recordedVersions(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    return result.rows.map((row) => row.version);
  } finally {
    await client.end();
  }
}

describe('PostgreSQL schema migrations', () => {
  test('applied once at start, recorded, and not again by a second process starting at the same time', async (t) => {
    if (!need(t, postgresMissing())) return;
    const url = await freshDatabase();
    const first = new PostgresHubRepository({ url });
    const second = new PostgresHubRepository({ url });
    try {
      await Promise.all([first.ready(), second.ready()]);
      assert.deepEqual(
        await recordedVersions(url),
        MIGRATIONS.map((step) => step.version),
      );
      await first.setMeta('k', 'v');
      assert.equal(await second.getMeta('k'), 'v');
    } finally {
      await first.close();
      await second.close();
    }
  });

  test('a step added later is applied on the next start, the earlier ones left as they are', async (t) => {
    if (!need(t, postgresMissing())) return;
    const url = await freshDatabase();
    const before = new PostgresHubRepository({ url });
    await before.addConference({ cid: 'weekly', title: 'Weekly', createdAt: 1 });
    await before.close();

    const next = MIGRATIONS.at(-1)!.version + 1;
    const later = [
      ...MIGRATIONS,
      { version: next, name: 'a column added', sql: 'ALTER TABLE conferences ADD COLUMN topic TEXT' },
    ];
    const upgraded = new PostgresHubRepository({ url, migrations: later });
    try {
      await upgraded.ready();
      assert.deepEqual((await recordedVersions(url)).at(-1), next);
      assert.equal((await upgraded.getConference('weekly'))?.title, 'Weekly', 'rows kept');
    } finally {
      await upgraded.close();
    }

    // The program without that step refuses the database rather than run on a schema it does not know.
    const older = new PostgresHubRepository({ url, connectRetryMs: 0 });
    try {
      await assert.rejects(older.ready(), (error) => {
        assert.ok(error instanceof SchemaTooNewError);
        assert.match(error.message, new RegExp(`version ${next}, newer than this roomfiles knows`));
        return true;
      });
      await assert.rejects(older.getConference('weekly'), SchemaTooNewError);
    } finally {
      await older.close();
    }
  });

  test('a failing step leaves the schema as it was: nothing of it applied, nothing recorded', async (t) => {
    if (!need(t, postgresMissing())) return;
    const url = await freshDatabase();
    const broken = [
      ...MIGRATIONS,
      {
        version: 99,
        name: 'fails half way',
        sql: 'ALTER TABLE conferences ADD COLUMN topic TEXT; SELECT no_such_function()',
      },
    ];
    const repo = new PostgresHubRepository({ url, migrations: broken });
    try {
      await assert.rejects(repo.ready(), /no_such_function/);
    } finally {
      await repo.close();
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const tables = await client.query("SELECT 1 FROM pg_tables WHERE tablename = 'schema_migrations'");
      assert.equal(tables.rowCount, 0, 'the whole start was one transaction');
    } finally {
      await client.end();
    }
  });
});

describe('PostgreSQL unreachable', () => {
  test('a request fails with a clear error once the retry window has passed, and nothing hangs', async (t) => {
    if (!need(t, postgresMissing())) return;
    // A port nothing listens on: connections are refused at once.
    const url = (await freshDatabase()).replace(/:(\d+)\//, ':1/');
    const repo = new PostgresHubRepository({ url, connectRetryMs: 300 });
    try {
      await assert.rejects(repo.getAccount('alice'), /the hub's database is unreachable/);
      assert.equal(await repo.reachable(), false);
    } finally {
      await repo.close();
    }
  });
});
