import { BlobError, type BlobStore, type UploadRef } from './blob-store.js';
import type { BodySignals, UploadListener } from './body-signals.js';

/** What a reader may hold of chunks relayed from memory before it falls back to reading the store. */
const LIVE_LIMIT = 8 << 20;
/**
 * Without an upload in this process nothing signals growth: the store is looked at again this often, unless the
 * store says how often (S3: another process may be writing the upload).
 */
const POLL_MS = 5000;

/** Bytes handed to recipients straight from memory, and read back from the store (GET /stats). */
export interface RelayCounters {
  fromMemory: number;
  fromStore: number;
}

export interface FollowSources {
  store: BlobStore;
  signals: BodySignals;
  /** Bytes held by an upload known to this process, or undefined when none is. */
  heldHere(upload: UploadRef): number | undefined;
  /** Whether this upload's own bytes were verified: until then the verified body (another account's) is not read. */
  verified(): Promise<boolean> | boolean;
  counters: RelayCounters;
}

/**
 * One reader's side of the fan-out: the chunks written since it caught up (while they continue exactly where it
 * is, and up to LIVE_LIMIT), and the wake-ups it had. A wake-up that comes while the reader is busy (awaiting the
 * store) is counted, so it is not missed.
 */
class ReaderFeed implements UploadListener {
  private chunks: Buffer[] = [];
  private at = 0;
  private bytes = 0;
  private wake: (() => void) | null = null;
  wakeups = 0;
  hasFailed = false;
  wasRemoved = false;

  constructor(private readonly position: () => number) {}

  written(chunk: Buffer, at: number): void {
    this.nudge();
    const next = this.bytes > 0 ? this.at + this.bytes : this.position();
    if (at !== next || this.bytes + chunk.length > LIVE_LIMIT) {
      // Behind (reading the store) or not reading fast enough: the store has these bytes.
      this.drop();
      return;
    }
    if (this.bytes === 0) this.at = at;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  changed(): void {
    this.nudge();
  }

  failed(): void {
    this.hasFailed = true;
    this.nudge();
  }

  removed(): void {
    this.wasRemoved = true;
    this.nudge();
  }

  nudge(): void {
    this.wakeups += 1;
    const resume = this.wake;
    this.wake = null;
    resume?.();
  }

  /** The chunks held that continue exactly at `position`; none when they do not (the store has those bytes). */
  takeAt(position: number): Buffer[] {
    if (this.bytes === 0 || this.at !== position) {
      this.drop();
      return [];
    }
    const taken = this.chunks;
    this.chunks = [];
    this.bytes = 0;
    return taken;
  }

  private drop(): void {
    this.chunks = [];
    this.bytes = 0;
  }

  /** Resolves at the next wake-up, or after `pollMs` when given. */
  wait(pollMs: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const timer = pollMs === undefined ? undefined : setTimeout(() => this.nudge(), pollMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/**
 * Yields the body of `upload` from `start` to `size`, following the upload as it grows. A reader that keeps up
 * gets each chunk from memory as it is written; one that falls behind, or starts late, reads from the store until
 * it catches up. Ends with an error if the body fails its check, is removed, or `signal` aborts.
 */
export async function* followBody(
  sources: FollowSources,
  upload: UploadRef,
  start: number,
  size: number,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  const { store, counters } = sources;
  let position = start;
  const feed = new ReaderFeed(() => position);
  const unsubscribe = sources.signals.subscribe(upload, feed);
  const onAbort = () => feed.nudge();
  signal.addEventListener('abort', onAbort, { once: true });
  const mayGoOn = () => {
    if (signal.aborted) throw new Error('aborted');
    if (feed.hasFailed) throw new BlobError('mismatch', 'the body failed its integrity check at the hub');
    if (feed.wasRemoved) throw new Error('the body was removed: no open send or offer needs it');
  };
  try {
    let complete = false;
    while (position < size) {
      const seen = feed.wakeups;
      mayGoOn();
      const live = feed.takeAt(position);
      if (live.length > 0) {
        // Counted before they are handed on: chunks that arrive meanwhile follow these.
        for (const chunk of live) position += chunk.length;
        for (const chunk of live) {
          counters.fromMemory += chunk.length;
          yield chunk;
        }
        continue;
      }
      // The upload's own count says how far it has grown; the store is asked only when that is not enough (no
      // upload in this process, or caught up with it), not for every chunk.
      const here = sources.heldHere(upload);
      let available = complete ? size : (here ?? 0);
      if (position >= available && !complete && here === undefined) {
        complete = (await sources.verified()) && (await store.has(upload.sha256));
        available = complete ? size : (sources.heldHere(upload) ?? (await store.held(upload)));
      }
      let read = 0;
      if (position < available) {
        for await (const piece of store.read(upload, position, available, { uploadOnly: !complete })) {
          mayGoOn();
          position += piece.length;
          read += piece.length;
          counters.fromStore += piece.length;
          yield piece;
        }
      }
      // The verified body ends before the size this send declared: waiting would wait forever.
      if (complete && read === 0 && position < size) {
        throw new Error(`the body held is shorter than the ${size} bytes declared`);
      }
      // Nothing new (or what was held is gone: discarded and restarted): wait for the upload to move.
      if (read === 0 && feed.wakeups === seen) {
        await feed.wait(sources.heldHere(upload) === undefined ? (store.followPollMs ?? POLL_MS) : undefined);
      }
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
}
