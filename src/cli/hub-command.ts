import { Command, Option } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { DEFAULT_HUB_PORT } from '../common/defaults.js';
import type { Accounts } from '../hub/accounts.js';
import { DEFAULT_DOMAIN } from '../common/defaults.js';
import { parseDuration, parseHostPort, parseSize } from './parse.js';
import { parseTrustedProxies } from '../common/trusted-proxy.js';
import { UsageError, runUntilSignal } from './process.js';
import { hubConferenceCommand } from './hub-conference-command.js';
import { addBlobStorageOptions } from './blob-storage-options.js';
import { checkedDatabaseUrl } from './hub-database.js';
import { hubMigrateCommand } from './hub-migrate-command.js';

const dataOption = () =>
  new Option('--data <dir>', 'hub data directory').env('ROOMFILES_HUB_DATA').default('./roomfiles-data/hub');
/** `--db postgres://…`: the hub's rows in PostgreSQL instead of hub.db in the data directory. */
const dbOption = () =>
  new Option(
    '--db <url>',
    'PostgreSQL database URL (postgres://user:password@host:port/db); default: hub.db in --data',
  ).env('ROOMFILES_DB');
const domainOption = () =>
  new Option('--domain <domain>', 'the TrueConf ID domain').env('ROOMFILES_DOMAIN').default(DEFAULT_DOMAIN);

/**
 * `--data` and `--domain` of a `user` subcommand; given before `user` (`roomfiles hub --data D user list`) they
 * count too, so the hub's own options never silently fall back to the default directory.
 */
function accountOptions(command: Command): { data: string; domain: string; db: string | undefined } {
  const pick = (key: 'data' | 'domain' | 'db'): string => {
    for (let current: Command | null = command; current; current = current.parent) {
      const source = current.getOptionValueSource(key);
      if (source !== undefined && source !== 'default') return current.opts()[key] as string;
    }
    return command.opts()[key] as string;
  };
  return { data: pick('data'), domain: pick('domain'), db: pick('db') || undefined };
}

async function withAccounts<T>(
  command: Command,
  fn: (accounts: Accounts) => Promise<T>,
  { create = false } = {},
) {
  const options = accountOptions(command);
  const path = join(resolve(options.data), 'hub.db');
  if (!options.db && !create && !existsSync(path)) {
    throw new UsageError(`no hub database at ${path}: give the hub's data directory with --data`, 1);
  }
  // Loaded here: commands that do not touch the database start without loading SQLite.
  const [{ Accounts, AccountError }, { openRepositoryForCommand }, { systemClock }] = await Promise.all([
    import('../hub/accounts.js'),
    import('./hub-database.js'),
    import('../common/clock.js'),
  ]);
  const repo = await openRepositoryForCommand({ db: options.db, dataDir: resolve(options.data) });
  try {
    return await fn(new Accounts(repo, options.domain, systemClock));
  } catch (error) {
    if (error instanceof AccountError) throw new UsageError(error.message, 1);
    throw error;
  } finally {
    await repo.close();
  }
}

/** A password from the flag, the environment, or one line of standard input (prompted on a terminal). */
async function readPassword(given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  if (process.env.ROOMFILES_ACCOUNT_PASSWORD) return process.env.ROOMFILES_ACCOUNT_PASSWORD;
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  if (process.stdin.isTTY) process.stderr.write('Password: ');
  const line = await new Promise<string>((resolveLine) => {
    rl.once('line', resolveLine);
    rl.once('close', () => resolveLine(''));
  });
  rl.close();
  if (!line)
    throw new UsageError('no password given: use --password, ROOMFILES_ACCOUNT_PASSWORD or standard input');
  return line;
}

/** The store of `--blobs`; a location it cannot use is the user's error, said in one sentence (also `up`'s). */
export async function openBlobs(options: { blobs: string; s3Endpoint?: string; s3ForcePathStyle?: boolean }) {
  // The AWS SDK is loaded only for a hub whose bodies are in S3.
  const { openBlobStore } = await import('../hub/blob-store-config.js');
  try {
    return openBlobStore(options.blobs, '', {
      endpoint: options.s3Endpoint,
      forcePathStyle: options.s3ForcePathStyle === true,
    });
  } catch (error) {
    throw new UsageError(`--blobs: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The certificate and key of `--tls-cert`/`--tls-key`: both or neither, read once at start. */
function readTlsFiles(
  certFile: string | undefined,
  keyFile: string | undefined,
): { cert: Buffer; key: Buffer } | null {
  if (certFile === undefined && keyFile === undefined) return null;
  if (certFile === undefined || keyFile === undefined)
    throw new UsageError('--tls-cert and --tls-key go together: give both or neither');
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new UsageError(`cannot read the TLS ${what} ${file}: ${(error as Error).message}`);
    }
  };
  return { cert: read(certFile, 'certificate'), key: read(keyFile, 'key') };
}

/** The addresses of `--trust-proxy`; one that is not an address or range is the user's error. */
function readTrustedProxies(given: string | undefined): string[] {
  if (!given) return [];
  try {
    return parseTrustedProxies(given);
  } catch (error) {
    throw new UsageError(`--trust-proxy: ${(error as Error).message}`);
  }
}

export function hubCommand(): Command {
  const hub = addBlobStorageOptions(
    new Command('hub')
      .description('run a hub: accounts, conferences, and the relay of file bodies between rooms')
      // The hub's options belong to the hub only: `hub user list --data D` is the subcommand's --data.
      .enablePositionalOptions()
      .addOption(
        new Option('--listen <host:port>', 'address to listen on')
          .env('ROOMFILES_HUB_LISTEN')
          .default(`127.0.0.1:${DEFAULT_HUB_PORT}`),
      )
      .addOption(dataOption())
      .addOption(dbOption())
      .addOption(domainOption())
      .addOption(
        new Option('--offer-ttl <duration>', 'how long an offer waits (e.g. 7d)')
          .env('ROOMFILES_OFFER_TTL')
          .default('7d'),
      )
      .addOption(
        new Option('--max-file-size <size>', 'largest file relayed (e.g. 64GiB)')
          .env('ROOMFILES_MAX_FILE_SIZE')
          .default('64GiB'),
      ),
    'DATA/blobs',
  )
    .addOption(
      new Option(
        '--partial-idle <duration>',
        'remove a partial upload with no new byte for this long (e.g. 24h)',
      )
        .env('ROOMFILES_PARTIAL_IDLE')
        .default('24h'),
    )
    .addOption(
      new Option('--login-lock-window <duration>', 'how long failed logins count towards a lock (e.g. 10m)')
        .env('ROOMFILES_LOGIN_LOCK_WINDOW')
        .default('10m'),
    )
    .addOption(
      new Option(
        '--metrics-token <token>',
        'bearer token GET /stats and GET /metrics require (none: both off)',
      ).env('ROOMFILES_METRICS_TOKEN'),
    )
    .addOption(
      new Option(
        '--tls-cert <file>',
        'serve HTTPS/WSS with this certificate chain (PEM); needs --tls-key',
      ).env('ROOMFILES_TLS_CERT'),
    )
    .addOption(new Option('--tls-key <file>', 'the private key (PEM) of --tls-cert').env('ROOMFILES_TLS_KEY'))
    .addOption(
      new Option(
        '--trust-proxy <list>',
        'reverse proxies whose X-Forwarded-For is believed: addresses or CIDR ranges, comma-separated',
      ).env('ROOMFILES_TRUST_PROXY'),
    )
    .addHelpText(
      'after',
      '\nExample:\n  roomfiles hub --listen 0.0.0.0:4307 --data /var/lib/roomfiles/hub --domain example.org' +
        '\n  roomfiles hub --blobs s3://roomfiles/bodies --s3-endpoint http://minio:9000 --s3-force-path-style',
    )
    .action(async (options) => {
      const { host, port } = parseHostPort(options.listen, DEFAULT_HUB_PORT);
      const tls = readTlsFiles(options.tlsCert, options.tlsKey);
      const trustProxy = readTrustedProxies(options.trustProxy);
      // Loaded here, not at the top: commands that do not run a server start without loading one.
      const [{ Hub }, { createLogger }] = await Promise.all([
        import('../hub/hub.js'),
        import('../common/logger.js'),
      ]);
      const blobStore = options.blobs ? await openBlobs(options) : undefined;
      const instance = new Hub({
        dataDir: resolve(options.data),
        blobStore,
        db: await checkedDatabaseUrl(options.db),
        host,
        port,
        domain: options.domain,
        offerTtlMs: parseDuration(options.offerTtl),
        maxFileSize: parseSize(options.maxFileSize),
        metricsToken: options.metricsToken || undefined,
        loginLockWindowMs: parseDuration(options.loginLockWindow),
        partialIdleMs: parseDuration(options.partialIdle),
        logger: createLogger('hub'),
        ...(tls ? { tls } : {}),
        ...(trustProxy.length > 0 ? { trustProxy } : {}),
      });
      await instance.start();
      // Signal handlers first: whoever reads the ready line may send Ctrl-C at once.
      const stopped = runUntilSignal(() => instance.stop());
      console.log(
        `roomfiles hub listening on ${host}:${instance.port}${tls ? ' (TLS)' : ''} (domain ${instance.domain})`,
      );
      // Said, not waited for: the hub serves everything but bodies meanwhile, and uploads wait for the bucket.
      void blobStore?.reachable?.().then((reachable) => {
        if (!reachable)
          console.error(`warning: the bucket of ${options.blobs} does not answer now; uploads wait for it`);
      });
      await stopped;
    });

  const user = new Command('user')
    .description('manage accounts (works whether or not the hub is running)')
    .addHelpText(
      'after',
      '\nExamples:\n  roomfiles hub user add carol --password s3cret --data ./roomfiles-data/hub\n' +
        '  roomfiles hub user list --json',
    );
  user
    .command('add <name>')
    .description('create an account')
    .option('--password <password>', 'its password (or ROOMFILES_ACCOUNT_PASSWORD, or standard input)')
    .option('--display-name <name>', 'the name others see')
    .option('--no-file-transfer', 'forbid file transfer for this account')
    .addOption(dataOption())
    .addOption(dbOption())
    .addOption(domainOption())
    .addHelpText(
      'after',
      '\nExample:\n  roomfiles hub user add carol --display-name "Carol Jones" --password s3cret',
    )
    .action(async (name: string, options, command: Command) => {
      const password = await readPassword(options.password);
      const view = await withAccounts(
        command,
        (accounts) =>
          accounts.add(name, password, {
            displayName: options.displayName,
            fileTransfer: options.fileTransfer,
          }),
        { create: true },
      );
      console.log(`created ${view.peerId} (${view.displayName})`);
    });
  user
    .command('list')
    .description('list accounts')
    .option('--json', 'one JSON array')
    .addOption(dataOption())
    .addOption(dbOption())
    .addOption(domainOption())
    .addHelpText('after', '\nExample:\n  roomfiles hub user list --data ./roomfiles-data/hub --json')
    .action(async (options, command: Command) => {
      const list = await withAccounts(command, (accounts) => accounts.list());
      if (options.json) return console.log(JSON.stringify(list));
      if (list.length === 0) return console.log('no accounts');
      for (const a of list) {
        const flags = [a.fileTransfer ? '' : 'file transfer forbidden', a.locked ? 'locked' : ''].filter(
          Boolean,
        );
        console.log(`${a.peerId}\t${a.displayName}${flags.length ? `\t(${flags.join(', ')})` : ''}`);
      }
    });
  user
    .command('remove <name>')
    .description('delete an account')
    .addOption(dataOption())
    .addOption(dbOption())
    .addOption(domainOption())
    .addHelpText('after', '\nExample:\n  roomfiles hub user remove carol --data ./roomfiles-data/hub')
    .action(async (name: string, _options, command: Command) => {
      await withAccounts(command, (accounts) => accounts.remove(name));
      console.log(`removed ${name}`);
    });
  user
    .command('passwd <name>')
    .description("change an account's password")
    .option('--password <password>', 'the new password (or ROOMFILES_ACCOUNT_PASSWORD, or standard input)')
    .addOption(dataOption())
    .addOption(dbOption())
    .addOption(domainOption())
    .addHelpText('after', '\nExample:\n  roomfiles hub user passwd carol --password n3w-s3cret')
    .action(async (name: string, options, command: Command) => {
      const password = await readPassword(options.password);
      const view = await withAccounts(command, (accounts) => accounts.update(name, { password }));
      console.log(`password of ${view.peerId} changed`);
    });
  user
    .command('set <name>')
    .description("change an account's display name, file-transfer permission or lock")
    .option('--display-name <name>', 'the name others see')
    .option('--file-transfer', 'allow file transfer')
    .option('--no-file-transfer', 'forbid file transfer')
    .option('--lock', 'lock the account (logins refused with code 10)')
    .option('--unlock', 'unlock the account')
    .option('--quota <size>', 'bytes the account may hold at the hub (e.g. 10GiB, the default)')
    .addOption(dataOption())
    .addOption(dbOption())
    .addOption(domainOption())
    .addHelpText('after', '\nExample:\n  roomfiles hub user set bob --no-file-transfer')
    .action(async (name: string, options, command: Command) => {
      const locked = options.lock ? true : options.unlock ? false : undefined;
      const quota = options.quota !== undefined ? parseSize(options.quota) : undefined;
      const view = await withAccounts(command, (accounts) =>
        accounts.update(name, {
          displayName: options.displayName,
          fileTransfer: options.fileTransfer,
          locked,
          quota,
        }),
      );
      if (quota !== undefined) console.log(`${view.peerId}: quota ${quota} bytes`);
      console.log(
        `${view.peerId}: ${view.displayName}, file transfer ${view.fileTransfer ? 'allowed' : 'forbidden'}` +
          (view.locked ? ', locked' : ''),
      );
    });
  hub.addCommand(user);
  hub.addCommand(hubConferenceCommand());
  hub.addCommand(hubMigrateCommand());
  return hub;
}
