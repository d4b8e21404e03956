import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loggedIn, TestBed } from '../helpers/harness.js';
import { CliProcess, freePort, freePortBlock } from '../helpers/child.js';
import {
  assertFailure,
  assertPlain,
  cli,
  incoming,
  jsonLines,
  pair,
  start,
  waitForStderr,
  type Pair,
} from './client-support.js';

const bed = new TestBed();
after(() => bed.close());

let rooms: Pair;
let dir: string;
before(async () => {
  rooms = await pair(bed);
  dir = bed.dir('cli-login-');
  writeFileSync(join(dir, 'note.txt'), 'hello');
});

test('logout, login (flag, environment, stdin) and connect report the outcome in words', async () => {
  const url = ['--url', rooms.apiA];
  const out = await cli(['logout', ...url]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, 'logged out (was alice@files.local)\n');
  const status = await cli(['status', ...url]);
  assert.match(status.stdout, /^state {6}connected, not logged in$/m);
  assert.match(status.stdout, /^login {6}not logged in$/m);
  assert.match(status.stdout, /^files {6}transfer not available: not logged in$/m);

  const wrong = await cli(['login', 'alice', '--password', 'nope', ...url]);
  assertFailure(
    wrong,
    1,
    /^roomfiles: cannot log in as alice: wrong login or password \(asked the room at (?:ws|http):\/\/127\.0\.0\.1:\d+\)$/,
  );
  const nobody = await cli(['login', 'nobody@files.local', '--password', 'x', ...url]);
  assertFailure(
    nobody,
    1,
    /^roomfiles: cannot log in as nobody@files\.local: no such account on the server \(asked the room at (?:ws|http):\/\/127\.0\.0\.1:\d+\)$/,
  );
  const noPassword = await cli(['login', 'alice', ...url]);
  assertFailure(noPassword, 2, /give the password/);

  const viaStdin = await cli(['login', 'alice', ...url], { input: 'pw-alice\n' });
  assert.equal(viaStdin.code, 0, viaStdin.stderr);
  assert.equal(viaStdin.stdout, 'logged in as alice@files.local (Alice)\n');
  const already = await cli(['login', 'alice@files.local', '--json', ...url], {
    env: { ROOMFILES_LOGIN_PASSWORD: 'pw-alice' },
  });
  assert.equal(already.code, 0, already.stderr);
  assert.deepEqual(JSON.parse(already.stdout), {
    result: 1,
    resultText: 'already logged in',
    peerId: 'alice@files.local',
    peerDn: 'Alice',
  });

  // connect: a server that is not there fails in words; the real one answers with its domain.
  const nowhere = await freePort();
  const failed = await cli(['connect', `127.0.0.1:${nowhere}`, ...url]);
  assertFailure(
    failed,
    1,
    new RegExp(`^roomfiles: the room cannot reach the server 127\\.0\\.0\\.1:${nowhere}; it keeps trying`),
  );
  const back = await cli(['connect', `127.0.0.1:${rooms.hub.port}`, ...url]);
  assert.equal(back.code, 0, back.stderr);
  assert.equal(back.stdout, `connected to 127.0.0.1:${rooms.hub.port} (domain files.local)\n`);
  // Again to the same server: the old link's disconnect is not taken for a failure.
  const again = await cli(['connect', `127.0.0.1:${rooms.hub.port}`, '--json', ...url]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout), {
    connected: true,
    server: '127.0.0.1',
    port: rooms.hub.port,
    domain: 'files.local',
  });
  // Another server made the room forget its credentials: log in again.
  const relogin = await cli(['login', 'alice', '--password', 'pw-alice', ...url]);
  assert.equal(relogin.code, 0, relogin.stderr);
  await loggedIn(rooms.alice);
});

test('conference create, accept, send --conference, show and leave', async () => {
  await loggedIn(rooms.alice);
  const watch = start(bed, ['watch', '--json', '--url', rooms.apiB]);
  await waitForStderr(watch, /Ctrl-C stops/);
  const create = await cli([
    'conference',
    'create',
    '--title',
    'Review',
    '--invite',
    'bob',
    '--url',
    rooms.apiA,
  ]);
  assert.equal(create.code, 0, create.stderr);
  assert.match(
    create.stdout,
    /^created the conference "Review" \([0-9a-f]{16}@files\.local#vcs\); invited bob$/m,
  );
  await watch.waitForLine(/"event":"inviteReceived"/);

  const accept = await cli(['conference', 'accept', '--url', rooms.apiB]);
  assert.equal(accept.code, 0, accept.stderr);
  assert.match(accept.stdout, /^joined the conference "Review"/);

  const show = await cli(['conference', 'show', '--url', rooms.apiA]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /^"Review" \(\S+\), owner alice@files\.local$/m);
  assert.match(show.stdout, /^bob@files\.local\/[0-9a-f]{8} +Bob +participant$/m);

  const send = await cli(['send', join(dir, 'note.txt'), '--conference', '--url', rooms.apiA]);
  assert.equal(send.code, 0, send.stderr);
  assert.match(send.stdout, /^sent note\.txt \(5 B\) to the conference in \d+s$/m);
  assertPlain(send.stdout + send.stderr, 'send output');
  await watch.waitForLine(/"event":"receivedFileRequest".*"confId"/);
  const offer = await incoming(rooms.apiB, 'note.txt');
  assert.ok(offer.confId);
  const inbox = await cli(['inbox', '--url', rooms.apiB]);
  assert.match(inbox.stdout, /alice@files\.local \(Alice\) in conference +5 B +waiting/);

  const notOwner = await cli(['conference', 'leave', '--for-all', '--url', rooms.apiB]);
  assertFailure(
    notOwner,
    1,
    /^roomfiles: cannot leave: only the owner may end the conference for everyone \(asked the room at (?:ws|http):\/\/127\.0\.0\.1:\d+\)$/,
  );
  const end = await cli(['conference', 'leave', '--for-all', '--url', rooms.apiA]);
  assert.equal(end.code, 0, end.stderr);
  assert.match(end.stdout, /^ended the conference \S+ for everyone$/m);
  await watch.waitForLine(/"event":"conferenceDeleted"/);
  const none = await cli(['conference', 'show', '--json', '--url', rooms.apiB]);
  assert.equal(none.stdout.trim(), 'null');
  const leave = await cli(['conference', 'leave', '--url', rooms.apiB]);
  assertFailure(
    leave,
    1,
    /^roomfiles: cannot leave: not in a conference \(asked the room at (?:ws|http):\/\/127\.0\.0\.1:\d+\)$/,
  );
  const join404 = await cli(['conference', 'join', 'nosuch', '--url', rooms.apiA]);
  assertFailure(
    join404,
    1,
    /^roomfiles: cannot join nosuch: there is no such conference on the server \(asked the room at (?:ws|http):\/\/127\.0\.0\.1:\d+\)$/,
  );
  assert.equal((await watch.stop()).code, 0);
  for (const line of jsonLines(watch.stdout)) assert.equal(line.method, 'event');
});

test('against a `roomfiles up` child: alice sends to bob with the environment naming the room', async () => {
  const base = await freePortBlock([0, 1, 2, 10, 11, 12]);
  const hubPort = await freePort();
  const up = new CliProcess([
    'up',
    '--data',
    bed.dir('cli-up-'),
    '--port-base',
    String(base),
    '--hub-port',
    String(hubPort),
  ]);
  bed.defer(() => up.kill());
  await up.ready(/^ready in \d+ ms/);
  const aliceEnv = { ROOMFILES_URL: `http://127.0.0.1:${base}` };
  const bobUrl = `ws://127.0.0.1:${base + 11}`;
  const send = await cli(['send', join(dir, 'note.txt'), '--to', 'bob', '--no-wait'], { env: aliceEnv });
  assert.equal(send.code, 0, send.stderr);
  const watch = start(bed, ['watch', '--json', '--url', bobUrl]);
  await waitForStderr(watch, /Ctrl-C stops/);
  // The offer may have reached bob before watch started: the inbox decides.
  const offer = await incoming(bobUrl, 'note.txt').catch(async () => {
    await watch.waitForLine(/"event":"receivedFileRequest"/);
    return incoming(bobUrl, 'note.txt');
  });
  assert.equal(offer.peerId, 'alice@files.local');
  const status = await cli(['status'], { env: aliceEnv });
  assert.match(status.stdout, /^login {6}alice@files\.local \(Alice\)$/m);
  await watch.stop();
  assert.equal((await up.stop()).code, 0);
});
