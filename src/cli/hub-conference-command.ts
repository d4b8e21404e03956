import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import type { HubRepository } from '../hub/repository.js';
import { UsageError } from './process.js';
import { openRepositoryForCommand } from './hub-database.js';

const CID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const dataOption = () =>
  new Option('--data <dir>', 'hub data directory').env('ROOMFILES_HUB_DATA').default('./roomfiles-data/hub');

/** `--db postgres://…`: the named conferences of a hub on PostgreSQL. */
const dbOption = () =>
  new Option('--db <url>', 'PostgreSQL database URL; default: hub.db in --data').env('ROOMFILES_DB');

async function withRepository<T>(
  options: { data: string; db?: string },
  fn: (repo: HubRepository) => Promise<T>,
): Promise<T> {
  const repo = await openRepositoryForCommand({ db: options.db, dataDir: resolve(options.data) });
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
    .addOption(dbOption())
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
      const added = await withRepository(options, (repo) =>
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
    .addOption(dbOption())
    .addHelpText(
      'after',
      '\nExample:\n  roomfiles hub conference list --data /var/lib/roomfiles/hub   # one "\\c\\<CID>  title" per line',
    )
    .action(async (options) => {
      const list = await withRepository(options, (repo) => repo.listConferences());
      if (options.json) return console.log(JSON.stringify(list));
      if (list.length === 0) return console.log('no conferences');
      for (const row of list) console.log(`\\c\\${row.cid}\t${row.title}`);
    });
  conference
    .command('remove <cid>')
    .description('delete a named conference')
    .addOption(dataOption())
    .addOption(dbOption())
    .addHelpText('after', '\nExample:\n  roomfiles hub conference remove weekly')
    .action(async (cid: string, options) => {
      const removed = await withRepository(options, (repo) => repo.removeConference(cid));
      if (!removed) throw new UsageError(`conference ${cid} does not exist`, 1);
      console.log(`removed conference ${cid}`);
    });
  return conference;
}
