import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlobError, type BlobStore, type ReadOptions, type UploadRef } from './blob-store.js';

const SHA256 = /^[0-9a-f]{64}$/;
/** Account names (src/hub/accounts.ts): safe as one segment of an object key. */
const UPLOADER = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** Offsets are written with this many digits, so that the keys of a body's parts sort in byte order. */
const OFFSET_DIGITS = 16;
/**
 * Each part stored before it is full doubles the wait before the next one is (up to 2^5 times `flushAfterMs`), and a
 * full part starts again from `flushAfterMs`: a sender dribbling a byte at a time makes a part every 32 s at most,
 * not one a second, so the parts of a body (and the requests and listings they cost) stay few.
 */
const MAX_DOUBLINGS = 5;
/** DeleteObjects takes at most this many keys per request (the S3 API's limit). */
const DELETE_BATCH = 1000;

/** Where the bodies live: `s3://bucket/prefix`. */
export interface S3Location {
  bucket: string;
  /** Empty, or ends with `/`. */
  prefix: string;
}

/** Parses `s3://bucket/some/prefix` (the prefix is optional); throws on anything else. */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match) throw new Error(`not an S3 location (s3://bucket/prefix): ${JSON.stringify(url)}`);
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket: match[1], prefix: prefix ? `${prefix}/` : '' };
}

export interface S3BlobStoreOptions extends S3Location {
  client: S3Client;
  /** The largest part object, and so the most of an upload buffered in memory (default 8 MiB). */
  partSize?: number;
  /**
   * A part is stored after at most this long even when not full, so that a slow or pausing sender's bytes become
   * readable (and durable) within a bounded time (default 1 s).
   */
  flushAfterMs?: number;
  /** How long a request is retried while the endpoint is unreachable or failing, before the operation fails. */
  retryForMs?: number;
  /** How often a reader following an upload written by another process looks at the bucket again. */
  followPollMs?: number;
}

interface Part {
  key: string;
  offset: number;
  size: number;
}

/** What a finished body is made of: the manifest object, written last, whose presence means "the body is held". */
interface Manifest {
  size: number;
  /** Whose upload's parts are the body (they stay where they were written). */
  uploader: string;
  parts: Array<[offset: number, size: number]>;
}

const isOffset = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** A manifest as this store writes it: parts contiguous from 0 adding up to the size, an account's name. */
function isManifest(value: unknown): value is Manifest {
  const manifest = value as Partial<Manifest> | null;
  if (!manifest || !isOffset(manifest.size) || typeof manifest.uploader !== 'string') return false;
  if (!UPLOADER.test(manifest.uploader) || !Array.isArray(manifest.parts)) return false;
  let end = 0;
  for (const part of manifest.parts) {
    if (!Array.isArray(part) || part[0] !== end || !isOffset(part[1]) || part[1] === 0) return false;
    end += part[1];
  }
  return end === manifest.size;
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : '');
const errorCode = (error: unknown) =>
  error instanceof Error && 'code' in error ? String((error as { code: unknown }).code) : '';
const httpStatus = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

/** An outage (no answer, a reset, a 5xx, throttling): worth trying again. A 4xx answer is not. */
function isTransient(error: unknown): boolean {
  if (NETWORK_CODES.has(errorCode(error))) return true;
  if (
    ['TimeoutError', 'RequestTimeout', 'SlowDown', 'InternalError', 'ServiceUnavailable'].includes(
      errorName(error),
    )
  )
    return true;
  const status = httpStatus(error);
  if (status !== undefined) return status >= 500 || status === 429;
  return false;
}

const isMissing = (error: unknown) =>
  errorName(error) === 'NoSuchKey' || errorName(error) === 'NotFound' || httpStatus(error) === 404;

/** A bucket quota or a full MinIO: the store's typed refusal. */
const isFull = (error: unknown) =>
  ['QuotaExceeded', 'XMinioStorageFull', 'StorageFull'].includes(errorName(error)) ||
  httpStatus(error) === 507;

/**
 * The blob store in S3-compatible object storage (AWS S3, MinIO, Ceph RGW), through @aws-sdk/client-s3 only.
 *
 * Under the prefix, an upload under way is a sequence of part objects `uploads/<sha256>/<uploader>/<offset>`,
 * each stored whole by one PUT (so a part either is there complete or is not there): the bytes held are the parts
 * contiguous from 0, which any hub process sees by listing, and readers read each part as soon as it is stored;
 * the marker `open/<sha256>.<uploader>` says the upload exists.
 * Once verified, the manifest `complete/<sha256>` (the parts, their sizes, whose upload they are) is written: the
 * parts (and the marker) stay where they are, and the body is held exactly when its manifest is. One part is buffered in memory
 * while it fills, never a body. Requests that fail for want of the endpoint are retried for `retryForMs`, so an
 * outage shorter than that only pauses the upload.
 */
export class S3BlobStore implements BlobStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly partSize: number;
  readonly flushAfterMs: number;
  readonly retryForMs: number;
  readonly followPollMs: number;

  constructor(options: S3BlobStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    this.partSize = options.partSize ?? 8 << 20;
    this.flushAfterMs = options.flushAfterMs ?? 1000;
    this.retryForMs = options.retryForMs ?? 120_000;
    this.followPollMs = options.followPollMs ?? 500;
  }

  /** Whether the bucket answers (GET /health). */
  async reachable(): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), {
        abortSignal: AbortSignal.timeout(5000),
      });
      return true;
    } catch {
      return false;
    }
  }

  private checkSha(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${JSON.stringify(sha256)}`);
    return sha256;
  }

  private uploadPrefix({ sha256, uploader }: UploadRef): string {
    if (!SHA256.test(sha256) || !UPLOADER.test(uploader)) {
      throw new Error(`not an upload: ${JSON.stringify({ sha256, uploader })}`);
    }
    return `${this.prefix}uploads/${sha256}/${uploader}/`;
  }

  /** The marker of an upload under way: one key per upload, in one flat listing of every upload. */
  private openKey(upload: UploadRef): string {
    this.uploadPrefix(upload);
    return `${this.prefix}open/${upload.sha256}.${upload.uploader}`;
  }

  private manifestKey(sha256: string): string {
    return `${this.prefix}complete/${this.checkSha(sha256)}`;
  }

  /** Runs `request` again while the endpoint is out, for up to `retryForMs`; other failures pass at once. */
  private async retrying<T>(request: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.retryForMs;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await request();
      } catch (error) {
        if (!isTransient(error) || Date.now() >= deadline) throw error;
        await sleep(Math.min(1000, 50 * 2 ** attempt));
      }
    }
  }

  /** Every key under `prefix`, in key order (with the sizes of the objects). */
  private async *keys(prefix: string): AsyncGenerator<{ key: string; size: number }> {
    let token: string | undefined;
    do {
      const page = await this.retrying(() =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
        ),
      );
      for (const item of page.Contents ?? []) yield { key: item.Key!, size: item.Size ?? 0 };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** The parts of an upload contiguous from byte 0; anything after a gap is not held. */
  private async uploadParts(upload: UploadRef): Promise<Part[]> {
    const prefix = this.uploadPrefix(upload);
    const parts: Part[] = [];
    let end = 0;
    for await (const { key, size } of this.keys(prefix)) {
      const offset = Number(key.slice(prefix.length));
      if (offset !== end || size === 0) break;
      parts.push({ key, offset, size });
      end += size;
    }
    return parts;
  }

  private async manifest(sha256: string): Promise<Manifest | null> {
    try {
      const object = await this.retrying(() =>
        this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.manifestKey(sha256) })),
      );
      const manifest: unknown = JSON.parse(await object.Body!.transformToString());
      // Whatever else wrote it, a manifest that does not add up is never read as a body.
      if (!isManifest(manifest)) throw new Error(`the manifest of ${sha256} in the bucket is not one`);
      return manifest;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /** Whose upload's parts the body is; undefined when there is no body, or a manifest that is not one. */
  private owner(sha256: string): Promise<string | undefined> {
    return this.manifest(sha256).then(
      (manifest) => manifest?.uploader,
      () => undefined,
    );
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await this.retrying(() =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.manifestKey(sha256) })),
      );
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async held(upload: UploadRef): Promise<number> {
    return (await this.uploadParts(upload)).reduce((sum, part) => sum + part.size, 0);
  }

  /** Its marker says that the upload exists (for `list`); its bytes are its parts. */
  async create(upload: UploadRef): Promise<number> {
    const key = this.openKey(upload);
    await this.retrying(() =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: '', ContentLength: 0 })),
    );
    return this.held(upload);
  }

  async append(
    upload: UploadRef,
    offset: number,
    chunks: Readable | AsyncIterable<Buffer>,
    onHeld: (chunk: Buffer) => void,
  ): Promise<number> {
    const prefix = this.uploadPrefix(upload);
    let held = await this.held(upload);
    if (offset !== held) throw new BlobError('offset', `the upload holds ${held} bytes, not ${offset}`, held);

    let buffered: Buffer[] = [];
    let bufferedBytes = 0;
    let bufferedSince = 0;
    let storeFailed = false;
    let earlyParts = 0;
    const flush = async () => {
      if (bufferedBytes === 0) return;
      const body = buffered.length === 1 ? buffered[0] : Buffer.concat(buffered, bufferedBytes);
      const key = `${prefix}${String(held).padStart(OFFSET_DIGITS, '0')}`;
      try {
        await this.retrying(() =>
          this.client.send(
            new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.length }),
          ),
        );
      } catch (error) {
        storeFailed = true;
        if (isFull(error)) throw new BlobError('full', 'the bucket has no room for this body', held);
        throw error;
      }
      // Handed on only now that they are stored: a reader or a resume never sees a byte that is not.
      const stored = buffered;
      earlyParts = bufferedBytes < this.partSize ? earlyParts + 1 : 0;
      held += bufferedBytes;
      buffered = [];
      bufferedBytes = 0;
      for (const chunk of stored) onHeld(chunk);
    };
    const keep = async (chunk: Buffer) => {
      for (let rest = chunk; rest.length > 0;) {
        const piece = rest.subarray(0, this.partSize - bufferedBytes);
        rest = rest.subarray(piece.length);
        if (bufferedBytes === 0) bufferedSince = Date.now();
        buffered.push(piece);
        bufferedBytes += piece.length;
        if (bufferedBytes >= this.partSize) await flush();
      }
    };

    const source = chunks[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    let next: Promise<IteratorResult<Buffer>> | null = null;
    try {
      for (;;) {
        next ??= source.next();
        let result: IteratorResult<Buffer> | 'late';
        if (bufferedBytes === 0) result = await next;
        else {
          // A sender that pauses must not keep what it sent out of readers' reach: the part is stored as it is.
          const after = this.flushAfterMs * 2 ** Math.min(earlyParts, MAX_DOUBLINGS);
          const wait = Math.max(0, bufferedSince + after - Date.now());
          const timer = new AbortController();
          result = await Promise.race([
            next,
            sleep(wait, 'late' as const, { signal: timer.signal }).catch(() => 'late' as const),
          ]);
          timer.abort();
        }
        if (result === 'late') {
          await flush();
          continue;
        }
        next = null;
        if (result.done) break;
        await keep(Buffer.isBuffer(result.value) ? result.value : Buffer.from(result.value));
      }
    } catch (error) {
      // The sender went away: what arrived intact is kept. After a refusal (too many bytes) or a store that
      // failed, nothing more is written.
      if (!storeFailed && !(error instanceof BlobError)) await flush().catch(() => undefined);
      void source.return?.().catch(() => undefined);
      throw error;
    }
    await flush();
    return held;
  }

  async *read(
    upload: UploadRef,
    start: number,
    end: number,
    options: ReadOptions = {},
  ): AsyncGenerator<Buffer> {
    let position = start;
    const fromBody = async function* (this: S3BlobStore, manifest: Manifest) {
      const prefix = this.uploadPrefix({ sha256: upload.sha256, uploader: manifest.uploader });
      const parts = manifest.parts.map(([offset, size]) => ({
        key: `${prefix}${String(offset).padStart(OFFSET_DIGITS, '0')}`,
        offset,
        size,
      }));
      for (const part of parts) {
        if (position >= end) return;
        if (part.offset + part.size <= position) continue;
        for await (const piece of this.readPart(part, position, end)) {
          position += piece.length;
          yield piece;
        }
      }
    }.bind(this);

    // The verified body may have come from another account: a reader of an unproven upload gets its own bytes only.
    const manifest = options.uploadOnly ? null : await this.manifest(upload.sha256);
    if (manifest) return yield* fromBody(manifest);
    for (const part of await this.uploadParts(upload)) {
      if (position >= end) return;
      if (part.offset + part.size <= position) continue;
      try {
        for await (const piece of this.readPart(part, position, end)) {
          position += piece.length;
          yield piece;
        }
      } catch (error) {
        if (!isMissing(error)) throw error;
        // The upload was finished (its parts now the body's) or discarded while it was read.
        if (options.uploadOnly) return;
        const finished = await this.manifest(upload.sha256);
        if (finished) return yield* fromBody(finished);
        return;
      }
    }
  }

  /** Bytes `from` to `end` of one part, as they arrive; a read cut off by an outage goes on where it stopped. */
  private async *readPart(part: Part, from: number, end: number): AsyncGenerator<Buffer> {
    let position = from;
    const last = Math.min(end, part.offset + part.size);
    const deadline = () => Date.now() + this.retryForMs;
    let giveUpAt = deadline();
    while (position < last) {
      const range = `bytes=${position - part.offset}-${last - part.offset - 1}`;
      let body: Readable | undefined;
      try {
        const object = await this.retrying(() =>
          this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: part.key, Range: range })),
        );
        body = object.Body as Readable;
        for await (const piece of body) {
          const bytes = piece as Buffer;
          position += bytes.length;
          giveUpAt = deadline();
          yield bytes;
        }
        if (position < last) throw Object.assign(new Error('the part ended early'), { code: 'ECONNRESET' });
      } catch (error) {
        if (!isTransient(error) || Date.now() >= giveUpAt) throw error;
        await sleep(200);
      } finally {
        body?.destroy();
      }
    }
  }

  async finish(upload: UploadRef): Promise<void> {
    if (await this.has(upload.sha256)) return this.discard(upload);
    const parts = await this.uploadParts(upload);
    const manifest: Manifest = {
      size: parts.reduce((sum, part) => sum + part.size, 0),
      uploader: upload.uploader,
      parts: parts.map((part) => [part.offset, part.size]),
    };
    // One small object: the parts become the body where they are, nothing is copied.
    await this.retrying(() =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.manifestKey(upload.sha256),
          Body: JSON.stringify(manifest),
          ContentType: 'application/json',
        }),
      ),
    );
    // Its marker stays with it: a removal cut off after the manifest still leaves the body listed, to be removed.
  }

  private async deleteKeys(keys: string[]): Promise<void> {
    for (let at = 0; at < keys.length; at += DELETE_BATCH) {
      const batch = keys.slice(at, at + DELETE_BATCH);
      await this.retrying(() =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        ),
      );
    }
  }

  private async keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const { key } of this.keys(prefix)) keys.push(key);
    return keys;
  }

  async discard(upload: UploadRef): Promise<void> {
    // The upload that became the body is the body's: it goes with it (remove), not before.
    if ((await this.owner(upload.sha256)) === upload.uploader) return;
    await this.deleteKeys(await this.keysUnder(this.uploadPrefix(upload)));
    await this.deleteKeys([this.openKey(upload)]);
  }

  async remove(sha256: string, keep: ReadonlySet<string> = new Set()): Promise<void> {
    // The manifest first: from then on the body is not held, whatever is left to delete. The parts it named go
    // too, whoever is still writing. The markers last: until they go, the body is listed, to be removed again.
    const owner = await this.owner(sha256);
    await this.deleteKeys([this.manifestKey(sha256)]);
    const uploads = `${this.prefix}uploads/${sha256}/`;
    const goes = (uploader: string) => uploader === owner || !keep.has(uploader);
    const parts = await this.keysUnder(uploads);
    await this.deleteKeys(parts.filter((key) => goes(key.slice(uploads.length).split('/')[0])));
    const open = `${this.prefix}open/${sha256}.`;
    const markers = await this.keysUnder(open);
    await this.deleteKeys(markers.filter((key) => goes(key.slice(open.length))));
  }

  /** Flat listings of the manifests and the upload markers (not of the parts: a body may have thousands). */
  async list(): Promise<string[]> {
    const names = new Set<string>();
    for (const area of ['complete/', 'open/']) {
      const prefix = `${this.prefix}${area}`;
      for await (const { key } of this.keys(prefix)) {
        const name = key.slice(prefix.length, prefix.length + 64);
        if (SHA256.test(name)) names.add(name);
      }
    }
    return [...names];
  }
}
