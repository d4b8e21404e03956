import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestBed } from '../helpers/harness.js';
import {
  assertPlain,
  cli,
  jsonLines,
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
const { file } = transferHelpers(bed, () => ({ rooms, dir }));

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
