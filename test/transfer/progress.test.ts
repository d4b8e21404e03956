import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressReporter, type ProgressSample } from '../../src/room/progress.js';

/**
 * The progress reporter on its own (room-api.md §9): integer steps, ten a second at most, one 100, never back.
 * It runs on node:test's mock timers (setTimeout and Date, which the system clock reads): `tick` moves time on at
 * once, so the spacing of the events is checked exactly instead of by sleeping.
 */

function mockTime(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  return (ms: number) => t.mock.timers.tick(ms);
}

function reporter(total: number) {
  const samples: (ProgressSample & { at: number })[] = [];
  const r = new ProgressReporter(total, (s) => samples.push({ ...s, at: Date.now() }));
  return { r, samples };
}

/** finish() waits for its turn on a timer: time moves on by `ms` while it waits. */
async function finishAfter(tick: (ms: number) => void, r: ProgressReporter, ms: number): Promise<void> {
  const finished = r.finish();
  tick(ms);
  await finished;
}

test('a burst of updates is held to ten events a second, and the last percent before a pause is sent', async (t) => {
  const tick = mockTime(t);
  const { r, samples } = reporter(1000);
  for (let bytes = 0; bytes <= 500; bytes += 10) r.update(bytes);
  tick(150);
  // 0 at once, then the held-back 50 when its turn came.
  assert.deepEqual(
    samples.map((s) => s.processedPercents),
    [0, 50],
  );
  assert.ok(samples[1].at - samples[0].at >= 95);
  assert.equal(samples[1].processedSize, 500);
  await finishAfter(tick, r, 100);
  assert.deepEqual(
    samples.map((s) => s.processedPercents),
    [0, 50, 100],
  );
  assert.equal(samples[2].processedSize, 1000);
  for (const s of samples) assert.ok(Number.isInteger(s.speed) && s.speed >= 0);
});

test('100 is sent once, by finish, never by update; nothing after cancel', async (t) => {
  const tick = mockTime(t);
  const { r, samples } = reporter(100);
  r.update(100);
  tick(120);
  assert.equal(samples.length, 0);
  await finishAfter(tick, r, 0);
  await finishAfter(tick, r, 0);
  r.update(100);
  assert.deepEqual(
    samples.map((s) => s.processedPercents),
    [100],
  );
  const other = reporter(100);
  other.r.update(10);
  other.r.update(20);
  other.r.cancel();
  tick(120);
  assert.deepEqual(
    other.samples.map((s) => s.processedPercents),
    [10],
  );
});

test('a retry that resumes from fewer bytes never reports a lower percent', async (t) => {
  const tick = mockTime(t);
  const { r, samples } = reporter(1000);
  r.update(600);
  tick(110);
  r.update(300);
  tick(110);
  r.update(500);
  tick(110);
  r.update(700);
  tick(110);
  await finishAfter(tick, r, 0);
  assert.deepEqual(
    samples.map((s) => s.processedPercents),
    [60, 70, 100],
  );
  for (const s of samples) assert.ok(s.speed >= 0, `speed ${s.speed}`);
});

test('a longer interval (a room with many clients) spaces the events further apart', async (t) => {
  const tick = mockTime(t);
  const samples: (ProgressSample & { at: number })[] = [];
  const r = new ProgressReporter(
    1000,
    (s) => samples.push({ ...s, at: Date.now() }),
    () => 300,
  );
  r.update(0);
  for (let bytes = 10; bytes <= 500; bytes += 10) r.update(bytes);
  tick(350);
  assert.deepEqual(
    samples.map((s) => s.processedPercents),
    [0, 50],
  );
  assert.ok(samples[1].at - samples[0].at >= 295, 'held back for the whole interval');
  await finishAfter(tick, r, 300);
  assert.ok(samples[2].at - samples[1].at >= 295, 'the 100 too waits its turn');
});
