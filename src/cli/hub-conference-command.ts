import { Command, Option } from 'commander';
import { join, resolve } from 'node:path';
import type { SqliteHubRepository } from '../hub/sqlite-repository.js';
import { UsageError } from './process.js';

const CID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const dataOption = () =>
  new Option('--data <dir>', 'hub data directory').env('ROOMFILES_HUB_DATA').default('./roomfiles-data/hub');

async function withRepository<T>(data: string, fn: (repo: SqliteHubRepository) => Promise<T>): Promise<T> {
  const { SqliteHubRepository } = await import('../hub/sqlite-repository.js');
  const repo = new SqliteHubRepository(join(resolve(data), 'hub.db'));
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

/** `roomfiles hub conference add|list|remove`: named conferences, joinable as `\c\<CID>`. */
export function hubConferenceCommand(): Command {
  const conference = new Command('conference')
    .description(
      'manage named conferences, which rooms join with call "\\c\\<CID>" (works whether or not the hub is running)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  roomfiles hub conference add weekly --title "Weekly review"\n' +
        '  roomfiles hub conference list\n  roomfiles hub conference remove weekly',
    );
  conference
    .command('add <cid>')
    .description('create a named conference')
    .option('--title <title>', 'its title (default: the CID)')
    .addOption(dataOption())
    .addHelpText(
      'after',
      '\nExample:\n  roomfiles hub conference add weekly --title "Weekly review"   # then call "\\c\\weekly"',
    )
    .action(async (cid: string, options) => {
      if (!CID_PATTERN.test(cid)) {
        throw new UsageError(
          `"${cid}" is not a valid conference id: use letters, digits, dot, dash or underscore`,
        );
      }
      const added = await withRepository(options.data, (repo) =>
        repo.addConference({ cid, title: options.title ?? cid, createdAt: Date.now() }),
      );
      if (!added) throw new UsageError(`conference ${cid} already exists`, 1);
      console.log(`created conference ${cid}: join it with call "\\c\\${cid}"`);
    });
  conference
    .command('list')
    .description('list named conferences')
    .option('--json', 'one JSON array')
    .addOption(dataOption())
    .addHelpText(
      'after',
      '\nExample:\n  roomfiles hub conference list --data /var/lib/roomfiles/hub   # one "\\c\\<CID>  title" per line',
    )
    .action(async (options) => {
      const list = await withRepository(options.data, (repo) => repo.listConferences());
      if (options.json) return console.log(JSON.stringify(list));
      if (list.length === 0) return console.log('no conferences');
      for (const row of list) console.log(`\\c\\${row.cid}\t${row.title}`);
    });
  conference
    .command('remove <cid>')
    .description('delete a named conference')
    .addOption(dataOption())
    .addHelpText('after', '\nExample:\n  roomfiles hub conference remove weekly')
    .action(async (cid: string, options) => {
      const removed = await withRepository(options.data, (repo) => repo.removeConference(cid));
      if (!removed) throw new UsageError(`conference ${cid} does not exist`, 1);
      console.log(`removed conference ${cid}`);
    });
  return conference;
}
