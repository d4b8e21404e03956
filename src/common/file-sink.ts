import { open, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

export interface FileSinkOptions {
  /** `wx` for a new file, `a` to append to a partial one. */
  flags: 'wx' | 'a';
  mode?: number;
  /**
   * Called with each chunk once it is written (hashing, progress, growth signals). A returned promise holds the
   * stream until it settles: back-pressure from a hash that fell behind.
   */
  onWritten?: (chunk: Buffer) => Promise<void> | void;
  /** Bytes between background flushes to disk (default 64 MiB). */
  syncEvery?: number;
}

/**
 * A file written from a stream, durable when the stream finishes. Chunks that queue up are written together
 * (writev), the data is flushed to disk in the background as it grows, so the last flush before "done" is
 * short whatever the file's size, and `final` returns only once everything is on disk.
 */
export class FileSink extends Writable {
  bytes = 0;
  private handle: FileHandle | null = null;
  private sinceSync = 0;
  private syncing: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly options: FileSinkOptions,
  ) {
    super({ highWaterMark: 4 << 20 });
  }

  override _construct(done: (error?: Error | null) => void): void {
    open(this.path, this.options.flags, this.options.mode ?? 0o600).then(
      (handle) => {
        this.handle = handle;
        done();
      },
      (error: Error) => done(error),
    );
  }

  override _writev(chunks: { chunk: Buffer }[], done: (error?: Error | null) => void): void {
    const buffers = chunks.map((c) => c.chunk);
    this.writeAll(buffers).then(() => done(), done);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    this.writeAll([chunk]).then(() => done(), done);
  }

  private async writeAll(buffers: Buffer[]): Promise<void> {
    const handle = this.handle!;
    let pending = buffers;
    // writev may write less than asked (a full disk, a signal): write the rest.
    while (pending.length > 0) {
      const { bytesWritten } = await handle.writev(pending);
      let left = bytesWritten;
      const rest: Buffer[] = [];
      for (const buffer of pending) {
        if (left >= buffer.length) left -= buffer.length;
        else {
          rest.push(buffer.subarray(left));
          left = 0;
        }
      }
      pending = rest;
    }
    for (const buffer of buffers) {
      this.bytes += buffer.length;
      this.sinceSync += buffer.length;
      const held = this.options.onWritten?.(buffer);
      if (held) await held;
    }
    if (this.sinceSync >= (this.options.syncEvery ?? 64 << 20)) {
      this.sinceSync = 0;
      // One background flush at a time; a failed one is retried by the final sync.
      this.syncing = this.syncing.then(() => handle.datasync()).catch(() => undefined);
    }
  }

  override _final(done: (error?: Error | null) => void): void {
    const handle = this.handle!;
    this.syncing.then(() => handle.sync()).then(() => done(), done);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = null;
    if (!handle) return done(error);
    this.syncing
      .catch(() => undefined)
      .then(() => handle.close())
      .then(
        () => done(error),
        () => done(error),
      );
  }
}
