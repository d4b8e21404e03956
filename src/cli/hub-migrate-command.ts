import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { UsageError } from './process.js';
import { checkedDatabaseUrl } from './hub-database.js';

/** `roomfiles hub migrate --to postgres://… [--blobs DIR|s3://…]`: a SQLite hub copied to PostgreSQL. */
export function hubMigrateCommand(): Command {
  return new Command('migrate')
    .description(
      "copy a hub's accounts, conferences, offers and bodies from its data directory (SQLite) to PostgreSQL; " +
        'the source is only read',
    )
    .addOption(
      new Option('--data <dir>', 'the data directory of the hub to copy')
        .env('ROOMFILES_HUB_DATA')
        .default('./roomfiles-data/hub'),
    )
    .requiredOption('--to <url>', 'the PostgreSQL database to copy into (postgres://…; must hold no hub yet)')
    .option(
      '--blobs <where>',
      "where the bodies go: the new hub's blob directory (<its --data>/blobs); default: they stay in --data",
    )
    .addHelpText(
      'after',
      '\nExample:\n  roomfiles hub migrate --data /var/lib/roomfiles/hub --to postgres://roomfiles@db/roomfiles\n' +
        'Stop the hub first; afterwards start it with --db and the same URL.',
    )
    .action(async (options: { data: string; to: string; blobs?: string }) => {
      const url = await checkedDatabaseUrl(options.to);
      if (!url) throw new UsageError('--to takes the URL of the PostgreSQL database to copy into');
      if (options.blobs?.startsWith('s3://')) {
        throw new UsageError('--blobs s3://… needs the S3 blob store, which this build does not have yet');
      }
      // Loaded here: commands that do not migrate start without loading the drivers.
      const [
        { migrateHub, MigrationError },
        { PostgresHubRepository, DatabaseUnavailableError },
        { SchemaTooNewError },
        { DirectoryBlobStore },
      ] = await Promise.all([
        import('../hub/hub-migration.js'),
        import('../hub/postgres-repository.js'),
        import('../hub/postgres-migrations.js'),
        import('../hub/directory-blob-store.js'),
      ]);
      const target = new PostgresHubRepository({ url, connectRetryMs: 2000 });
      try {
        const report = await migrateHub({
          dataDir: resolve(options.data),
          target,
          targetBlobs: options.blobs ? new DirectoryBlobStore(resolve(options.blobs)) : undefined,
          onProgress: (line) => console.log(line),
        });
        console.log(
          `migrated: ${report.counts.accounts} accounts, ${report.counts.conferences} conferences, ` +
            `${report.counts.sends} sends, ${report.counts.offers} offers, ${report.bodies} bodies; ` +
            'counts and sha256 checked; the source is unchanged',
        );
      } catch (error) {
        const theirs = [MigrationError, DatabaseUnavailableError, SchemaTooNewError];
        if (theirs.some((kind) => error instanceof kind)) throw new UsageError((error as Error).message, 1);
        throw error;
      } finally {
        await target.close();
      }
    });
}
