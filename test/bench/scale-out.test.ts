import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { OFFER_ACCOUNTS, SCALE_TARGETS, offersPerSecond, openLinks } from '../../bench/scale-out.js';
import { makeRow, markdownTable } from '../../bench/report.js';
import { TestBed } from '../helpers/harness.js';

const bed = new TestBed();
after(() => bed.close());

test("row 15's rooms: link clients log in to the hub, and every offer they create is stored once", async () => {
  const accounts = Array.from({ length: OFFER_ACCOUNTS }, (_, i) => `u${i}`);
  const one = await bed.hub({ accounts });
  const links = await openLinks([one.port], 6);
  try {
    const rate = await offersPerSecond(links, 30);
    assert.ok(rate > 0);
    let stored = 0;
    for (const name of accounts) stored += (await one.repo.offersForRecipient(name)).length;
    assert.equal(stored, 30, 'exactly the offers asked for, each stored once');
  } finally {
    for (const link of links) link.close();
  }
});

test("rows 14 and 15's targets: a delivery ≤ 1.3 × one embedded hub, offers ≥ 0.8 × one process on SQLite", () => {
  const row = (name: string, values: number[], baselines: number[], target: typeof SCALE_TARGETS.delivery) =>
    makeRow({ name, unit: 's', values, baselines, target: target.text, meets: target.meets });
  assert.equal(row('close', [13], [10], SCALE_TARGETS.delivery).met, true);
  assert.equal(row('slow', [14], [10], SCALE_TARGETS.delivery).met, false);
  assert.equal(row('fast', [80], [100], SCALE_TARGETS.offers).met, true);
  assert.equal(row('few', [79], [100], SCALE_TARGETS.offers).met, false);
  assert.match(markdownTable([row('slow', [14], [10], SCALE_TARGETS.delivery)]), /\| slow \|.*\| NOT MET \|/);
});
