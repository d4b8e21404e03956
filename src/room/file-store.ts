import { createHash, randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileRecord, RoomStore } from './store.js';
import type { Clock } from '../common/clock.js';
import { Direction, Status } from '../protocol/common-types.js';
import { FileSink } from '../common/file-sink.js';

export class UploadLimitError extends Error {
  constructor(
    readonly kind: 'size' | 'quota',
    message: string,
  ) {
    super(message);
  }
}

export interface ReceiveLimits {
  /** Largest body accepted (httpServerMaxPostFileSizeInBytes). */
  maxBytes: number;
  /** The room's storage quota: stored files plus bodies in flight may not exceed it. */
  quotaBytes: number;
}

/**
 * Counts and hashes the bytes that pass, and stops the stream the moment a limit is crossed. The hash of a chunk
 * runs while the disk writes the ones before it (one pass over the bytes; a 64 KiB chunk hashes in a tenth of a
 * millisecond, so the event loop never stalls on it).
 */
class MeterTransform extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly admit: (bytes: number) => UploadLimitError | null) {
    super({ highWaterMark: 1 << 20 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const refusal = this.admit(chunk.length);
    if (refusal) return done(refusal);
    this.bytes += chunk.length;
    this.hash.update(chunk);
    done(null, chunk);
  }
}

/**
 * File bodies on disk. Bodies are written under a random temporary name, flushed, and renamed to their numeric
 * id only when complete; the name a sender gave is kept in the database and never touches the file system.
 */
export class FileStore {
  readonly filesDir: string;
  readonly tmpDir: string;
  readonly partialDir: string;
  /** Bytes of uploads still streaming: they count against the quota before they are stored. */
  private inFlight = 0;

  constructor(
    dataDir: string,
    private readonly store: RoomStore,
    private readonly clock: Clock,
  ) {
    this.filesDir = join(dataDir, 'files');
    this.tmpDir = join(dataDir, 'tmp');
    this.partialDir = join(dataDir, 'partial');
    for (const dir of [this.filesDir, this.tmpDir, this.partialDir])
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Whatever is in tmp belongs to an upload that never finished: it has no fileId and is not kept.
    for (const name of readdirSync(this.tmpDir)) rmSync(join(this.tmpDir, name), { force: true });
    this.finishKeeping();
  }

  /**
   * Repairs what a kill in the middle of keeping a body left (see `keepReceived` and `adopt`): a received body
   * whose request is already recorded as done but still lies in partial/ is moved into place (never downloaded
   * again), one already in place leaves no partial behind, and a body in files/ that no record names (a kill
   * between the move and the record of an upload) is removed: nothing is kept twice or without a record.
   */
  private finishKeeping(): void {
    for (const key of readdirSync(this.partialDir)) {
      const request = this.store.getRequest(key);
      if (!request || request.direction !== Direction.Incoming || request.status !== Status.Done) continue;
      if (request.fileId === null || !this.store.getFile(request.fileId)) continue;
      if (existsSync(this.pathOf(request.fileId))) rmSync(this.partialPathOf(key), { force: true });
      else renameSync(this.partialPathOf(key), this.pathOf(request.fileId));
    }
    for (const name of readdirSync(this.filesDir)) {
      const fileId = /^[1-9][0-9]*$/.test(name) ? Number(name) : null;
      if (fileId === null || !this.store.getFile(fileId)) rmSync(join(this.filesDir, name), { force: true });
    }
  }

  pathOf(fileId: number): string {
    return join(this.filesDir, String(fileId));
  }

  partialPathOf(key: string): string {
    return join(this.partialDir, key);
  }

  /** Bytes counted against the quota right now: stored files plus uploads in flight. */
  usedBytes(): number {
    return this.store.storedBytes() + this.inFlight;
  }

  /**
   * Streams a body to disk, hashing on the way, and stores it under a new fileId. On any failure, a limit or a
   * cut-off, the temporary file is removed and nothing is recorded.
   */
  async receive(source: Readable, fileName: string, limits: ReceiveLimits): Promise<FileRecord> {
    const tmpPath = join(this.tmpDir, randomBytes(12).toString('hex'));
    let counted = 0;
    const meter = new MeterTransform((bytes) => {
      if (counted + bytes > limits.maxBytes) {
        return new UploadLimitError('size', `the file is larger than the limit of ${limits.maxBytes} bytes`);
      }
      if (this.usedBytes() + bytes > limits.quotaBytes) {
        return new UploadLimitError(
          'quota',
          `the room's storage quota of ${limits.quotaBytes} bytes is full`,
        );
      }
      counted += bytes;
      this.inFlight += bytes;
      return null;
    });
    try {
      await pipeline(source, meter, new FileSink(tmpPath, { flags: 'wx' }));
      const record: FileRecord = {
        fileId: this.newFileId(),
        fileName,
        fileSize: meter.bytes,
        sha256: meter.hash.digest('hex'),
        timestamp: this.clock.now(),
        source: 'upload',
      };
      await this.adopt(tmpPath, record);
      return record;
    } catch (error) {
      // Released before the file goes, so that no one sees an empty tmp dir with bytes still counted.
      this.inFlight -= counted;
      counted = 0;
      await rm(tmpPath, { force: true });
      throw error;
    } finally {
      this.inFlight -= counted;
    }
  }

  /** Moves a complete, verified body into place under its new id and records it, in that order. */
  async adopt(path: string, record: FileRecord): Promise<void> {
    await rename(path, this.pathOf(record.fileId));
    try {
      this.store.insertFile(record);
    } catch (error) {
      await rm(this.pathOf(record.fileId), { force: true });
      throw error;
    }
  }

  /**
   * Keeps a verified received body under `record` and, in the same database transaction, records its request as
   * done (`recordDone`); the body is moved into place after the commit. A kill at any point leaves either a
   * request still receiving with its whole partial (the next attempt verifies it without a download) or a done
   * request whose body the next start moves into place: never a second download, never a second copy.
   */
  async keepReceived<T>(partial: string, record: FileRecord, recordDone: () => T): Promise<T> {
    const done = this.store.transaction(() => {
      this.store.insertFile(record);
      return recordDone();
    });
    await rename(partial, this.pathOf(record.fileId));
    return done;
  }

  /** A random positive id below 2^31, unused in this room: ids are not guessable (room-api.md §6). */
  newFileId(): number {
    for (;;) {
      const id = randomInt(1, 2 ** 31 - 1);
      if (!this.store.getFile(id)) return id;
    }
  }

  async remove(fileId: number): Promise<boolean> {
    const existed = this.store.deleteFile(fileId);
    await rm(this.pathOf(fileId), { force: true });
    return existed;
  }

  async sizeOnDisk(path: string): Promise<number> {
    try {
      return (await stat(path)).size;
    } catch {
      return 0;
    }
  }
}
