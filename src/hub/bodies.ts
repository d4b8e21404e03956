import { Readable } from 'node:stream';
import type { BlobStore, UploadRef } from './blob-store.js';
import { followBody, type RelayCounters } from './body-follower.js';
import { BodySignals } from './body-signals.js';
import { BodyUploads, type UploadLocks } from './body-uploads.js';
import { LocalBodyUses, type BodyUse, type BodyUses } from './body-uses.js';

/**
 * One piece read ahead per recipient (the store's pieces are 256 KiB): a GET whose socket does not drain holds
 * this and the piece its socket is writing, not more (300 unread GETs: docs/security.md, "Memory").
 */
const READ_AHEAD = 256 << 10;

/**
 * The bodies at the hub (architecture.md, "Moving a file"), content-addressed by sha256: uploads verified into the
 * store, and downloads that follow an upload while it is still arriving. Built from a BlobStore, whichever it is.
 */
export class Bodies {
  readonly relayed: RelayCounters = { fromMemory: 0, fromStore: 0 };
  readonly signals = new BodySignals();
  private readonly uploads: BodyUploads;

  /**
   * `locks`: several hub processes share the store, and one of them writes an upload at a time. `uses`: which
   * bodies requests are reading or writing (on every process, when several share the store).
   */
  constructor(
    private readonly store: BlobStore,
    locks?: UploadLocks,
    private readonly uses: BodyUses = new LocalBodyUses(),
  ) {
    this.uploads = new BodyUploads(store, this.signals, locks);
  }

  /** Marks the body in use by a request (an upload or a download) until its release: it is not removed meanwhile. */
  use(sha256: string): Promise<BodyUse> {
    return this.uses.use(sha256);
  }

  /**
   * Nothing needs the body any more: its readers end now, and it is removed once no request uses it, on any
   * process (then `stillUnneeded` is asked again, under the removal's hold). Resolves to whether it was removed.
   */
  async collect(sha256: string, stillUnneeded: () => Promise<boolean>): Promise<boolean> {
    this.signals.removed(sha256);
    let removed = false;
    await this.uses.removeUnused(sha256, async () => {
      // A send that came meanwhile may need it again; one another process removed already is not removed twice.
      if (!(await stillUnneeded()) || !(await this.store.list()).includes(sha256)) return;
      await this.remove(sha256);
      removed = true;
    });
    return removed;
  }

  /** Drops a stale upload unless a writer holds it, here or on another process; resolves to whether it did. */
  discardIdle(upload: UploadRef): Promise<boolean> {
    return this.uploads.discardUnlessWriting(upload);
  }

  /** Whether the verified body is held, whoever uploaded it: for storage, never for what an uploader is told. */
  isComplete(sha256: string): Promise<boolean> {
    return this.store.has(sha256);
  }

  /** Whether this uploader's own upload of the body was verified in this process (BodyOwnership asks more). */
  verifiedBy(upload: UploadRef): boolean {
    return this.uploads.verifiedBy(upload);
  }

  /**
   * Bytes of this body the hub holds for this uploader: all of it when its own upload was verified, else what its
   * upload holds. Another account's copy of the same bytes counts for nothing (docs/security.md, "Dedup").
   */
  async held(upload: UploadRef, size: number): Promise<number> {
    if (this.uploads.verifiedBy(upload)) return size;
    return this.uploads.heldHere(upload) ?? (await this.store.held(upload));
  }

  append(
    upload: UploadRef,
    offset: number,
    size: number,
    source: Readable,
    onBytes: (bytes: number) => void,
  ): Promise<{ held: number; complete: boolean }> {
    return this.uploads.append(upload, offset, size, source, onBytes);
  }

  /**
   * The body from `start` to `size` as a stream that follows the upload as it grows. Until `verified` says the
   * uploader's own bytes were verified (by default: in this process), only the upload's own bytes are read.
   */
  read(
    upload: UploadRef,
    start: number,
    size: number,
    signal: AbortSignal,
    verified: () => Promise<boolean> | boolean = () => this.uploads.verifiedBy(upload),
  ): Readable {
    const sources = {
      store: this.store,
      signals: this.signals,
      heldHere: (ref: UploadRef) => this.uploads.heldHere(ref),
      verified,
      counters: this.relayed,
    };
    return Readable.from(followBody(sources, upload, start, size, signal), {
      objectMode: false,
      highWaterMark: READ_AHEAD,
    });
  }

  /** Drops one upload's bytes; the readers following it end with an error. */
  discardUpload(upload: UploadRef): Promise<void> {
    return this.uploads.discard(upload);
  }

  /** Removes a body and its uploads (but one still writing); a reader still following it ends. */
  async remove(sha256: string): Promise<void> {
    this.signals.removed(sha256);
    await this.store.remove(sha256, this.uploads.forget(sha256));
  }

  /** The sha256 of every body present, complete or being uploaded. */
  list(): Promise<string[]> {
    return this.store.list();
  }
}
