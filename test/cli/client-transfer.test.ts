import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Room } from '../../src/room/room.js';
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

/** A file with random content in the test directory. */
function file(name: string, size: number): { path: string; bytes: Buffer } {
  const bytes = randomBytes(size);
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

/**
 * Starts listening for the room to receive the offer of that file (before the send); `arrived` resolves when it
 * has. (Wrapped: an async function cannot return a bare promise without waiting for it.)
 */
async function offerReaches(room: Room, fileName: string): Promise<{ arrived: Promise<unknown> }> {
  const connection = await bed.connect(room);
  const arrived = connection.waitFor('receivedFileRequest', (event) => event.fileName === fileName, 20_000);
  arrived.catch(() => undefined);
  return { arrived };
}

/** alice sends a small file to bob and bob's room receives it (status 3 on both sides, in both histories). */
async function deliver(name: string) {
  const { path } = file(name, 100);
  const reached = await offerReaches(rooms.bob, name);
  const send = await cli(['send', path, '--to', 'bob', '--no-wait', '--url', rooms.apiA]);
  assert.equal(send.code, 0, send.stderr);
  await reached.arrived;
  const offer = await incoming(rooms.apiB, name);
  const accept = await cli(['accept', offer.fileRequestId, '--wait', '--url', rooms.apiB]);
  assert.equal(accept.code, 0, accept.stderr);
  return offer;
}

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

test('get resumes the .part an interrupted download left, and starts over when the .part is not of that file', async () => {
  const { path, bytes } = file('resumable.bin', 2_000_000);
  // The file on alice's own room (her upload) is enough to download from.
  const upload = await cli(['send', path, '--to', 'bob', '--no-wait', '--json', '--url', rooms.apiA]);
  assert.equal(upload.code, 0, upload.stderr);
  const fileId = Number(jsonLines(upload.stdout).find((record) => record.type === 'uploaded')!.fileId);

  const target = join(dir, 'resumed.bin');
  writeFileSync(`${target}.part`, bytes.subarray(0, 750_000));
  const get = await cli(['get', String(fileId), '-o', target, '--url', rooms.apiA]);
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stderr, /^roomfiles: resuming resumable\.bin from 732\.4 KiB$/m);
  assert.match(get.stderr, /^resumable\.bin: download 100% \(1\.9 MiB of 1\.9 MiB/m);
  assertPlain(get.stdout + get.stderr, 'get output');
  assert.deepEqual(readFileSync(target), bytes);
  assert.equal(existsSync(`${target}.part`), false);

  // JSON says where it resumed from.
  const second = join(dir, 'resumed-json.bin');
  writeFileSync(`${second}.part`, bytes.subarray(0, 1_000_000));
  const json = await cli(['get', String(fileId), '-o', second, '--json', '--url', rooms.apiA]);
  assert.equal(json.code, 0, json.stderr);
  assert.equal((JSON.parse(json.stdout) as { resumedFrom: number }).resumedFrom, 1_000_000);
  assert.deepEqual(readFileSync(second), bytes);

  // A .part of something else: the sha256 does not check out, and the file is fetched again whole.
  const third = join(dir, 'stale-part.bin');
  writeFileSync(`${third}.part`, randomBytes(500_000));
  const stale = await cli(['get', String(fileId), '-o', third, '--url', rooms.apiA]);
  assert.equal(stale.code, 0, stale.stderr);
  assert.deepEqual(readFileSync(third), bytes);

  // --no-resume starts over at once.
  const fourth = join(dir, 'no-resume.bin');
  writeFileSync(`${fourth}.part`, bytes.subarray(0, 100));
  const fresh = await cli(['get', String(fileId), '-o', fourth, '--no-resume', '--url', rooms.apiA]);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.doesNotMatch(fresh.stderr, /resuming/);
  assert.deepEqual(readFileSync(fourth), bytes);
});

test('get killed in the middle of a download leaves a .part; the next get resumes from it', async () => {
  const { path, bytes } = file('interrupted-download.bin', 128 * 1024 * 1024);
  const upload = await cli(
    ['send', path, '--to', 'bob', '--no-wait', '--json', '--url', rooms.apiA],
    {},
    60_000,
  );
  assert.equal(upload.code, 0, upload.stderr);
  const fileId = Number(jsonLines(upload.stdout).find((record) => record.type === 'uploaded')!.fileId);

  const target = join(dir, 'interrupted-download.copy');
  const first = start(bed, ['get', String(fileId), '-o', target, '--url', rooms.apiA]);
  await waitForStderr(first, /^interrupted-download\.bin: download 25% /m, 60_000);
  await first.stop('SIGKILL');
  const partial = statSync(`${target}.part`).size;
  assert.ok(partial > 0 && partial < bytes.length, `a .part of ${partial} bytes`);
  assert.equal(existsSync(target), false);

  const second = await cli(['get', String(fileId), '-o', target, '--json', '--url', rooms.apiA], {}, 60_000);
  assert.equal(second.code, 0, second.stderr);
  const result = JSON.parse(second.stdout) as { resumedFrom: number; size: number };
  assert.equal(result.resumedFrom, partial);
  assert.equal(result.size, bytes.length);
  assert.ok(readFileSync(target).equals(bytes), 'the resumed file is the original, byte for byte');
});

test('watch --json prints one JSON object per line while a transfer runs, and exits cleanly on SIGINT', async () => {
  const watch = start(bed, ['watch', '--json', '--url', rooms.webB]);
  await waitForStderr(watch, /watching the room at 127\.0\.0\.1:\d+; Ctrl-C stops/);
  const text = start(bed, ['watch', '--url', rooms.apiB]);
  await waitForStderr(text, /Ctrl-C stops/);

  const { path } = file('watched.bin', 400_000);
  const send = start(bed, ['send', path, '--to', 'bob@files.local', '--json', '--url', rooms.apiA]);
  await watch.waitForLine(/"event":"receivedFileRequest".*"fileName":"watched\.bin"/);
  const offer = await incoming(rooms.apiB, 'watched.bin');
  assert.equal((await cli(['accept', offer.fileRequestId, '--url', rooms.apiB])).code, 0);
  const id = offer.fileRequestId.replace(/[-]/g, '\\-');
  await watch.waitForLine(
    new RegExp(`"event":"fileRequestStatusChanged","fileRequestId":"${id}","status":3`),
  );
  assert.equal((await send.exited).code, 0, send.describe());

  const events = jsonLines(watch.stdout);
  const mine = events.filter((event) => event.fileRequestId === offer.fileRequestId);
  const names = mine.map((event) =>
    event.event === 'fileRequestStatusChanged' ? `status ${event.status}` : event.event,
  );
  assert.equal(names[0], 'receivedFileRequest');
  assert.ok(names.includes('incomingFileRequestAccepted'), names.join());
  assert.ok(names.includes('status 2'), names.join());
  assert.ok(names.includes('incomingFileRequestDownloadingProgress'), names.join());
  assert.equal(names.at(-1), 'status 3');
  for (const event of events) assert.equal(event.method, 'event');

  // The text form: one readable line per event.
  await text.waitForLine(/\[[0-9a-f]{8}\] watched\.bin from alice@files\.local: done \(file \d+\)$/);
  assert.match(
    text.stdout,
    /^\d\d:\d\d:\d\d \[[0-9a-f]{8}\] alice@files\.local offers watched\.bin \(390\.6 KiB\)$/m,
  );
  assert.match(
    text.stdout,
    /^\d\d:\d\d:\d\d \[[0-9a-f]{8}\] receiving watched\.bin from alice@files\.local: \d+%/m,
  );
  assertPlain(text.stdout, 'watch output');

  const stopped = await watch.stop('SIGINT');
  assert.deepEqual(stopped, { code: 0, signal: null }, watch.describe());
  assert.equal((await text.stop('SIGINT')).code, 0, text.describe());
  assertNoTrace(watch.stderr);
});

test('files, history, rm and clear manage what the room holds', async () => {
  const { path } = file('to-remove.txt', 42);
  const sent = await cli(['send', path, '--to', 'bob', '--no-wait', '--json', '--url', rooms.apiA]);
  const fileId = Number(jsonLines(sent.stdout).find((record) => record.type === 'uploaded')!.fileId);

  const files = await cli(['files', '--url', rooms.apiA]);
  assert.equal(files.code, 0, files.stderr);
  assert.match(files.stdout, /^ *FILE ID +SIZE +TIME +NAME$/m);
  assert.match(
    files.stdout,
    new RegExp(`^ *${fileId} +42 B +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +to-remove\\.txt$`, 'm'),
  );
  assertPlain(files.stdout, 'files output');

  // Waiting for bob's decision: the file is in use and cannot go.
  const busy = await cli(['rm', String(fileId), '--url', rooms.apiA]);
  assertFailure(
    busy,
    1,
    /^roomfiles: cannot delete to-remove\.txt: a transfer that is waiting or running uses it \(asked the room at (?:ws|http):\/\/127\.0\.0\.1:\d+\)$/,
  );
  const offer = await incoming(rooms.apiB, 'to-remove.txt');
  assert.equal((await cli(['reject', offer.fileRequestId, '--url', rooms.apiB])).code, 0);

  // Rejected: alice's room learns it, and then the file may go. (Waiting for that outcome, not sleeping.)
  const connection = await bed.connect(rooms.alice);
  const outbox = await list(['outbox', '--url', rooms.apiA]);
  const mine = outbox.find((item) => item.fileId === fileId)!;
  if (mine.status !== 0) {
    await connection.waitFor(
      'fileRequestStatusChanged',
      (e) => e.fileId === fileId && e.status === 0,
      20_000,
    );
  }
  const outboxText = await cli(['outbox', '--url', rooms.apiA]);
  assert.match(outboxText.stdout, /^ID +TO +SIZE +STATUS +TIME +FILE$/m);
  assert.match(
    outboxText.stdout,
    /^[0-9a-f]{8} +bob@files\.local \(Bob\) +42 B +failed: rejected +\S+ \S+ +to-remove\.txt$/m,
  );
  const rm = await cli(['rm', String(fileId), '--url', rooms.apiA]);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(rm.stdout, `deleted to-remove.txt (file ${fileId})\n`);
  const remaining = await list(['files', '--url', rooms.apiA]);
  assert.equal(
    remaining.find((item) => Number(item.fileId) === fileId),
    undefined,
  );

  await deliver('kept.txt');
  const history = await cli(['history', '--url', rooms.apiB]);
  assert.equal(history.code, 0, history.stderr);
  assert.match(history.stdout, /^TIME +ID +DIRECTION +PEER +SIZE +FILE ID +FILE$/m);
  assert.match(history.stdout, /received from +alice@files\.local/);

  const clear = await cli(['clear', '--url', rooms.apiB]);
  assert.equal(clear.code, 0, clear.stderr);
  assert.match(clear.stdout, /^cleared the transfer history \(the files stay/);
  assert.deepEqual(await list(['history', '--url', rooms.apiB]), []);
  assert.ok((await list(['files', '--url', rooms.apiB])).length > 0, 'the files stay');
  const wipe = await cli(['clear', '--delete-files', '--json', '--url', rooms.apiB]);
  assert.equal(wipe.code, 0, wipe.stderr);
  assert.deepEqual(JSON.parse(wipe.stdout), { cleared: true, removedFromDisk: true });
  const emptyHistory = await cli(['history', '--url', rooms.apiB]);
  assert.equal(emptyHistory.stdout, 'no completed transfers\n');
});

test('ids: an unknown or ambiguous one fails with a sentence; a request that is not waiting cannot be accepted', async () => {
  const unknown = await cli(['accept', 'ffffffff', '--url', rooms.apiB]);
  // The sentence names the room it asked: with two rooms on one machine, a wrong --url shows.
  assertFailure(
    unknown,
    1,
    new RegExp(
      `^roomfiles: there is no incoming file request ffffffff \\(asked the room at ${rooms.apiB.replace(/\./g, '\\.')}\\)$`,
    ),
  );
  const noFile = await cli(['get', '999', '--url', rooms.apiB]);
  assertFailure(noFile, 1, /^roomfiles: there is no file 999 on the room/);

  // Offer two files so that two ids share a one-character prefix (16 hex digits: some two always do, out of 17).
  const offers = [];
  for (let i = 0; i < 17; i += 1) offers.push(file(`many-${i}.txt`, 1).path);
  const reached = await offerReaches(rooms.bob, 'many-16.txt');
  const send = await cli(['send', ...offers, '--to', 'bob', '--no-wait', '--url', rooms.apiA]);
  assert.equal(send.code, 0, send.stderr);
  await reached.arrived;
  const inbox = (await list(['inbox', '--waiting', '--url', rooms.apiB])).map((item) => item.fileRequestId);
  const first = inbox.map((id) => id[0]).find((c, i, all) => all.indexOf(c) !== i)!;
  const ambiguous = await cli(['accept', first, '--url', rooms.apiB]);
  assertFailure(
    ambiguous,
    1,
    new RegExp(`^roomfiles: ${first} is ambiguous: it starts \\d+ incoming file request ids`),
  );

  const done = await deliver('already-done.txt');
  const notWaiting = await cli(['accept', done.fileRequestId, '--url', rooms.apiB]);
  assertFailure(
    notWaiting,
    1,
    /is not waiting for a decision \(it is done\) \(asked the room at ws:\/\/\S+\)$/,
  );
});
