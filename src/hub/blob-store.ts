import type { Readable } from 'node:stream';

/**
 * One upload of a body: the content it claims to be (its sha256) and the account sending it. Uploads of one body
 * by two accounts never mix: each has its own bytes until one of them is verified and becomes the body.
 */
export interface UploadRef {
  readonly sha256: string;
  readonly uploader: string;
}

export type BlobErrorKind =
  /** Another upload of this body by this account is being written. */
  | 'busy'
  /** An append did not start where the upload ends. */
  | 'offset'
  /** More bytes than the size offered. */
  | 'too_large'
  /** The whole body's sha256 is not the one offered. */
  | 'mismatch'
  /** The store has no room for more bytes (a full disk or bucket quota). */
  | 'full'
  /** The writer lost its exclusive hold on the upload (its lock's database connection dropped): it stopped. */
  | 'lost';

export interface ReadOptions {
  /** Read this upload's own bytes only, never the verified body of its sha256. */
  uploadOnly?: boolean;
}

export class BlobError extends Error {
  constructor(
    readonly kind: BlobErrorKind,
    message: string,
    /** The bytes of the upload held when it failed: where a retry resumes. */
    readonly held = 0,
  ) {
    super(message);
  }
}

/**
 * Where the hub keeps bodies (architecture.md, "Storage"): a directory now, S3-compatible object storage later,
 * in the shape of tusd's DataStore (create, append at an offset, read, finish, terminate). A body is stored under
 * its sha256 once verified; before that, each upload's bytes are held apart. The store does not hash: the caller
 * verifies the bytes as they pass (src/hub/body-uploads.ts) and then calls `finish`. Nothing here names a path
 * or a file: an implementation may keep an upload as fixed-size part objects. Any implementation must pass
 * test/hub/blob-store-contract.ts.
 */
export interface BlobStore {
  /** Whether the verified body of this sha256 is held. */
  has(sha256: string): Promise<boolean>;
  /** Bytes of this upload durably held (0 when it was never started, or was discarded). */
  held(upload: UploadRef): Promise<number>;
  /** Starts the upload, or finds the one already under way: resolves to the bytes it holds (tusd NewUpload). */
  create(upload: UploadRef): Promise<number>;
  /**
   * Writes `chunks` to the upload from `offset`, which must be the bytes it holds (else BlobError 'offset'). Each
   * chunk is handed to `onHeld` once it is held, in order: when the returned promise rejects (the source failed,
   * BlobError 'full'), every byte handed on is kept, and the next append resumes after the last of them.
   */
  append(
    upload: UploadRef,
    offset: number,
    chunks: Readable | AsyncIterable<Buffer>,
    onHeld: (chunk: Buffer) => void,
  ): Promise<number>;
  /**
   * Bytes `start` to `end` (exclusive) of the body: of the verified body when it is held, else of this upload as
   * far as it is held now. Ends early where what is held ends; reads while the upload continues. With
   * `uploadOnly`, only this upload's own bytes are read, never the verified body: a body verified for another
   * account must not reach the readers of an upload that has not proved it holds the same bytes.
   */
  read(upload: UploadRef, start: number, end: number, options?: ReadOptions): AsyncIterable<Buffer>;
  /** The upload, verified by the caller, becomes the body of its sha256 (tusd FinishUpload). */
  finish(upload: UploadRef): Promise<void>;
  /** Drops one upload's bytes (tusd Terminate). */
  discard(upload: UploadRef): Promise<void>;
  /** Removes the body and every upload of it, except those of the uploaders in `keep` (still writing). */
  remove(sha256: string, keep?: ReadonlySet<string>): Promise<void>;
  /** The sha256 of every body present, verified or being uploaded. */
  list(): Promise<string[]>;
  /** Whether the storage answers now (GET /health); a store without this method is always reachable. */
  reachable?(): Promise<boolean>;
  /**
   * How often a reader following an upload written by another process looks again (ms); a store without this
   * property is looked at every 5 s (a directory is only ever written by the process that follows it).
   */
  readonly followPollMs?: number;
}
