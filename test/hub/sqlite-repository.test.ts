import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteHubRepository } from '../../src/hub/sqlite-repository.js';
import type { HubRepository } from '../../src/hub/repository.js';
import { repositoryContract } from './repository-contract.js';

/** The SQLite repository against the contract every hub repository passes; a second connection is another process. */
repositoryContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'roomfiles-repo-'));
  const path = join(dir, 'hub.db');
  const opened: HubRepository[] = [new SqliteHubRepository(path)];
  return {
    repo: opened[0],
    connectAgain: async () => {
      const again = new SqliteHubRepository(path);
      opened.push(again);
      return again;
    },
    dispose: async () => {
      for (const repo of opened) await repo.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
