import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { openRoomConnection, RoomApiError } from '../../src/client/index.js';
import { TestBed } from '../helpers/harness.js';
import { CliProcess, freePort, freePortBlock, runCli } from '../helpers/child.js';

const bed = new TestBed();
after(() => bed.close());

const READY = /^ready in \d+ ms/;

interface PrintedRoom {
  name: string;
  web: string;
  webPort: number;
  apiPort: number;
  httpPort: number;
  peerId: string;
}

function startUp(args: string[]): CliProcess {
  const child = new CliProcess(['up', ...args]);
  bed.defer(() => child.kill());
  return child;
}

/** What `roomfiles up` printed: the hub's address and, for each room, its URL, ports and TrueConf ID. */
function parseUp(stdout: string) {
  const hub = /^roomfiles is up \(hub on 127\.0\.0\.1:(\d+), domain (\S+)\)$/m.exec(stdout);
  assert.ok(hub, `no hub line in:\n${stdout}`);
  const rooms: PrintedRoom[] = [];
  const block =
    /^ {2}(\w+)\n {4}web +(http:\/\/127\.0\.0\.1:(\d+)\/)\n {4}API port +(\d+) +\(ws:\/\/127\.0\.0\.1:(\d+)\/\)\n {4}HTTP port +(\d+)\n {4}TrueConf ID +(\S+)$/gm;
  for (const match of stdout.matchAll(block)) {
    assert.equal(match[4], match[5], 'the API port and its ws:// URL agree');
    rooms.push({
      name: match[1],
      web: match[2],
      webPort: Number(match[3]),
      apiPort: Number(match[4]),
      httpPort: Number(match[6]),
      peerId: match[7],
    });
  }
  assert.deepEqual(
    rooms.map((room) => room.name),
    ['alice', 'bob'],
    `two room blocks in:\n${stdout}`,
  );
  return { hubPort: Number(hub[1]), domain: hub[2], rooms };
}

/** Checks one printed room through its own ports: config.json on the web port, then getLogin over the API. */
async function checkRoom(room: PrintedRoom, credentials?: string) {
  const config = await fetch(`http://127.0.0.1:${room.webPort}/public/default/config.json`);
  assert.equal(config.status, 200);
  assert.deepEqual(await config.json(), {
    config: {
      websocket: { hostname: null, port: room.apiPort },
      http: { hostname: null, port: room.httpPort },
    },
  });
  const api = await openRoomConnection(`ws://127.0.0.1:${room.apiPort}/`);
  try {
    await api.call(
      'auth',
      credentials === undefined ? { type: 'unsecured' } : { type: 'secured', credentials },
    );
    const login = await api.call('getLogin');
    assert.deepEqual(
      [login.isLoggedIn, login.peerId, login.peerDn],
      [true, room.peerId, room.name === 'alice' ? 'Alice' : 'Bob'],
      `${room.name} is logged in when up says ready`,
    );
    const state = await api.call('getAppState');
    assert.deepEqual([state.appState, state.embeddedHttpPort], [3, room.httpPort]);
    assert.equal((await api.call('getFileTransferAvailability')).availability, 3);
  } finally {
    api.close();
  }
}

test('roomfiles up starts a hub and two logged-in rooms on the ports asked for, stops on Ctrl-C, and reuses its accounts', async () => {
  const data = bed.dir('up-');
  const hubPort = await freePort();
  const base = await freePortBlock([0, 1, 2, 10, 11, 12]);
  const first = startUp(['--data', data, '--hub-port', String(hubPort), '--port-base', String(base)]);
  const printed = parseUp(await first.ready(READY, 30_000));
  assert.equal(printed.hubPort, hubPort);
  assert.equal(printed.domain, 'files.local');
  const [alice, bob] = printed.rooms;
  assert.deepEqual(
    [alice.webPort, alice.apiPort, alice.httpPort, bob.webPort, bob.apiPort, bob.httpPort],
    [base, base + 1, base + 2, base + 10, base + 11, base + 12],
  );
  assert.equal(alice.web, `http://127.0.0.1:${base}/`);
  assert.deepEqual([alice.peerId, bob.peerId], ['alice@files.local', 'bob@files.local']);
  for (const room of printed.rooms) await checkRoom(room);
  const secrets = readFileSync(join(data, 'up-accounts.json'), 'utf8');

  assert.deepEqual(await first.stop('SIGINT'), { code: 0, signal: null });
  assert.doesNotMatch(first.stderr, /error/i, 'a clean stop prints no error');

  // Again on the same data, this time on ports the system picks: same accounts, same passwords, logged in.
  const second = startUp(['--data', data, '--hub-port', '0', '--port-base', '0']);
  const again = parseUp(await second.ready(READY, 30_000));
  assert.notEqual(again.hubPort, hubPort);
  assert.deepEqual(
    again.rooms.map((room) => room.peerId),
    ['alice@files.local', 'bob@files.local'],
  );
  for (const room of again.rooms) await checkRoom(room);
  assert.equal(readFileSync(join(data, 'up-accounts.json'), 'utf8'), secrets, 'the passwords are kept');
  assert.deepEqual(await second.stop('SIGTERM'), { code: 0, signal: null });

  const accounts = await runCli(['hub', 'user', 'list', '--json', '--data', join(data, 'hub')]);
  assert.equal(accounts.code, 0, accounts.stderr);
  assert.deepEqual(
    (JSON.parse(accounts.stdout) as { peerId: string }[]).map((a) => a.peerId),
    ['alice@files.local', 'bob@files.local'],
  );

  // The passwords file lost: new passwords are made and given to the existing accounts.
  rmSync(join(data, 'up-accounts.json'));
  const third = startUp(['--data', data, '--hub-port', '0', '--port-base', '0']);
  for (const room of parseUp(await third.ready(READY, 30_000)).rooms) await checkRoom(room);
  assert.notEqual(readFileSync(join(data, 'up-accounts.json'), 'utf8'), secrets);
  assert.deepEqual(await third.stop('SIGINT'), { code: 0, signal: null });

  // An account that cannot log in stops `up` at once with a reason, not after a long wait.
  const lock = await runCli(['hub', 'user', 'set', 'alice', '--lock', '--data', join(data, 'hub')]);
  assert.equal(lock.code, 0, lock.stderr);
  const locked = await runCli(['up', '--data', data, '--hub-port', '0', '--port-base', '0']);
  assert.equal(locked.code, 1);
  assert.match(locked.stderr, /^roomfiles: room alice could not log in to the hub \(account locked\)/m);
  assert.doesNotMatch(locked.stdout, READY);
});

test('roomfiles up --pin makes every API connection give the PIN', async () => {
  const data = bed.dir('up-pin-');
  const up = startUp(['--data', data, '--hub-port', '0', '--port-base', '0', '--pin', '4321']);
  const stdout = await up.ready(READY, 30_000);
  assert.match(stdout, /PIN protected/);
  const { rooms } = parseUp(stdout);
  for (const room of rooms) {
    const api = await openRoomConnection(`ws://127.0.0.1:${room.apiPort}/`);
    bed.defer(() => api.close());
    for (const attempt of [
      { type: 'unsecured' as const },
      { type: 'secured' as const, credentials: '1234' },
    ]) {
      await assert.rejects(api.call('auth', attempt), (error: unknown) => {
        assert.ok(error instanceof RoomApiError);
        assert.equal(error.errorCode, 401);
        return true;
      });
    }
    await assert.rejects(api.call('getLogin'), (error: unknown) => (error as RoomApiError).errorCode === 401);
    api.close();
    await checkRoom(room, '4321');
  }
  assert.deepEqual(await up.stop('SIGINT'), { code: 0, signal: null });
});

test('roomfiles up explains a port that is taken and exits non-zero', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  bed.defer(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const taken = (blocker.address() as { port: number }).port;
  const result = await runCli([
    'up',
    '--data',
    bed.dir('up-busy-'),
    '--hub-port',
    String(taken),
    '--port-base',
    '0',
  ]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^roomfiles: a port is already in use .*is roomfiles already running\?$/m);
  assert.doesNotMatch(result.stderr, /^\s+at /m);

  const high = await runCli(['up', '--data', bed.dir('up-high-'), '--port-base', '65530']);
  assert.notEqual(high.code, 0);
  assert.match(high.stderr, /--port-base 65530 is too high/);
});
