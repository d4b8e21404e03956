import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loggedIn, TestBed } from '../helpers/harness.js';
import { freePort } from '../helpers/child.js';
import { findExecutable, need } from '../helpers/system.js';
import {
  api,
  assertFailure,
  assertNoTrace,
  assertPlain,
  cli,
  pair,
  web,
  type Pair,
} from './client-support.js';

const bed = new TestBed();
after(() => bed.close());

let rooms: Pair;
let dir: string;
before(async () => {
  rooms = await pair(bed, ['alice', 'bob', 'carol']);
  dir = bed.dir('cli-session-');
  writeFileSync(join(dir, 'note.txt'), 'hello');
});

const STATUS_LINES = [
  /^room {7}127\.0\.0\.1 API port \d+, HTTP port \d+ \(roomfiles \d+\.\d+\.\d+\)$/,
  /^state {6}logged in$/,
  /^login {6}alice@files\.local \(Alice\)$/,
  /^server {5}127\.0\.0\.1:\d+, connected, domain files\.local$/,
  /^files {6}transfer available$/,
  /^conference none$/,
];

test('status: the app state, login, server and availability in words, with --url on the web or the API port', async () => {
  for (const url of [rooms.webA, rooms.apiA, `${rooms.apiA}/`, rooms.webA.replace('http://', '')]) {
    const result = await cli(['status', '--url', url]);
    assert.equal(result.code, 0, `${url}: ${result.stderr}`);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, STATUS_LINES.length, result.stdout);
    lines.forEach((line, i) => assert.match(line, STATUS_LINES[i]));
    assert.match(lines[0], new RegExp(`API port ${rooms.alice.apiPort}, HTTP port ${rooms.alice.httpPort}`));
    assertPlain(result.stdout + result.stderr, 'status');
  }
  const json = await cli(['status', '--json', '--url', rooms.webB]);
  assert.equal(json.code, 0, json.stderr);
  const status = JSON.parse(json.stdout);
  assert.deepEqual(
    [status.appState, status.appStateText, status.login, status.availability, status.availabilityText],
    [3, 'logged in', { peerId: 'bob@files.local', peerDn: 'Bob' }, 3, 'available'],
  );
  assert.deepEqual(
    [status.server.server, status.server.port, status.server.domain, status.server.stateText],
    ['127.0.0.1', rooms.hub.port, 'files.local', 'connected'],
  );
  assert.deepEqual(status.room, {
    host: '127.0.0.1',
    apiPort: rooms.bob.apiPort,
    httpPort: rooms.bob.httpPort,
  });
});

test('ROOMFILES_URL and ROOMFILES_PIN choose and open a PIN-protected room; the flags win', async () => {
  const locked = await bed.room({ hub: rooms.hub, as: 'carol', pin: '4321' });
  await loggedIn(locked);
  const env = { ROOMFILES_URL: web(locked), ROOMFILES_PIN: '4321' };
  const ok = await cli(['status'], { env });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^login {6}carol@files\.local/m);
  // The flag wins over the environment.
  const other = await cli(['status', '--url', rooms.apiB], { env });
  assert.equal(other.code, 0, other.stderr);
  assert.match(other.stdout, /^login {6}bob@files\.local/m);

  const noPin = await cli(['status', '--url', api(locked)]);
  assertFailure(
    noPin,
    1,
    new RegExp(`^roomfiles: the room at ${api(locked)} is protected: give --pin or --room-password`),
  );
  const wrong = await cli(['status'], { env: { ...env, ROOMFILES_PIN: '0000' } });
  assertFailure(wrong, 1, /^roomfiles: the room at http:\/\/127\.0\.0\.1:\d+ refused the PIN$/);
  const flag = await cli(['inbox', '--url', api(locked), '--pin', '4321']);
  assert.equal(flag.code, 0, flag.stderr);
  assert.equal(flag.stdout, 'no incoming files\n');
});

test('an unreachable room: exit 1 and one sentence; --debug adds the trace', async () => {
  const port = await freePort();
  const result = await cli(['inbox', '--url', `http://127.0.0.1:${port}`]);
  assertFailure(
    result,
    1,
    new RegExp(
      `^roomfiles: cannot reach the room at http://127\\.0\\.0\\.1:${port}: is \`roomfiles up\` running\\?$`,
    ),
  );
  const ws = await cli(['send', join(dir, 'note.txt'), '--to', 'bob', '--url', `ws://127.0.0.1:${port}`]);
  assertFailure(ws, 1, new RegExp(`^roomfiles: cannot reach the room at ws://127\\.0\\.0\\.1:${port}: is`));

  const debug = await cli(['status', '--debug', '--url', `ws://127.0.0.1:${port}`]);
  assert.equal(debug.code, 1);
  assert.match(debug.stderr, /^roomfiles: cannot reach the room/);
  assert.match(debug.stderr, /^\s+at /m, 'a stack trace with --debug');

  // Something that is not a room: its "web port" serves no config.json.
  const server = createHttpServer((_request, response) => response.writeHead(404).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  bed.defer(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address() as { port: number };
  const notRoom = await cli(['status', '--url', `http://127.0.0.1:${address.port}`]);
  assertFailure(
    notRoom,
    1,
    /^roomfiles: http:\/\/127\.0\.0\.1:\d+ is not the web port of a room \(its config\.json names no API port\)$/,
  );
});

test('a ws:// URL to a web port says it is the web port and names both URLs that work', async () => {
  const webPort = rooms.alice.webPort;
  const result = await cli(['inbox', '--url', `ws://127.0.0.1:${webPort}`]);
  assertFailure(
    result,
    1,
    new RegExp(
      `^roomfiles: ws://127\\.0\\.0\\.1:${webPort} is the web port of a room, not its API port: ` +
        `use --url http://127\\.0\\.0\\.1:${webPort} or ws://127\\.0\\.0\\.1:${rooms.alice.apiPort}$`,
    ),
  );
});

test('an unreadable file fails in one sentence before anything is uploaded', async (t) => {
  // Root reads any file: the child runs without the capabilities that allow it (setpriv), as a user would.
  const asRoot = process.getuid?.() === 0;
  if (!need(t, asRoot && !findExecutable('setpriv') ? 'running as root without setpriv' : null)) return;
  const wrap = asRoot ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--'] : [];
  const secret = join(dir, 'secret.txt');
  writeFileSync(secret, 'not for you');
  chmodSync(secret, 0o000);
  const before = (JSON.parse((await cli(['files', '--json', '--url', rooms.apiA])).stdout) as unknown[])
    .length;
  const note = join(dir, 'note.txt');
  const result = await cli(['send', note, secret, '--to', 'bob', '--url', rooms.apiA], { wrap });
  assertFailure(
    result,
    1,
    /^roomfiles: cannot send .*secret\.txt: you are not allowed to read it \(permission denied\)$/,
  );
  const after = (JSON.parse((await cli(['files', '--json', '--url', rooms.apiA])).stdout) as unknown[])
    .length;
  assert.equal(after, before, 'nothing was uploaded, not even the readable file before it');
});

test('exit code 2 for bad usage, 1 for a failed operation', async () => {
  const note = join(dir, 'note.txt');
  const usage: [string[], RegExp][] = [
    [['send', note, '--url', rooms.apiA], /^roomfiles: say where to send: --to PEER or --conference$/],
    [['send', note, '--to', 'bob', '--conference', '--url', rooms.apiA], /not both/],
    [
      ['send', note, note, '--to', 'bob', '--name', 'x', '--url', rooms.apiA],
      /--name works with one file only/,
    ],
    [['send', '--to', 'bob'], /missing required argument 'files'/],
    [['inbox', '--frobnicate'], /unknown option '--frobnicate'/],
    [['accept'], /missing required argument/],
    [['status', '--url', 'ftp://example.org'], /"ftp:\/\/example\.org" is not a room URL/],
    [['status', '--pin', '1', '--room-password', '2'], /either --pin or --room-password, not both/],
    [['connect', 'host:99999'], /not a port number/],
    [['send', note, '--to', 'bob', '--timeout', 'soon'], /not a duration/],
    [['nonsense'], /unknown command 'nonsense'/],
  ];
  for (const [args, pattern] of usage) {
    const result = await cli(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr.trim(), pattern, args.join(' '));
    assertNoTrace(result.stderr);
  }

  const unknownUser = await cli(['send', note, '--to', 'zed@files.local', '--url', rooms.apiA]);
  assertFailure(unknownUser, 1, /^roomfiles: cannot send note\.txt to zed@files\.local: .*zed@files\.local/);
  // Nothing is left behind on the room by the failed send.
  const files = JSON.parse((await cli(['files', '--json', '--url', rooms.apiA])).stdout) as {
    fileName: string;
  }[];
  assert.equal(files.filter((f) => f.fileName === 'note.txt').length, 0);

  const missing = await cli(['send', join(dir, 'nope.txt'), '--to', 'bob', '--url', rooms.apiA]);
  assertFailure(missing, 1, /^roomfiles: cannot send .*nope\.txt: there is no such file$/);
  const notInConference = await cli(['send', note, '--conference', '--url', rooms.apiA]);
  assertFailure(
    notInConference,
    1,
    /^roomfiles: cannot send note\.txt to the conference: the room is not in a conference/,
  );

  const ok = await cli(['send', note, '--to', 'bob', '--no-wait', '--url', rooms.apiA]);
  assert.equal(ok.code, 0, ok.stderr);
});
