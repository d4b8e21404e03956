import { mkdirSync } from 'node:fs';
import { open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileSink } from '../common/file-sink.js';
import { BlobError, type BlobStore, type ReadOptions, type UploadRef } from './blob-store.js';

/**
 * Bodies are read in 256 KiB pieces: few reads per gigabyte, and little held by a GET whose recipient stopped
 * reading (it holds about two pieces; 2 MiB pieces made eight unread GETs hold some 60 MiB).
 */
const READ_CHUNK = 256 << 10;
const SHA256 = /^[0-9a-f]{64}$/;
/** Account names (src/hub/accounts.ts): safe as the end of a file name, never a path. */
const UPLOADER = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const errorCode = (error: unknown) => (error instanceof Error && 'code' in error ? error.code : undefined);

/** A full disk (or the owner's quota) is the store's typed refusal; anything else passes unchanged. */
function asStoreError(error: unknown, held: number): unknown {
  const code = errorCode(error);
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new BlobError('full', 'the hub has no room for this body', held);
  return error;
}

/**
 * The blob store in a directory (the default): a verified body is the file `<sha256>`, an upload under way the
 * file `partial/<sha256>.<uploader>`, appended to as bytes arrive and renamed into place once verified.
 */
export class DirectoryBlobStore implements BlobStore {
  private readonly uploadDir: string;

  constructor(private readonly dir: string) {
    this.uploadDir = join(dir, 'partial');
    mkdirSync(this.uploadDir, { recursive: true, mode: 0o700 });
  }

  private bodyPath(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${JSON.stringify(sha256)}`);
    return join(this.dir, sha256);
  }

  private uploadPath({ sha256, uploader }: UploadRef): string {
    if (!SHA256.test(sha256) || !UPLOADER.test(uploader)) {
      throw new Error(`not an upload: ${JSON.stringify({ sha256, uploader })}`);
    }
    return join(this.uploadDir, `${sha256}.${uploader}`);
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await stat(this.bodyPath(sha256));
      return true;
    } catch {
      return false;
    }
  }

  async held(upload: UploadRef): Promise<number> {
    try {
      return (await stat(this.uploadPath(upload))).size;
    } catch {
      return 0;
    }
  }

  async create(upload: UploadRef): Promise<number> {
    const handle = await open(this.uploadPath(upload), 'a', 0o600).catch((error: unknown) => {
      throw asStoreError(error, 0);
    });
    await handle.close();
    return this.held(upload);
  }

  async append(
    upload: UploadRef,
    offset: number,
    chunks: Readable | AsyncIterable<Buffer>,
    onHeld: (chunk: Buffer) => void,
  ): Promise<number> {
    let held = await this.held(upload);
    if (offset !== held) throw new BlobError('offset', `the upload holds ${held} bytes, not ${offset}`, held);
    const sink = new FileSink(this.uploadPath(upload), {
      flags: 'a',
      onWritten: (chunk) => {
        held += chunk.length;
        onHeld(chunk);
      },
    });
    // When the sender's connection breaks (or it sends a byte too many), the chunks that arrived before are a
    // correct prefix of the body: the sink writes and syncs them before the error is passed on, so the sender
    // resumes after them instead of sending again what was queued for the disk (up to the sink's 4 MiB).
    let cut: unknown = null;
    async function* untilCut() {
      try {
        yield* chunks;
      } catch (error) {
        cut = error;
      }
    }
    try {
      await pipeline(untilCut(), sink);
    } catch (error) {
      throw asStoreError(error, held);
    }
    if (cut instanceof BlobError) throw new BlobError(cut.kind, cut.message, held);
    if (cut !== null) throw cut instanceof Error ? cut : new Error(String(cut));
    return held;
  }

  async *read(
    upload: UploadRef,
    start: number,
    end: number,
    options: ReadOptions = {},
  ): AsyncGenerator<Buffer> {
    const handle = await this.openForRead(upload, options.uploadOnly === true);
    if (!handle) return;
    try {
      let position = start;
      while (position < end) {
        const length = Math.min(READ_CHUNK, end - position);
        const buffer = Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(buffer, 0, length, position);
        if (bytesRead === 0) return;
        position += bytesRead;
        yield bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
      }
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /** The verified body if held, else the upload; the body once more in case the upload was renamed meanwhile. */
  private async openForRead(upload: UploadRef, uploadOnly: boolean): Promise<FileHandle | null> {
    const body = this.bodyPath(upload.sha256);
    const paths = uploadOnly ? [this.uploadPath(upload)] : [body, this.uploadPath(upload), body];
    for (const path of paths) {
      try {
        return await open(path, 'r');
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw error;
      }
    }
    return null;
  }

  async finish(upload: UploadRef): Promise<void> {
    await rename(this.uploadPath(upload), this.bodyPath(upload.sha256));
  }

  async discard(upload: UploadRef): Promise<void> {
    await rm(this.uploadPath(upload), { force: true });
  }

  async remove(sha256: string, keep: ReadonlySet<string> = new Set()): Promise<void> {
    await rm(this.bodyPath(sha256), { force: true });
    const prefix = `${sha256}.`;
    for (const name of await readdir(this.uploadDir)) {
      if (!name.startsWith(prefix) || keep.has(name.slice(prefix.length))) continue;
      await rm(join(this.uploadDir, name), { force: true });
    }
  }

  async list(): Promise<string[]> {
    const names = new Set<string>();
    for (const name of await readdir(this.dir)) if (SHA256.test(name)) names.add(name);
    for (const name of await readdir(this.uploadDir)) names.add(name.slice(0, 64));
    return [...names];
  }
}
