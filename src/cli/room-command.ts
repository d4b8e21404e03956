import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Room } from '../room/room.js';
import { DEFAULT_HUB_PORT, ROOM_DEFAULT_PORTS } from '../common/defaults.js';
import { urlHost } from '../protocol/url-host.js';
import { collect, parsePort, parseSize } from './parse.js';
import { HubTargetError, parseHubTarget } from '../room/hub-target.js';
import { UsageError, runUntilSignal } from './process.js';

function serverOf(value: string) {
  try {
    return parseHubTarget(value, DEFAULT_HUB_PORT);
  } catch (error) {
    if (error instanceof HubTargetError) throw new UsageError(`--server: ${error.message}`);
    throw error;
  }
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the certificate authority ${file}: ${(error as Error).message}`);
  }
}

export function roomCommand(): Command {
  return new Command('room')
    .description('run one room: the Room API, its built-in HTTP server and web interface')
    .addOption(new Option('--name <name>', 'name of the room').env('ROOMFILES_ROOM_NAME').default('room'))
    .addOption(
      new Option('--data <dir>', 'data directory').env('ROOMFILES_DATA').default('./roomfiles-data/room'),
    )
    .addOption(new Option('--host <address>', 'address to bind').env('ROOMFILES_HOST').default('127.0.0.1'))
    .addOption(
      new Option('--web-port <port>', 'web port (config.json, web interface)')
        .env('ROOMFILES_WEB_PORT')
        .argParser(parsePort)
        .default(ROOM_DEFAULT_PORTS.web),
    )
    .addOption(
      new Option('--api-port <port>', 'WebSocket API port')
        .env('ROOMFILES_API_PORT')
        .argParser(parsePort)
        .default(ROOM_DEFAULT_PORTS.api),
    )
    .addOption(
      new Option('--http-port <port>', 'built-in HTTP server port')
        .env('ROOMFILES_HTTP_PORT')
        .argParser(parsePort),
    )
    .addOption(new Option('--pin <pin>', 'protect the room with a PIN').env('ROOMFILES_PIN'))
    .addOption(
      new Option('--room-password <password>', 'protect the room with a password').env(
        'ROOMFILES_ROOM_PASSWORD',
      ),
    )
    .option('--insecure', 'allow an unprotected room on a non-loopback address')
    .option(
      '--allow-origin <origin>',
      'also accept API connections from this web origin (repeatable)',
      collect,
      [],
    )
    .option('--single-client', 'one API connection per role, as TrueConf Room does')
    .addOption(
      new Option(
        '--server <address>',
        'hub to connect to when none is saved: wss://host[:port] (TLS) or host[:port]',
      ).env('ROOMFILES_SERVER'),
    )
    .addOption(
      new Option(
        '--ca <file>',
        "a certificate authority (PEM) to trust for the hub's TLS, besides the system's",
      ).env('ROOMFILES_CA'),
    )
    .option(
      '--insecure-link',
      "send the account's password over a cleartext link (ws://) to a hub on another machine",
    )
    .addOption(
      new Option('--login <trueconf-id>', 'account to log in as when none is saved').env('ROOMFILES_LOGIN'),
    )
    .addOption(new Option('--password <password>', "the account's password").env('ROOMFILES_PASSWORD'))
    .addOption(new Option('--quota <size>', 'storage quota').env('ROOMFILES_QUOTA').default('20GiB'))
    .addOption(new Option('--max-post <size>', 'largest upload').env('ROOMFILES_MAX_POST'))
    .addOption(
      new Option(
        '--max-rate <size>',
        'most bytes per second per transfer to or from the hub (e.g. 20MiB)',
      ).env('ROOMFILES_MAX_RATE'),
    )
    .addHelpText(
      'after',
      '\nExample:\n  roomfiles room --name kiosk --data ./kiosk --pin 4321 --server hub.example.org:4307 \\\n' +
        '    --login kiosk@example.org --password s3cret',
    )
    .action(async (options) => {
      if (options.pin && options.roomPassword)
        throw new UsageError('give either --pin or --room-password, not both');
      if (options.login && options.password === undefined) {
        throw new UsageError('--login needs --password (or ROOMFILES_PASSWORD)');
      }
      const [{ Room, RoomStartError }, { createLogger }] = await Promise.all([
        import('../room/room.js'),
        import('../common/logger.js'),
      ]);
      let room: Room;
      try {
        room = new Room({
          name: options.name,
          dataDir: resolve(options.data),
          host: options.host,
          webPort: options.webPort,
          apiPort: options.apiPort,
          httpPort: options.httpPort,
          pin: options.pin,
          password: options.roomPassword,
          insecure: options.insecure,
          allowOrigins: options.allowOrigin,
          singleClient: options.singleClient,
          server: options.server ? serverOf(options.server) : undefined,
          hubCa: options.ca ? readCa(options.ca) : undefined,
          insecureLink: options.insecureLink,
          login: options.login ? { login: options.login, password: options.password } : undefined,
          quotaBytes: parseSize(options.quota),
          maxPostBytes: options.maxPost ? parseSize(options.maxPost) : undefined,
          maxRateBytes: options.maxRate ? parseSize(options.maxRate) : undefined,
          logger: createLogger('room'),
        });
      } catch (error) {
        if (error instanceof RoomStartError) throw new UsageError(error.message);
        throw error;
      }
      await room.start();
      // Signal handlers first: whoever reads the ready line may send Ctrl-C at once.
      const stopped = runUntilSignal(() => room.stop());
      console.log(
        `roomfiles room ${room.name} listening: web http://${urlHost(options.host)}:${room.webPort}/ ` +
          `api ${room.apiPort} http ${room.httpPort}`,
      );
      await stopped;
    });
}
