import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BlobError, type BlobStore, type UploadRef } from './blob-store.js';
import type { BodySignals } from './body-signals.js';

/** What one upload known to this process holds, and the hash of exactly those bytes. */
interface UploadState {
  held: number;
  hash: Hash | null;
  hashedBytes: number;
  writing: boolean;
}

const uploadKey = ({ sha256, uploader }: UploadRef) => `${sha256}.${uploader}`;

/** One process's exclusive hold on an upload (UploadLocks). */
export interface UploadLock {
  /**
   * Aborted when the hold is lost without being released (the database connection holding the lock dropped, so
   * another process may take it now): the writer stops at once, writing nothing more.
   */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

/**
 * Several hub processes on one store: an upload is written by one process at a time. `acquire` resolves to the
 * upload's lock, or null when another process holds it.
 */
export interface UploadLocks {
  acquire(upload: UploadRef): Promise<UploadLock | null>;
}

const LOCK_LOST = 'the hub lost its hold on this upload: try again';

/**
 * Passes `source` on, refusing (before it is written) the first byte past `room`, and stopping (before the next
 * byte is written, even while the sender pauses) once `lost` aborts.
 */
async function* within(source: Readable, room: number, size: number, held: () => number, lost?: AbortSignal) {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let stop: (() => void) | undefined;
  const stopped = new Promise<'lost'>((resolve) => (stop = () => resolve('lost')));
  lost?.addEventListener('abort', stop!, { once: true });
  let arriving = 0;
  try {
    for (;;) {
      if (lost?.aborted) throw new BlobError('lost', LOCK_LOST, held());
      const next = await Promise.race([chunks.next(), stopped]);
      if (next === 'lost') throw new BlobError('lost', LOCK_LOST, held());
      if (next.done) return;
      const bytes = next.value;
      arriving += bytes.length;
      if (arriving > room)
        throw new BlobError('too_large', `the body is larger than the ${size} bytes offered`, held());
      yield bytes;
    }
  } finally {
    lost?.removeEventListener('abort', stop!);
    // Not awaited: after a loss, a read of the request is still pending, and the return waits behind it.
    chunks.return?.().catch(() => undefined);
  }
}

/**
 * Uploads of bodies into the store, one writer per upload: each appends where the last one stopped, every byte is
 * hashed as it is held, and when the last one arrives the body is verified against its sha256 and finished, or
 * discarded. The chunks are handed to the readers following the upload as they are held.
 */
export class BodyUploads {
  private readonly states = new Map<string, UploadState>();
  /** The accounts whose upload of each body was verified in this process, until the body is removed. */
  private readonly verified = new Map<string, Set<string>>();

  constructor(
    private readonly store: BlobStore,
    private readonly signals: BodySignals,
    private readonly locks?: UploadLocks,
  ) {}

  /** Bytes held by an upload known to this process (writing now or earlier), or undefined. */
  heldHere(upload: UploadRef): number | undefined {
    const state = this.states.get(uploadKey(upload));
    // Several processes: one not writing the upload now may be behind the one that is; the store is not.
    if (this.locks && !state?.writing) return undefined;
    return state?.held;
  }

  /** Whether this account's upload of this body was verified in this process (and the body not removed since). */
  verifiedBy(upload: UploadRef): boolean {
    return this.verified.get(upload.sha256)?.has(upload.uploader) ?? false;
  }

  /** Drops one upload's bytes (the store had no room for it): its readers end, the next upload starts anew. */
  async discard(upload: UploadRef): Promise<void> {
    this.states.delete(uploadKey(upload));
    await this.store.discard(upload);
    this.signals.failed(upload);
    this.signals.changed(upload);
  }

  /** Drops an upload no writer holds (on any process); resolves to false, dropping nothing, when one does. */
  async discardUnlessWriting(upload: UploadRef): Promise<boolean> {
    const writing = () => this.states.get(uploadKey(upload))?.writing === true;
    if (writing()) return false;
    const lock = this.locks ? await this.locks.acquire(upload) : null;
    if (this.locks && !lock) return false;
    try {
      if (writing() || lock?.lost.aborted) return false;
      await this.discard(upload);
      return true;
    } finally {
      await lock?.release();
    }
  }

  /** Forgets the uploads of a body that are not writing; resolves to the uploaders of those that are. */
  forget(sha256: string): Set<string> {
    this.verified.delete(sha256);
    const writing = new Set<string>();
    for (const [key, state] of this.states) {
      if (!key.startsWith(`${sha256}.`)) continue;
      if (state.writing) writing.add(key.slice(sha256.length + 1));
      else this.states.delete(key);
    }
    return writing;
  }

  private async state(upload: UploadRef): Promise<UploadState> {
    const key = uploadKey(upload);
    const known = this.states.get(key);
    if (known) return known;
    const held = await this.store.create(upload);
    // Another append may have started it while the store answered: there is one state per upload.
    const state = this.states.get(key) ?? { held, hash: null, hashedBytes: 0, writing: false };
    this.states.set(key, state);
    return state;
  }

  /**
   * Appends `source` at `offset` (which must be what the hub already holds). When the last byte of `size` arrives
   * the body is verified against its sha256 and becomes the body; a mismatch discards it.
   */
  async append(
    upload: UploadRef,
    offset: number,
    size: number,
    source: Readable,
    onBytes: (bytes: number) => void,
  ): Promise<{ held: number; complete: boolean }> {
    // Even when the body of this sha256 is held already (another account's), this account's bytes are received
    // and verified in full: only then does its send count as uploaded (docs/security.md, "Dedup").
    if (this.verifiedBy(upload)) return { held: size, complete: true };
    const state = await this.state(upload);
    if (state.writing) throw new BlobError('busy', 'another upload of this body is in progress', state.held);
    state.writing = true;
    let lock: UploadLock | null = null;
    try {
      if (this.locks) {
        lock = await this.locks.acquire(upload);
        // Another process writes it now; what it holds is in the store, not in this process's memory.
        if (!lock) {
          const held = await this.store.held(upload);
          throw new BlobError('busy', 'another upload of this body is in progress', held);
        }
        // Another process may have written since this one last did: the store says where the upload stands.
        const held = await this.store.held(upload);
        if (held !== state.held) {
          state.held = held;
          state.hash = null;
        }
      }
      if (offset !== state.held) {
        throw new BlobError('offset', `the hub holds ${state.held} bytes, not ${offset}`, state.held);
      }
      const hash = await this.hashOfHeld(upload, state);
      await this.store.append(
        upload,
        state.held,
        within(source, size - state.held, size, () => state.held, lock?.lost),
        (chunk) => {
          state.held += chunk.length;
          state.hashedBytes += chunk.length;
          onBytes(chunk.length);
          this.signals.written(upload, chunk, state.held - chunk.length);
          hash.update(chunk);
        },
      );
      if (state.held < size) return { held: state.held, complete: false };
      // Lost while the last part was being stored: another writer may be at work, so the next attempt verifies.
      if (lock?.lost.aborted) throw new BlobError('lost', LOCK_LOST, state.held);
      return await this.verify(upload, hash.digest('hex'), size);
    } catch (error) {
      // What this process counted may be ahead of, or behind, what another writer makes of the store now.
      if (lock?.lost.aborted) state.hash = null;
      throw error;
    } finally {
      state.writing = false;
      await lock?.release();
    }
  }

  /** The hash of the bytes held; after a restart it is computed once, from the store. */
  private async hashOfHeld(upload: UploadRef, state: UploadState): Promise<Hash> {
    if (state.hash && state.hashedBytes === state.held) return state.hash;
    const hash = createHash('sha256');
    state.hash = hash;
    state.hashedBytes = 0;
    for await (const chunk of this.store.read(upload, 0, state.held)) {
      hash.update(chunk);
      state.hashedBytes += chunk.length;
    }
    return hash;
  }

  private async verify(upload: UploadRef, digest: string, size: number) {
    this.states.delete(uploadKey(upload));
    if (digest !== upload.sha256) {
      await this.store.discard(upload);
      this.signals.failed(upload);
      this.signals.changed(upload);
      throw new BlobError('mismatch', `the body's sha256 is ${digest}, not the ${upload.sha256} offered`);
    }
    // Marked before the bytes move, so a reader woken by the move reads the verified body, never nothing.
    const accounts = this.verified.get(upload.sha256) ?? new Set<string>();
    accounts.add(upload.uploader);
    this.verified.set(upload.sha256, accounts);
    // Stored once: the same verified bytes of a second account are dropped, the body stays as it is.
    if (await this.store.has(upload.sha256)) await this.store.discard(upload);
    else await this.store.finish(upload);
    this.signals.completed(upload.sha256);
    this.signals.changed(upload);
    return { held: size, complete: true };
  }
}
