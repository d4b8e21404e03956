import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FloorChain } from '../../bench/lib/floor.js';
import { makeRow, markdownTable } from '../../bench/report.js';

test('the floor chain delivers the very bytes sent to every recipient, each in its own process', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'roomfiles-floor-'));
  const chain = await FloorChain.start(join(dir, 'work'), 2);
  try {
    const file = join(dir, 'body.bin');
    const body = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(file, body);
    const all = await chain.deliver(file, body.length);
    assert.ok(all.seconds > 0);
    assert.deepEqual(Object.keys(all.cpu).sort(), ['recipient 1', 'recipient 2', 'relay', 'sender']);
    // deliver() throws unless each recipient reports the sender's sha256; one recipient only, too.
    const one = await chain.deliver(file, body.length, 1);
    assert.deepEqual(Object.keys(one.cpu).sort(), ['recipient 1', 'relay', 'sender']);
  } finally {
    await chain.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a row whose floor misses the target says so; one whose floor meets it does not', () => {
  const meets = (_v: number, ratio: number | null) => ratio !== null && ratio <= 1.5;
  // A delivery of 6 s against a 2 s baseline, with a floor of its own.
  const delivery = (name: string, floors?: number[]) =>
    makeRow({ name, unit: 's', values: [5, 6, 7], baselines: [2, 2, 2], floors, target: '≤ 1.5 ×', meets });
  const bound = delivery('bound', [5.5, 5.6, 5.7]);
  assert.equal(bound.met, false);
  assert.equal(bound.floor?.met, false);
  assert.equal(bound.floor?.median, 5.6);
  assert.equal(bound.floor?.ratio, 2.8);
  const slow = delivery('slow', [2.5, 2.6, 2.7]);
  assert.equal(slow.floor?.met, true);
  const plain = makeRow({ name: 'plain', unit: 's', values: [1], baselines: [1], target: 't', meets });
  assert.equal(plain.floor, undefined);
  const table = markdownTable([bound, slow, plain]);
  assert.match(table, /\| bound \|.*\| NOT MET \(floor too\) \|/);
  assert.match(table, /\| slow \|.*\| NOT MET \|/);
  assert.match(table, /\| plain \|.*\| met \|/);
  assert.match(table, /- bound: floor, .*: 5\.60 s, 2\.80 × baseline .*misses the target too/);
});
