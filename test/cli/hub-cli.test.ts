import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Accounts } from '../../src/hub/accounts.js';
import { SqliteHubRepository } from '../../src/hub/sqlite-repository.js';
import { systemClock } from '../../src/common/clock.js';
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

async function listJson(data: string) {
  const result = await runCli(['hub', 'user', 'list', '--json', '--data', data]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as {
    peerId: string;
    name: string;
    displayName: string;
    fileTransfer: boolean;
    locked: boolean;
  }[];
}

/** Checks a password against the account database directly. */
async function passwordWorks(data: string, name: string, password: string): Promise<boolean> {
  const repo = new SqliteHubRepository(join(data, 'hub.db'));
  try {
    await new Accounts(repo, 'files.local', systemClock).authenticate(name, password);
    return true;
  } catch {
    return false;
  } finally {
    await repo.close();
  }
}

test('hub user add, list, passwd, set and remove manage the accounts of a data directory', async () => {
  const data = bed.dir('cli-hub-');
  const add = await runCli(['hub', 'user', 'add', 'alice', '--password', 'x', '--data', data]);
  assert.equal(add.code, 0, add.stderr);
  assert.equal(add.stdout.trim(), 'created alice@files.local (Alice)');
  assert.ok(await passwordWorks(data, 'alice', 'x'));

  const bob = await runCli(
    ['hub', 'user', 'add', 'bob', '--display-name', 'Bob Jones', '--no-file-transfer', '--data', data],
    { env: { ROOMFILES_ACCOUNT_PASSWORD: 'from-env' } },
  );
  assert.equal(bob.code, 0, bob.stderr);
  assert.ok(await passwordWorks(data, 'bob', 'from-env'));
  const carol = await runCli(['hub', 'user', 'add', 'carol', '--data', data], { input: 'from-stdin\n' });
  assert.equal(carol.code, 0, carol.stderr);
  assert.ok(await passwordWorks(data, 'carol', 'from-stdin'));

  const list = await runCli(['hub', 'user', 'list', '--data', data]);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(list.stdout.trim().split('\n'), [
    'alice@files.local\tAlice',
    'bob@files.local\tBob Jones\t(file transfer forbidden)',
    'carol@files.local\tCarol',
  ]);
  const json = await listJson(data);
  assert.deepEqual(
    json.map((a) => [a.peerId, a.name, a.displayName, a.fileTransfer, a.locked]),
    [
      ['alice@files.local', 'alice', 'Alice', true, false],
      ['bob@files.local', 'bob', 'Bob Jones', false, false],
      ['carol@files.local', 'carol', 'Carol', true, false],
    ],
  );
  assert.ok(!JSON.stringify(json).includes('scrypt'), 'no password hashes in the listing');

  const passwd = await runCli(['hub', 'user', 'passwd', 'alice', '--password', 'y', '--data', data]);
  assert.equal(passwd.code, 0, passwd.stderr);
  assert.match(passwd.stdout, /alice@files\.local/);
  assert.equal(await passwordWorks(data, 'alice', 'x'), false);
  assert.ok(await passwordWorks(data, 'alice', 'y'));

  const forbid = await runCli(['hub', 'user', 'set', 'alice', '--no-file-transfer', '--data', data]);
  assert.equal(forbid.code, 0, forbid.stderr);
  assert.match(forbid.stdout, /file transfer forbidden/);
  assert.equal((await listJson(data))[0].fileTransfer, false);
  const lock = await runCli(['hub', 'user', 'set', 'alice@files.local', '--lock', '--data', data]);
  assert.equal(lock.code, 0, lock.stderr);
  assert.match(lock.stdout, /locked/);
  assert.deepEqual(
    (await listJson(data)).map((a) => [a.name, a.fileTransfer, a.locked]),
    [
      ['alice', false, true],
      ['bob', false, false],
      ['carol', true, false],
    ],
  );
  assert.equal(await passwordWorks(data, 'alice', 'y'), false, 'a locked account cannot log in');
  const listed = await runCli(['hub', 'user', 'list', '--data', data]);
  assert.match(listed.stdout, /alice@files\.local\tAlice\t\(file transfer forbidden, locked\)/);
  const unlock = await runCli([
    'hub',
    'user',
    'set',
    'alice',
    '--unlock',
    '--file-transfer',
    '--display-name',
    'Alice A.',
    '--data',
    data,
  ]);
  assert.equal(unlock.code, 0, unlock.stderr);
  assert.deepEqual(
    (await listJson(data)).map((a) => [a.name, a.displayName, a.fileTransfer, a.locked]).slice(0, 1),
    [['alice', 'Alice A.', true, false]],
  );

  const remove = await runCli(['hub', 'user', 'remove', 'bob', '--data', data]);
  assert.equal(remove.code, 0, remove.stderr);
  assert.deepEqual(
    (await listJson(data)).map((a) => a.name),
    ['alice', 'carol'],
  );
});

test('--data and --domain also work before `user` and from the environment', async () => {
  const data = bed.dir('cli-hub-');
  const add = await runCli([
    'hub',
    '--data',
    data,
    '--domain',
    'example.org',
    'user',
    'add',
    'dan',
    '--password',
    'p',
  ]);
  assert.equal(add.code, 0, add.stderr);
  assert.equal(add.stdout.trim(), 'created dan@example.org (Dan)');
  const list = await runCli(['hub', 'user', 'list', '--json'], {
    env: { ROOMFILES_HUB_DATA: data, ROOMFILES_DOMAIN: 'example.org' },
  });
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(
    (JSON.parse(list.stdout) as { peerId: string }[]).map((a) => a.peerId),
    ['dan@example.org'],
  );
  const empty = await runCli(['hub', 'user', 'list', '--data', bed.dir('cli-empty-')]);
  assertCleanFailure(empty, /no hub database/);
});

test('account commands fail with one sentence and a non-zero exit, never a stack trace', async () => {
  const data = bed.dir('cli-hub-');
  assert.equal((await runCli(['hub', 'user', 'add', 'alice', '--password', 'x', '--data', data])).code, 0);

  assertCleanFailure(
    await runCli(['hub', 'user', 'add', 'alice', '--password', 'x', '--data', data]),
    /^roomfiles: account alice@files\.local already exists$/,
  );
  assertCleanFailure(
    await runCli(['hub', 'user', 'add', 'Not Valid', '--password', 'x', '--data', data]),
    /is not a valid account name/,
  );
  assertCleanFailure(
    await runCli(['hub', 'user', 'add', 'erin', '--password', '', '--data', data]),
    /password must not be empty/,
  );
  assertCleanFailure(await runCli(['hub', 'user', 'add', 'erin', '--data', data]), /no password given/);
  assertCleanFailure(
    await runCli(['hub', 'user', 'remove', 'nobody', '--data', data]),
    /account nobody does not exist/,
  );
  assertCleanFailure(
    await runCli(['hub', 'user', 'passwd', 'nobody', '--password', 'x', '--data', data]),
    /account nobody does not exist/,
  );
  assertCleanFailure(
    await runCli(['hub', 'user', 'set', 'nobody', '--lock', '--data', data]),
    /account nobody does not exist/,
  );
  assertCleanFailure(
    await runCli(['hub', 'user', 'set', 'alice', '--lock', '--data', bed.dir('cli-empty-')]),
    /no hub database at .*hub\.db/,
  );
  assertCleanFailure(
    await runCli(['hub', 'user', 'list', '--bogus', '--data', data]),
    /unknown option '--bogus'/,
  );
  assertCleanFailure(
    await runCli(['hub', 'user', 'add', '--data', data]),
    /missing required argument 'name'/,
  );
  assertCleanFailure(await runCli(['hub', '--listen', '127.0.0.1:99999']), /not a port number/);
  assertCleanFailure(
    await runCli(['hub', '--listen', '127.0.0.1:0', '--offer-ttl', 'soon']),
    /not a duration/,
  );
  // --debug is accepted after the subcommand too.
  assertCleanFailure(
    await runCli(['hub', 'user', 'remove', 'nobody', '--data', data, '--debug']),
    /account nobody does not exist/,
  );
  // Nothing was created where no --data pointed.
  assert.equal((await listJson(data)).length, 1);
});

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
