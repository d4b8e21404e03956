import { createWriteStream, fdatasync, fsync, close, open } from 'node:fs';
import { promisify } from 'node:util';
import type { Writable } from 'node:stream';

/** Bytes between background flushes, as roomfiles does them (common/file-sink.ts), so the last flush is short. */
const FLUSH_EVERY = 64 << 20;

/**
 * A file the floor chain writes a body into: a plain write stream, flushed to disk in the background as it grows
 * (`counted` after each chunk handed to `stream`) and synced by `close` once the stream has finished: the way any
 * program must write a body it reports durable, without one long flush at the end.
 */
export async function floorFile(
  path: string,
): Promise<{ stream: Writable; counted(bytes: number): void; close(): Promise<void> }> {
  const fd = await promisify(open)(path, 'w');
  const stream = createWriteStream(path, { fd, autoClose: false, highWaterMark: 4 << 20 });
  let since = 0;
  let flushing: Promise<void> | null = null;
  return {
    stream,
    counted(bytes) {
      since += bytes;
      if (since >= FLUSH_EVERY && !flushing) {
        since = 0;
        flushing = promisify(fdatasync)(fd).finally(() => (flushing = null));
      }
    },
    async close() {
      try {
        await flushing;
        await promisify(fsync)(fd);
      } finally {
        await promisify(close)(fd);
      }
    },
  };
}
