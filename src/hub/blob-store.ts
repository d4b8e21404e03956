import { EventEmitter } from 'node:events';
import { createReadStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash, type Hash } from 'node:crypto';
import { FileSink } from '../common/file-sink.js';

export class BlobError extends Error {
  constructor(
    readonly kind: 'busy' | 'offset' | 'too_large' | 'mismatch',
    message: string,
    readonly held = 0,
  ) {
    super(message);
  }
}

/** Relayed bodies are read in 2 MiB pieces: fewer reads and allocations per gigabyte. */
const READ_CHUNK = 2 << 20;
/** What a recipient may hold of chunks relayed from memory before it falls back to reading the file. */
const LIVE_LIMIT = 8 << 20;

/** What one uploader has written of one body so far, and the hash of exactly those bytes. */
interface PartialState {
  held: number;
  hash: Hash | null;
  hashedBytes: number;
  writing: boolean;
}

/**
 * Bodies at the hub, content-addressed by sha256 (architecture.md, "Moving a file"). A body being uploaded is a
 * partial file per uploader (one sender's bytes never mix with another's); once complete and verified it is
 * renamed to its sha256 and shared by every offer of that content. Readers follow a partial as it grows, which is
 * how the hub relays bytes to a recipient while they are still arriving.
 */
export class DirectoryBlobStore {
  private readonly partials = new Map<string, PartialState>();
  /** Bytes handed to recipients straight from memory, and read back from disk (GET /stats). */
  readonly relayed = { fromMemory: 0, fromDisk: 0 };
  private readonly signals = new EventEmitter();
  private readonly partialDir: string;

  constructor(private readonly dir: string) {
    this.partialDir = join(dir, 'partial');
    mkdirSync(this.partialDir, { recursive: true, mode: 0o700 });
    this.signals.setMaxListeners(0);
  }

  completePath(sha256: string): string {
    return join(this.dir, sha256);
  }

  partialPath(sha256: string, uploader: string): string {
    return join(this.partialDir, `${sha256}.${uploader}`);
  }

  async isComplete(sha256: string): Promise<boolean> {
    try {
      await stat(this.completePath(sha256));
      return true;
    } catch {
      return false;
    }
  }

  /** Bytes of this body the hub holds for this uploader: all of it when complete, else the partial's length. */
  async held(sha256: string, uploader: string, size: number): Promise<number> {
    if (await this.isComplete(sha256)) return size;
    const state = this.partials.get(this.key(sha256, uploader));
    if (state) return state.held;
    try {
      return (await stat(this.partialPath(sha256, uploader))).size;
    } catch {
      return 0;
    }
  }

  private key(sha256: string, uploader: string): string {
    return `${sha256}.${uploader}`;
  }

  private async state(sha256: string, uploader: string): Promise<PartialState> {
    const key = this.key(sha256, uploader);
    let state = this.partials.get(key);
    if (!state) {
      const held = await this.held(sha256, uploader, Number.MAX_SAFE_INTEGER).catch(() => 0);
      state = {
        held: held === Number.MAX_SAFE_INTEGER ? 0 : held,
        hash: null,
        hashedBytes: 0,
        writing: false,
      };
      this.partials.set(key, state);
    }
    return state;
  }

  /**
   * Appends an upload at `offset` (which must be what the hub already holds). When the last byte of `size` arrives
   * the body is verified against its sha256 and moved into place; a mismatch discards it.
   */
  async append(
    sha256: string,
    uploader: string,
    offset: number,
    size: number,
    source: Readable,
    onBytes: (bytes: number) => void,
  ): Promise<{ held: number; complete: boolean }> {
    if (await this.isComplete(sha256)) return { held: size, complete: true };
    const state = await this.state(sha256, uploader);
    if (state.writing) throw new BlobError('busy', 'another upload of this body is in progress', state.held);
    if (offset !== state.held) {
      throw new BlobError('offset', `the hub holds ${state.held} bytes, not ${offset}`, state.held);
    }
    state.writing = true;
    const path = this.partialPath(sha256, uploader);
    try {
      if (!state.hash || state.hashedBytes !== state.held) {
        // Resuming after a restart: the hash of what is already held is computed once, from disk.
        state.hash = createHash('sha256');
        state.hashedBytes = 0;
        if (state.held > 0) {
          for await (const chunk of createReadStream(path, {
            start: 0,
            end: state.held - 1,
            highWaterMark: READ_CHUNK,
          })) {
            state.hash.update(chunk as Buffer);
            state.hashedBytes += (chunk as Buffer).length;
          }
        }
      }
      const hash = state.hash;
      const signalKey = this.key(sha256, uploader);
      let arriving = state.held;
      // Refused before it is written: nothing past the size offered ever reaches the disk.
      const limit = new Transform({
        transform(chunk: Buffer, _enc, done) {
          arriving += chunk.length;
          if (arriving > size)
            done(new BlobError('too_large', `the body is larger than the ${size} bytes offered`, state.held));
          else done(null, chunk);
        },
      });
      const sink = new FileSink(path, {
        flags: 'a',
        onWritten: (chunk) => {
          state.held += chunk.length;
          state.hashedBytes += chunk.length;
          onBytes(chunk.length);
          // The chunk itself goes with the signal: a recipient that has caught up relays it from memory.
          this.signals.emit(`grow:${signalKey}`, chunk, state.held - chunk.length);
          hash.update(chunk);
        },
      });
      await pipeline(source, limit, sink);
      if (state.held < size) return { held: state.held, complete: false };
      const digest = hash.digest('hex');
      this.partials.delete(signalKey);
      if (digest !== sha256) {
        await rm(path, { force: true });
        this.signals.emit(`failed:${sha256}`);
        this.signals.emit(`grow:${signalKey}`);
        throw new BlobError('mismatch', `the body's sha256 is ${digest}, not the ${sha256} offered`);
      }
      await rename(path, this.completePath(sha256));
      this.signals.emit(`complete:${sha256}`);
      this.signals.emit(`grow:${signalKey}`);
      return { held: size, complete: true };
    } finally {
      state.writing = false;
    }
  }

  /**
   * A stream of the body from `start` to `size`, following the uploader's partial as it grows. Ends with an error
   * if the body is discarded (integrity failure) or `signal` aborts.
   */
  read(sha256: string, uploader: string, start: number, size: number, signal: AbortSignal): Readable {
    return Readable.from(this.follow(sha256, uploader, start, size, signal), {
      objectMode: false,
      // One piece read ahead per recipient: ten recipients of one body hold tens, not hundreds, of MiB.
      highWaterMark: READ_CHUNK,
    });
  }

  /**
   * Yields the body from `start`. A recipient that keeps up with the upload gets each chunk straight from memory
   * as it is written (the same buffer for every recipient: nothing read back, nothing copied); one that falls
   * behind, or starts late, reads from the file until it catches up.
   */
  private async *follow(sha256: string, uploader: string, start: number, size: number, signal: AbortSignal) {
    const key = this.key(sha256, uploader);
    let handle: FileHandle | null = null;
    let failed = false;
    let removed = false;
    let pos = start;
    const live: Buffer[] = [];
    let liveAt = 0;
    let liveBytes = 0;
    // The one waiter of this reader: woken by growth, completion, failure or abort.
    let wake: (() => void) | null = null;
    // Counts wake-ups, so one that came while this reader was busy (awaiting the disk) is not missed.
    let signals = 0;
    const nudge = () => {
      signals += 1;
      const resume = wake;
      wake = null;
      resume?.();
    };
    const onFailed = () => {
      failed = true;
      nudge();
    };
    const onRemoved = () => {
      removed = true;
      nudge();
    };
    const onChunk = (chunk?: Buffer, at?: number) => {
      nudge();
      if (!chunk || at === undefined) return;
      const next = liveBytes > 0 ? liveAt + liveBytes : pos;
      if (at !== next || liveBytes + chunk.length > LIVE_LIMIT) {
        // Behind (reading the file) or not reading fast enough: the file has these bytes.
        live.length = 0;
        liveBytes = 0;
        return;
      }
      if (liveBytes === 0) liveAt = at;
      live.push(chunk);
      liveBytes += chunk.length;
    };
    this.signals.on(`failed:${sha256}`, onFailed);
    this.signals.on(`removed:${sha256}`, onRemoved);
    this.signals.on(`grow:${key}`, onChunk);
    this.signals.on(`complete:${sha256}`, nudge);
    signal.addEventListener('abort', nudge, { once: true });
    const waitForGrowth = () =>
      new Promise<void>((resolve) => {
        // Without an upload in this process nothing signals growth: look at the disk again now and then.
        const timer = this.partials.has(key) ? undefined : setTimeout(nudge, 5000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    try {
      let complete = false;
      while (pos < size) {
        const seen = signals;
        if (signal.aborted) throw new Error('aborted');
        if (failed) throw new BlobError('mismatch', 'the body failed its integrity check at the hub');
        if (removed) throw new Error('the body was removed: no open send or offer needs it');
        if (liveBytes > 0 && liveAt === pos) {
          const chunks = live.splice(0);
          liveBytes = 0;
          // Counted before they are handed on: chunks that arrive meanwhile follow these.
          for (const chunk of chunks) pos += chunk.length;
          for (const chunk of chunks) {
            this.relayed.fromMemory += chunk.length;
            yield chunk;
          }
          continue;
        }
        live.length = 0;
        liveBytes = 0;
        // The upload's own count says how far the file has grown; the disk is asked only when that is not
        // enough (no upload in this process, or caught up with it), not for every chunk.
        const upload = this.partials.get(key);
        let available = complete ? size : (upload?.held ?? 0);
        // An upload known here is not complete yet: only without one is the disk asked.
        if (pos >= available && !complete && !upload) {
          complete = await this.isComplete(sha256);
          available = complete
            ? size
            : (this.partials.get(key)?.held ?? (await this.held(sha256, uploader, size)));
        }
        if (!handle && (complete || available > 0)) {
          handle = await open(complete ? this.completePath(sha256) : this.partialPath(sha256, uploader), 'r');
        }
        if (handle && pos < available) {
          const length = Math.min(READ_CHUNK, available - pos);
          const buffer = Buffer.allocUnsafe(length);
          const { bytesRead } = await handle.read(buffer, 0, length, pos);
          if (bytesRead === 0) {
            // The partial we opened was replaced (discarded and restarted): reopen from the path.
            await handle.close();
            handle = null;
            if (signals === seen) await waitForGrowth();
            continue;
          }
          pos += bytesRead;
          this.relayed.fromDisk += bytesRead;
          yield bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
          continue;
        }
        if (signals === seen) await waitForGrowth();
      }
    } finally {
      this.signals.off(`failed:${sha256}`, onFailed);
      this.signals.off(`removed:${sha256}`, onRemoved);
      this.signals.off(`grow:${key}`, onChunk);
      this.signals.off(`complete:${sha256}`, nudge);
      signal.removeEventListener('abort', nudge);
      await handle?.close().catch(() => undefined);
    }
  }

  /** Removes a body: its complete file and every uploader's partial. A reader still following it ends. */
  async remove(sha256: string): Promise<void> {
    this.signals.emit(`removed:${sha256}`);
    await rm(this.completePath(sha256), { force: true });
    for (const name of readdirSync(this.partialDir)) {
      if (name.startsWith(`${sha256}.`)) {
        const state = this.partials.get(name);
        if (state?.writing) continue;
        this.partials.delete(name);
        rmSync(join(this.partialDir, name), { force: true });
      }
    }
  }

  /** sha256 values of every body present, complete or partial. */
  list(): string[] {
    const names = new Set<string>();
    for (const name of readdirSync(this.dir)) if (/^[0-9a-f]{64}$/.test(name)) names.add(name);
    for (const name of readdirSync(this.partialDir)) names.add(name.slice(0, 64));
    return [...names];
  }
}

export async function drain(source: Readable): Promise<void> {
  source.resume();
  await new Promise<void>((resolve) => {
    source.once('end', resolve);
    source.once('error', () => resolve());
    source.once('close', () => resolve());
  });
}
