import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Throttle } from '../../src/common/throttle.js';

const KiB = 1024;

/** Pushes `chunks` through a Throttle of `rate`; returns when each output byte count was reached (ms from start). */
async function run(rate: number, chunks: (Buffer | 'pause')[]): Promise<{ at: number; bytes: number }[]> {
  const seen: { at: number; bytes: number }[] = [];
  const start = performance.now();
  let bytes = 0;
  async function* source() {
    for (const chunk of chunks) {
      if (chunk === 'pause') await new Promise((resolve) => setTimeout(resolve, 600));
      else yield chunk;
    }
  }
  await pipeline(
    Readable.from(source(), { objectMode: false }),
    new Throttle(rate),
    new Writable({
      write(piece: Buffer, _enc, done) {
        bytes += piece.length;
        seen.push({ at: performance.now() - start, bytes });
        done();
      },
    }),
  );
  return seen;
}

test('a large chunk at a low rate flows in slices of about a tenth of a second, at the rate', async () => {
  // 512 KiB at 512 KiB/s: one chunk, ten slices of 51.2 KiB, the whole taking about 0.9 s (one slice of credit).
  const seen = await run(512 * KiB, [Buffer.alloc(512 * KiB)]);
  assert.equal(seen.at(-1)!.bytes, 512 * KiB, 'every byte passes');
  assert.ok(seen.length >= 10, `in slices (${seen.length})`);
  assert.ok(seen[0].at < 50, `the first slice goes at once (${seen[0].at} ms)`);
  assert.ok(seen.at(-1)!.at >= 850, `held to the rate (${seen.at(-1)!.at} ms for 512 KiB at 512 KiB/s)`);
});

test('a pause is not made up in one burst afterwards', async () => {
  // 128 KiB, a pause of 600 ms, 256 KiB more, at 256 KiB/s. Averaged from the start, the second part could
  // pass at once; with the burst credit it still takes close to its own time (1 s less one slice).
  const seen = await run(256 * KiB, [Buffer.alloc(128 * KiB), 'pause', Buffer.alloc(256 * KiB)]);
  const resumed = seen.find((s) => s.bytes > 128 * KiB)!;
  const last = seen.at(-1)!;
  assert.equal(last.bytes, 384 * KiB);
  assert.ok(last.at - resumed.at >= 800, `the second part took ${last.at - resumed.at} ms`);
});
