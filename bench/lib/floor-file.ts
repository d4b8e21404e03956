import { createHash } from 'node:crypto';
import { createWriteStream, fdatasync, fsync, close, open } from 'node:fs';
import { promisify } from 'node:util';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

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

/**
 * What a recipient must do with a body before it may report it done, and nothing else: write it to `dest` while
 * hashing it, then sync it (`floorFile`). The floor's recipients and the tus peer's downloaders both do it.
 */
export async function receiveVerified(
  body: Readable,
  dest: string,
): Promise<{ sha256: string; bytes: number }> {
  const file = await floorFile(dest);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        bytes += chunk.length;
        file.counted(chunk.length);
        done(null, chunk);
      },
    });
    await pipeline(body, hashing, file.stream);
  } finally {
    await file.close();
  }
  return { sha256: hash.digest('hex'), bytes };
}
