import { Command, Option } from 'commander';
import { DEFAULT_HUB_PORT } from '../../common/defaults.js';
import { parseHostPort } from '../parse.js';
import { UsageError } from '../process.js';
import { Failure, outcome, withConnectionOptions, withRoom, type ConnectionFlags } from './connection.js';
import { appStateText, availabilityText, loginResultText, oneLine } from './format.js';
import { Printer } from './output.js';
import { ServerConnection } from '../../protocol/codes.js';

/** How long login and connect wait for the room's answer from the server. */
const SERVER_TIMEOUT_MS = 20_000;

export function statusCommand(): Command {
  return withConnectionOptions(
    new Command('status').description(
      "the room's state: app state, login, server, file transfer availability, conference",
    ),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  roomfiles status\n  roomfiles status --url ws://127.0.0.1:8775 --json',
    )
    .action(async (flags: ConnectionFlags) => {
      const printer = new Printer(Boolean(flags.json));
      await withRoom(flags, async (client) => {
        const [app, login, connected, availability, conference, system] = await Promise.all([
          client.getAppState(),
          client.getLogin(),
          client.getConnected(),
          client.getFileTransferAvailability(),
          client.getConferences(),
          client.getSystemInfo(),
        ]);
        const server = connected.serverInfo;
        const { major, minor, revision } = system.productInfo;
        printer.document({
          room: { host: client.host, apiPort: client.apiPort, httpPort: client.httpPort },
          version: `${major}.${minor}.${revision}`,
          appState: app.appState,
          appStateText: appStateText(app.appState),
          login: login.isLoggedIn ? { peerId: login.peerId, peerDn: login.peerDn } : null,
          server: server
            ? { ...server, state: connected.state, stateText: connectedText(connected.state) }
            : null,
          availability: availability.availability,
          availabilityText: availabilityText(availability.availability),
          conference: conference.confId
            ? {
                confId: conference.confId,
                id: conference.id,
                title: conference.confTitle,
                owner: conference.conferenceOwner,
              }
            : null,
        });
        const lines: [string, string][] = [
          [
            'room',
            `${client.host} API port ${client.apiPort}, HTTP port ${client.httpPort} (roomfiles ${major}.${minor}.${revision})`,
          ],
          ['state', appStateText(app.appState)],
          ['login', login.isLoggedIn ? `${login.peerId} (${oneLine(login.peerDn ?? '')})` : 'not logged in'],
          [
            'server',
            server
              ? `${server.server}:${server.port}, ${connectedText(connected.state)}${server.domain ? `, domain ${server.domain}` : ''}`
              : 'none',
          ],
          ['files', `transfer ${availabilityText(availability.availability)}`],
          [
            'conference',
            conference.confId
              ? `"${oneLine(conference.confTitle ?? '')}" (${conference.confId}), owner ${conference.conferenceOwner}`
              : 'none',
          ],
        ];
        for (const [key, value] of lines) printer.line(`${key.padEnd(11)}${value}`);
      });
    });
}

function connectedText(state: number): string {
  return ['not connected', 'connecting', 'connected'][state] ?? `state ${state}`;
}

/** The account password: the flag, the environment, the terminal (not echoed) or the first line of stdin. */
async function readPassword(given: string | undefined, login: string): Promise<string> {
  if (given !== undefined) return given;
  if (process.stdin.isTTY) return promptHidden(`password for ${login}: `);
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  const password = text.split(/\r?\n/)[0];
  if (!text) throw new UsageError('give the password: --password, ROOMFILES_LOGIN_PASSWORD, or on stdin');
  return password;
}

/** Asks on the terminal without echoing what is typed. */
function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let value = '';
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new UsageError('cancelled', 130));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on('data', onData);
  });
}

export function loginCommand(): Command {
  return withConnectionOptions(
    new Command('login')
      .description('log the room in to its server with a TrueConf ID (the room keeps the credentials)')
      .argument('<trueconf-id>', "the account: alice@files.local, or alice in the server's domain")
      .addOption(
        new Option('--password <password>', "the account's password (else asked, or read from stdin)").env(
          'ROOMFILES_LOGIN_PASSWORD',
        ),
      ),
  )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  roomfiles login alice@files.local                 # asks for the password\n' +
        '  ROOMFILES_LOGIN_PASSWORD=s3cret roomfiles login alice\n' +
        '  pass show trueconf | roomfiles login alice         # the first line of stdin',
    )
    .action(async (login: string, flags: ConnectionFlags & { password?: string }) => {
      if (login.trim() === '') throw new UsageError('give the TrueConf ID to log in as');
      const printer = new Printer(Boolean(flags.json));
      const password = await readPassword(flags.password, login);
      await withRoom(flags, async (client) => {
        const result = outcome<{ result: number; peerId?: string; peerDn?: string }>(
          client,
          SERVER_TIMEOUT_MS,
          'the room did not report the login result in time',
          (settle) => [client.on('login', (event) => settle(event))],
        );
        await client.login({ login: login.trim(), password, encryptPassword: true });
        const event = await result;
        printer.document({
          result: event.result,
          resultText: loginResultText(event.result),
          ...(event.peerId ? { peerId: event.peerId, peerDn: event.peerDn } : {}),
        });
        if (event.result === 0) {
          return printer.line(`logged in as ${event.peerId} (${oneLine(event.peerDn ?? '')})`);
        }
        if (event.result === 1) {
          const same = event.peerId?.split('@')[0] === login.trim().split('@')[0];
          if (same) return printer.line(`already logged in as ${event.peerId}`);
          throw new Failure(`the room is logged in as ${event.peerId} already: roomfiles logout first`);
        }
        if (event.result === 7) {
          throw new Failure(
            `cannot log in as ${login}: ${loginResultText(7)} (roomfiles status shows the server; roomfiles connect sets it)`,
          );
        }
        throw new Failure(`cannot log in as ${login}: ${loginResultText(event.result)}`);
      });
    });
}

export function logoutCommand(): Command {
  return withConnectionOptions(
    new Command('logout').description('log the room out of its server (it forgets the saved credentials)'),
  )
    .addHelpText('after', '\nExample:\n  roomfiles logout')
    .action(async (flags: ConnectionFlags) => {
      const printer = new Printer(Boolean(flags.json));
      await withRoom(flags, async (client) => {
        const before = await client.getLogin();
        const done = outcome(
          client,
          SERVER_TIMEOUT_MS,
          'the room did not confirm the logout in time',
          (settle) => [client.on('logout', (event) => settle(event))],
        );
        await client.logout();
        await done;
        printer.document({ loggedOut: true, ...(before.isLoggedIn ? { peerId: before.peerId } : {}) });
        printer.line(
          before.isLoggedIn ? `logged out (was ${before.peerId})` : 'logged out (was not logged in)',
        );
      });
    });
}

export function connectCommand(): Command {
  return withConnectionOptions(
    new Command('connect')
      .description('connect the room to a server (a roomfiles hub); waits until it is connected or cannot be')
      .argument('<server>', `host[:port] of the server (port ${DEFAULT_HUB_PORT} when not given)`),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  roomfiles connect 127.0.0.1:4307\n  roomfiles connect hub.example.org && roomfiles login alice',
    )
    .action(async (given: string, flags: ConnectionFlags) => {
      const target = parseHostPort(given, DEFAULT_HUB_PORT);
      const printer = new Printer(Boolean(flags.json));
      await withRoom(flags, async (client) => {
        const before = await client.getConnected();
        // Connecting again to the server it is on: the old link's serverDisconnected comes first.
        let staleDisconnects =
          before.state !== ServerConnection.NotConnected &&
          before.serverInfo?.server === target.host &&
          before.serverInfo?.port === target.port
            ? 1
            : 0;
        const matches = (event: { server: string; port: number }) =>
          event.server === target.host && event.port === target.port;
        const result = outcome<{ domain: string }>(
          client,
          SERVER_TIMEOUT_MS,
          `no answer from ${target.host}:${target.port} within ${SERVER_TIMEOUT_MS / 1000} s; the room keeps trying`,
          (settle) => [
            client.on('serverConnected', (event) => {
              if (matches(event)) settle(event);
            }),
            client.on('serverDisconnected', (event) => {
              if (!matches(event)) return;
              if (staleDisconnects > 0) {
                staleDisconnects -= 1;
                return;
              }
              settle(
                new Failure(
                  `the room cannot reach the server ${target.host}:${target.port}; it keeps trying (roomfiles status)`,
                ),
              );
            }),
          ],
        );
        await client.connectToServer({ server: target.host, port: target.port });
        const connected = await result;
        printer.document({
          connected: true,
          server: target.host,
          port: target.port,
          domain: connected.domain,
        });
        printer.line(`connected to ${target.host}:${target.port} (domain ${connected.domain})`);
      });
    });
}
