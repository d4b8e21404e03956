import { performance } from 'node:perf_hooks';
import { Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** How far ahead of its rate a stream may get after a pause: a short burst, not the whole pause made up. */
const BURST_MS = 100;
/** The smallest slice worth a timer of its own. */
const MIN_SLICE = 16 * 1024;

/**
 * Holds a stream to a rate (bytes per second). Used for the room's --max-rate: a room on a shared link can be
 * kept from taking all of it. Chunks are passed on in slices of about a tenth of a second's worth, each when it
 * is due, so a large chunk at a low rate flows steadily instead of arriving late in one piece, and a stream that
 * paused does not make up the pause in one burst. Back-pressure does the rest: a held slice stops the source.
 */
export class Throttle extends Transform {
  /** When the bytes passed so far are due at the rate, in performance.now() time (one burst of credit at first). */
  private dueAt = performance.now() - BURST_MS;
  private readonly slice: number;

  constructor(private readonly bytesPerSecond: number) {
    super({ highWaterMark: 256 * 1024 });
    this.slice = Math.max(MIN_SLICE, Math.floor(bytesPerSecond / 10));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.passOn(chunk).then(() => done(), done);
  }

  private async passOn(chunk: Buffer): Promise<void> {
    for (let offset = 0; offset < chunk.length; offset += this.slice) {
      const piece = chunk.subarray(offset, offset + this.slice);
      const now = performance.now();
      // Time not used while the stream was idle is only partly credited.
      this.dueAt = Math.max(this.dueAt, now - BURST_MS) + (piece.length / this.bytesPerSecond) * 1000;
      const wait = this.dueAt - now;
      if (wait > 1) await sleep(wait);
      if (this.destroyed) return;
      this.push(piece);
    }
  }
}
