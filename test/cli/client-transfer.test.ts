import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestBed } from '../helpers/harness.js';
import {
  assertFailure,
  assertNoTrace,
  assertPlain,
  cli,
  incoming,
  jsonLines,
  list,
  pair,
  start,
  transferHelpers,
  waitForStderr,
  type Pair,
} from './client-support.js';

const bed = new TestBed();
after(() => bed.close());

let rooms: Pair;
let dir: string;
before(async () => {
  rooms = await pair(bed);
  dir = bed.dir('cli-transfer-');
});
const { file, offerReaches } = transferHelpers(bed, () => ({ rooms, dir }));

test('send, inbox, accept and get: a round trip with --json, the file byte for byte', async () => {
  const { path, bytes } = file('report.pdf', 700_000);
  const reached = await offerReaches(rooms.bob, 'report.pdf');
  const send = start(bed, ['send', path, '--to', 'bob@files.local', '--json', '--url', rooms.apiA]);
  await send.waitForLine(/"type":"offered"/);
  await reached.arrived;

  const offer = await incoming(rooms.webB, 'report.pdf');
  assert.equal(offer.status, 1);
  assert.equal(offer.peerId, 'alice@files.local');
  assert.equal(offer.size, bytes.length);

  // A short id: the first characters of the fileRequestId are enough.
  const accept = await cli(['accept', offer.fileRequestId.slice(0, 8), '--url', rooms.webB]);
  assert.equal(accept.code, 0, accept.stderr);
  assert.match(accept.stdout, /^accepted report\.pdf \(683\.6 KiB\) from alice@files\.local/m);

  const exit = await send.exited;
  assert.equal(exit.code, 0, send.describe());
  const records = jsonLines(send.stdout);
  const types = records.map((record) => record.type);
  assert.ok(types.includes('upload'), `upload progress: ${types}`);
  const uploaded = records.find((record) => record.type === 'uploaded')!;
  assert.equal(uploaded.fileSize, bytes.length);
  const offered = records.find((record) => record.type === 'offered')!;
  assert.equal(offered.peerId, 'bob@files.local');
  assert.match(String(offered.fileRequestId), /^[0-9a-f-]{36}$/);
  assert.ok(
    records.some((record) => record.type === 'status' && record.status === 2),
    `status 2 in ${types}`,
  );
  assert.ok(
    records.some((record) => record.type === 'progress'),
    `progress in ${types}`,
  );
  const done = records.at(-1)!;
  assert.equal(done.type, 'done');
  assert.equal(done.fileRequestId, offered.fileRequestId);
  assert.equal(send.stderr, '', 'nothing on stderr with --json');

  // The sender's outbox shows it done, under the id send printed.
  const outbox = await list(['outbox', '--url', rooms.apiA]);
  assert.equal(outbox.find((item) => item.fileRequestId === offered.fileRequestId)?.status, 3);

  // bob's room has it once its own status 3 came: the history names its fileId.
  const history = await list(['history', '--url', rooms.webB]);
  const entry = history.find((item) => item.fileRequestId === offer.fileRequestId);
  assert.ok(entry, `history entry: ${JSON.stringify(history)}`);
  const target = join(dir, 'received.pdf');
  const get = await cli(['get', String(entry.fileId), '-o', target, '--url', rooms.webB]);
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stdout, /^saved report\.pdf \(683\.6 KiB\) to .*received\.pdf$/m);
  assert.deepEqual(readFileSync(target), bytes);
  assert.equal(existsSync(`${target}.part`), false, 'no .part left');
});

test('send exits 1 with "bob@files.local rejected …" when bob rejects, in one line', async () => {
  const { path } = file('declined.txt', 1000);
  const reached = await offerReaches(rooms.bob, 'declined.txt');
  const send = start(bed, ['send', path, '--to', 'bob@files.local', '--url', rooms.webA]);
  await reached.arrived;
  const offer = await incoming(rooms.apiB, 'declined.txt');
  const reject = await cli(['reject', offer.fileRequestId, '--url', rooms.apiB]);
  assert.equal(reject.code, 0, reject.stderr);
  assert.match(reject.stdout, /^rejected declined\.txt \(1000 B\) from alice@files\.local/m);
  const exit = await send.exited;
  assert.equal(exit.code, 1, send.describe());
  const lines = send.stderr.trim().split('\n');
  assert.equal(
    lines.at(-1),
    `roomfiles: bob@files.local rejected declined.txt (asked the room at ${rooms.webA})`,
  );
  assert.equal(lines.filter((line) => line.startsWith('roomfiles:')).length, 1, send.stderr);
  assertNoTrace(send.stderr);
  assertPlain(send.stdout + send.stderr, 'send output');
});

test('--no-wait prints the fileRequestId once the offer is made; the outbox shows it waiting', async () => {
  const { path } = file('later.bin', 5000);
  const result = await cli(['send', path, '--to', 'bob', '--no-wait', '--url', rooms.apiA]);
  assert.equal(result.code, 0, result.stderr);
  const id = result.stdout.trim();
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/, result.stdout);
  const outbox = await list(['outbox', '--url', rooms.apiA]);
  const item = outbox.find((entry) => entry.fileRequestId === id);
  assert.ok(item);
  assert.equal(item.status, 1);
  assert.equal(item.peerId, 'bob@files.local');

  const json = await cli(['send', path, '--to', 'bob', '--no-wait', '--json', '--url', rooms.apiA]);
  assert.equal(json.code, 0, json.stderr);
  const offered = jsonLines(json.stdout).find((record) => record.type === 'offered');
  assert.match(String(offered?.fileRequestId), /^[0-9a-f-]{36}$/);
});

test('Ctrl-C while send waits: exit 130, and the offer stays open in the room', async () => {
  const { path } = file('interrupted.txt', 3000);
  const send = start(bed, ['send', path, '--to', 'bob@files.local', '--url', rooms.apiA]);
  await waitForStderr(send, /^interrupted\.txt: waiting for bob@files\.local to accept$/m);
  const exit = await send.stop('SIGINT');
  assert.equal(exit.code, 130, send.describe());
  assert.match(
    send.stderr.trim().split('\n').at(-1)!,
    /^roomfiles: stopped waiting; the transfers go on in the room \(see roomfiles outbox\)$/,
  );
  // Not a line per event without a terminal: a start, the quarters, the waiting.
  assert.ok(send.stderr.trim().split('\n').length <= 8, send.stderr);
  assertPlain(send.stdout + send.stderr, 'send output');
  const outbox = await list(['outbox', '--url', rooms.apiA]);
  assert.equal(outbox.find((item) => item.fileName === 'interrupted.txt')?.status, 1);
});

test('several files: each is sent; one rejected makes the exit code 1, the others still arrive', async () => {
  const one = file('one.txt', 10);
  const two = file('two.txt', 20);
  const reachedOne = await offerReaches(rooms.bob, 'one.txt');
  const reachedTwo = await offerReaches(rooms.bob, 'two.txt');
  const send = start(bed, ['send', one.path, two.path, '--to', 'bob@files.local', '--url', rooms.apiA]);
  await Promise.all([reachedOne.arrived, reachedTwo.arrived]);
  const first = await incoming(rooms.apiB, 'one.txt');
  const second = await incoming(rooms.apiB, 'two.txt');
  assert.equal((await cli(['accept', first.fileRequestId, '--url', rooms.apiB])).code, 0);
  assert.equal((await cli(['reject', second.fileRequestId, '--url', rooms.apiB])).code, 0);
  const exit = await send.exited;
  assert.equal(exit.code, 1, send.describe());
  assert.match(send.stdout, /^sent one\.txt \(10 B\) to bob@files\.local in \d+s$/m);
  assert.match(send.stderr, /^roomfiles: bob@files\.local rejected two\.txt$/m);
  assert.match(
    send.stderr.trim().split('\n').at(-1)!,
    /^roomfiles: 1 of 2 files were not delivered \(asked the room at (?:ws|http):\/\/127\.0\.0\.1:\d+\)$/,
  );
  assertPlain(send.stdout + send.stderr, 'send output');
});

test('accept --wait waits until the room holds the file and prints its fileId; get takes the request id', async () => {
  const { path, bytes } = file('awaited.bin', 300_000);
  const reached = await offerReaches(rooms.bob, 'awaited.bin');
  const send = start(bed, ['send', path, '--to', 'bob@files.local', '--url', rooms.apiA]);
  await reached.arrived;
  const offer = await incoming(rooms.apiB, 'awaited.bin');
  const accept = await cli([
    'accept',
    offer.fileRequestId.slice(0, 6),
    '--wait',
    '--json',
    '--url',
    rooms.apiB,
  ]);
  assert.equal(accept.code, 0, accept.stderr);
  const [accepted] = JSON.parse(accept.stdout) as { fileId: number; fileRequestId: string }[];
  assert.equal(accepted.fileRequestId, offer.fileRequestId);
  assert.ok(Number.isInteger(accepted.fileId) && accepted.fileId > 0);
  assert.equal((await send.exited).code, 0, send.describe());

  // get accepts the (short) fileRequestId of the transfer that brought the file, too.
  const target = join(dir, 'by-request-id.bin');
  const get = await cli([
    'get',
    offer.fileRequestId.slice(0, 8),
    '-o',
    target,
    '--json',
    '--url',
    rooms.apiB,
  ]);
  assert.equal(get.code, 0, get.stderr);
  const saved = JSON.parse(get.stdout) as { fileId: number; path: string; size: number; resumedFrom: number };
  assert.equal(saved.fileId, accepted.fileId);
  assert.equal(saved.size, bytes.length);
  assert.deepEqual(readFileSync(target), bytes);

  // The file exists now: get refuses to replace it without --force.
  const again = await cli(['get', String(accepted.fileId), '-o', target, '--url', rooms.apiB]);
  assertFailure(again, 1, /exists already: give --force/);
  const forced = await cli(['get', String(accepted.fileId), '-o', target, '--force', '--url', rooms.apiB]);
  assert.equal(forced.code, 0, forced.stderr);
});
