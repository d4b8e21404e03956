import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
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
const { file, offerReaches, deliver } = transferHelpers(bed, () => ({ rooms, dir }));

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
