import { performance } from 'node:perf_hooks';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Holds a stream to an average rate (bytes per second). Used for the room's --max-rate: a room on a shared link
 * can be kept from taking all of it. Back-pressure does the rest: a held chunk stops the source.
 */
export class Throttle extends Transform {
  private readonly started = performance.now();
  private passed = 0;

  constructor(private readonly bytesPerSecond: number) {
    super({ highWaterMark: 256 * 1024 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.passed += chunk.length;
    const due = (this.passed / this.bytesPerSecond) * 1000;
    const wait = due - (performance.now() - this.started);
    if (wait <= 1) done(null, chunk);
    else setTimeout(() => done(null, chunk), wait);
  }
}
