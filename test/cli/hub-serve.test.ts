import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openRoomConnection, type RoomConnection } from '../../src/client/index.js';
import { TestBed } from '../helpers/harness.js';
import { stateOrEvent } from '../helpers/wait.js';
import { CliProcess, FREE_ROOM_PORTS, roomArgs, runCli, type RunResult } from '../helpers/child.js';

const bed = new TestBed();
after(() => bed.close());

/** A server command as a child process, stopped (killed if need be) when the tests end. */
function serve(args: string[], env?: Record<string, string>): CliProcess {
  const child = new CliProcess(args, { env });
  bed.defer(() => child.kill());
  return child;
}

/** Asserts a failed command: non-zero exit, one line on stderr naming the problem, no stack trace. */
function assertCleanFailure(result: RunResult, pattern: RegExp) {
  assert.notEqual(result.code, 0, `exit code of a failure; stdout: ${result.stdout}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(result.stderr, /Error:/, 'no error class names');
}

test('--help of hub, room, up and every user and conference subcommand exits 0 and shows an example', async () => {
  const commands = [
    ['hub'],
    ['room'],
    ['up'],
    ['hub', 'user'],
    ['hub', 'user', 'add'],
    ['hub', 'user', 'list'],
    ['hub', 'user', 'remove'],
    ['hub', 'user', 'passwd'],
    ['hub', 'user', 'set'],
    ['hub', 'conference'],
    ['hub', 'conference', 'add'],
    ['hub', 'conference', 'list'],
    ['hub', 'conference', 'remove'],
  ];
  await Promise.all(
    commands.map(async (command) => {
      const result = await runCli([...command, '--help']);
      assert.equal(result.code, 0, `${command.join(' ')} --help: ${result.stderr}`);
      assert.match(result.stdout, /^Usage: roomfiles /m, command.join(' '));
      assert.match(
        result.stdout,
        /Examples?:\n {2}roomfiles /,
        `${command.join(' ')} --help shows an example`,
      );
      assert.equal(result.stderr, '');
    }),
  );
});

test('roomfiles room refuses a non-loopback address without a PIN, and starts with --insecure', async () => {
  const data = bed.dir('cli-room-');
  const refused = await runCli(['room', '--host', '0.0.0.0', '--data', data]);
  assertCleanFailure(refused, /refusing to listen on 0\.0\.0\.0 without a PIN or password/);
  assert.match(refused.stderr, /--pin/);
  const byEnv = await runCli(['room', '--data', data], { env: { ROOMFILES_HOST: '0.0.0.0' } });
  assertCleanFailure(byEnv, /refusing to listen on 0\.0\.0\.0/);

  const insecure = serve(['room', '--host', '0.0.0.0', '--insecure', '--data', data, ...FREE_ROOM_PORTS]);
  const ready = await insecure.waitForLine(/listening: web http:\/\/0\.0\.0\.0:(\d+)\/ api (\d+) http (\d+)/);
  assert.ok(Number(ready[2]) > 0);
  assert.deepEqual(await insecure.stop('SIGINT'), { code: 0, signal: null });
});

/** Resolves once the connection's room is logged in (already, or by the next successful login event). */
async function whenLoggedIn(api: RoomConnection) {
  await stateOrEvent(
    api,
    'login',
    (e) => e.result === 0,
    async () => (await api.call('getLogin')).isLoggedIn,
  );
  return api.call('getLogin');
}

test('roomfiles hub and roomfiles room start from flags or ROOMFILES_* variables and work together', async () => {
  // A hub from flags, an account added beside it while it runs, a room from flags.
  const hubData = bed.dir('cli-hub-');
  const hub = serve(['hub', '--listen', '127.0.0.1:0', '--data', hubData, '--domain', 'example.org']);
  const hubReady = await hub.waitForLine(
    /^roomfiles hub listening on 127\.0\.0\.1:(\d+) \(domain example\.org\)$/,
  );
  const hubPort = Number(hubReady[1]);
  assert.ok(hubPort > 0);
  const add = await runCli([
    'hub',
    'user',
    'add',
    'alice',
    '--password',
    'pw-a',
    '--domain',
    'example.org',
    '--data',
    hubData,
  ]);
  assert.equal(add.code, 0, add.stderr);

  const roomData = bed.dir('cli-room-');
  const room = serve(
    roomArgs({ name: 'kiosk', data: roomData, hubPort, login: 'alice@example.org', password: 'pw-a' }),
  );
  const roomReady = await room.waitForLine(
    /^roomfiles room kiosk listening: web http:\/\/127\.0\.0\.1:(\d+)\/ api (\d+) http (\d+)$/,
  );
  const api = await openRoomConnection(`ws://127.0.0.1:${roomReady[2]}/`);
  bed.defer(() => api.close());
  await api.call('auth', { type: 'unsecured' });
  const login = await whenLoggedIn(api);
  assert.deepEqual([login.isLoggedIn, login.peerId, login.peerDn], [true, 'alice@example.org', 'Alice']);
  assert.equal((await api.call('getAppState')).embeddedHttpPort, Number(roomReady[3]));
  const config = await fetch(`http://127.0.0.1:${roomReady[1]}/public/default/config.json`);
  assert.deepEqual(await config.json(), {
    config: {
      websocket: { hostname: null, port: Number(roomReady[2]) },
      http: { hostname: null, port: Number(roomReady[3]) },
    },
  });
  api.close();
  assert.deepEqual(await room.stop('SIGINT'), { code: 0, signal: null });
  assert.deepEqual(await hub.stop('SIGTERM'), { code: 0, signal: null });

  // The same pair from the environment only.
  const hub2 = serve(['hub'], {
    ROOMFILES_HUB_LISTEN: '127.0.0.1:0',
    ROOMFILES_HUB_DATA: hubData,
    ROOMFILES_DOMAIN: 'example.org',
  });
  const hub2Ready = await hub2.waitForLine(
    /^roomfiles hub listening on 127\.0\.0\.1:(\d+) \(domain example\.org\)$/,
  );
  const room2Data = bed.dir('cli-room-');
  const room2 = serve(['room'], {
    ROOMFILES_ROOM_NAME: 'lobby',
    ROOMFILES_DATA: room2Data,
    ROOMFILES_WEB_PORT: '0',
    ROOMFILES_API_PORT: '0',
    ROOMFILES_HTTP_PORT: '0',
    ROOMFILES_PIN: '1357',
    ROOMFILES_SERVER: `127.0.0.1:${hub2Ready[1]}`,
    ROOMFILES_LOGIN: 'alice',
    ROOMFILES_PASSWORD: 'pw-a',
  });
  const room2Ready = await room2.waitForLine(
    /^roomfiles room lobby listening: web \S+ api (\d+) http (\d+)$/,
  );
  assert.ok(existsSync(join(room2Data)), 'the room data directory is used');
  const api2 = await openRoomConnection(`ws://127.0.0.1:${room2Ready[1]}/`);
  bed.defer(() => api2.close());
  await assert.rejects(api2.call('auth', { type: 'unsecured' }), /401|PIN|credentials/i);
  await api2.call('auth', { type: 'secured', credentials: '1357' });
  const login2 = await whenLoggedIn(api2);
  assert.equal(login2.peerId, 'alice@example.org', 'a bare login gets the hub domain');
  api2.close();
  assert.deepEqual(await room2.stop('SIGINT'), { code: 0, signal: null });
  assert.deepEqual(await hub2.stop('SIGINT'), { code: 0, signal: null });
});
