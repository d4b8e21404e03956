import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Logger } from 'pino';
import { Status } from '../protocol/common-types.js';
import { Backoff } from '../common/backoff.js';
import type { Clock } from '../common/clock.js';
import { Throttle } from '../common/throttle.js';
import type { BodyReceiver } from './body-receiver.js';
import { UntrustedBodyError } from './body-download.js';
import { isDiskFull } from '../common/disk-full.js';
import type { FileStore } from './file-store.js';
import { BodyTransferError, type HubBodies } from './hub-bodies.js';
import type { HubNotices } from './hub-notices.js';
import type { ProgressReporting } from './progress-reporting.js';
import type { RequestLedger } from './request-ledger.js';
import type { RequestRecord } from './store.js';

export interface BodyMoverDeps {
  requests: RequestLedger;
  progress: ProgressReporting;
  /** The hub's body routes. */
  bodies: HubBodies;
  /** Receives downloads off the main thread. */
  receiver: BodyReceiver;
  files: FileStore;
  notices: HubNotices;
  clock: Clock;
  logger: Logger;
  /** Bodies move only while logged in. */
  loggedIn: () => boolean;
  /** Most bytes per second in each direction of one transfer (unlimited when absent). */
  maxRateBytes?: number;
  /** The hub refused a body it should have let this room have: its account of the offer is wanted (a sync). */
  outOfStep: () => void;
  /** Runs work nobody waits for. */
  background: (work: Promise<unknown>) => void;
}

const REFUSED = 'download refused: the server sent a body that does not match the offer';

/** Counts the bytes that pass, without holding them. */
class Tap extends Transform {
  constructor(private readonly onChunk: (chunk: Buffer) => void) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.onChunk(chunk);
    done(null, chunk);
  }
}

/**
 * Moves the bodies of requests in status 2 between this room and the hub (architecture.md "Moving a file"): one
 * loop per request, which resumes from the byte where the last attempt stopped and retries with backoff for as
 * long as the request stays in status 2 and the room is logged in. A verified download becomes a stored file.
 */
export class BodyMover {
  private readonly running = new Map<string, AbortController>();
  private readonly completing = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly deps: BodyMoverDeps) {}

  startUpload(fileRequestId: string): void {
    this.run(fileRequestId, (request, signal) => this.uploadOnce(request, signal));
  }

  startDownload(fileRequestId: string): void {
    this.run(fileRequestId, (request, signal) => this.downloadOnce(request, signal));
  }

  /** Stops a request's loop and its progress (the request keeps its status). */
  halt(fileRequestId: string): void {
    this.running.get(fileRequestId)?.abort();
    this.running.delete(fileRequestId);
    this.deps.progress.cancel(fileRequestId);
  }

  /** Stops an incoming request's loop and removes what it had received. */
  async discard(fileRequestId: string): Promise<void> {
    this.halt(fileRequestId);
    await rm(this.deps.files.partialPathOf(fileRequestId), { force: true });
  }

  /** Every loop stops (logged out); the next login starts them again. */
  pauseAll(): void {
    for (const id of [...this.running.keys()]) this.halt(id);
  }

  /** No loop starts after this; the store is about to close. */
  stop(): void {
    this.stopped = true;
    this.pauseAll();
  }

  /** Runs a body loop once per request at a time, retrying with backoff while the request stays in status 2. */
  private run(
    fileRequestId: string,
    body: (request: RequestRecord, signal: AbortSignal) => Promise<boolean>,
  ): void {
    if (this.running.has(fileRequestId) || this.stopped) return;
    const controller = new AbortController();
    this.running.set(fileRequestId, controller);
    const backoff = new Backoff(500, 30_000);
    // A cut connection is most often a one-off: the first retry after progress goes at once (as tus clients do),
    // only repeated failures back off.
    let retryAtOnce = true;
    const loop = async () => {
      while (!controller.signal.aborted) {
        const request = this.deps.requests.get(fileRequestId);
        if (!request || request.status !== Status.Transferring || !this.deps.loggedIn()) break;
        try {
          if (await body(request, controller.signal)) break;
          backoff.reset();
          retryAtOnce = true;
        } catch (error) {
          if (controller.signal.aborted) break;
          this.deps.logger.info(
            { fileRequestId, err: (error as Error).message },
            'transfer interrupted; retrying',
          );
          const delay = retryAtOnce ? 0 : backoff.next();
          retryAtOnce = false;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, delay);
            controller.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
      }
      if (this.running.get(fileRequestId) === controller) this.running.delete(fileRequestId);
    };
    this.deps.background(loop());
  }

  /** The file's bytes from `start` on, throttled when the room has a rate limit, counted as they leave. */
  private uploadSource(request: RequestRecord, start: number, onSent: (bytes: number) => void): Readable {
    let sent = start;
    const source = createReadStream(this.deps.files.pathOf(request.fileId!), {
      start,
      highWaterMark: 1 << 20,
    });
    const tap = new Tap((chunk) => {
      sent += chunk.length;
      onSent(sent);
    });
    const rate = this.deps.maxRateBytes;
    if (rate) {
      const throttle = new Throttle(rate);
      source.pipe(throttle).pipe(tap);
      throttle.on('error', (error) => tap.destroy(error));
    } else {
      source.pipe(tap);
    }
    source.on('error', (error) => tap.destroy(error));
    return tap;
  }

  /** One attempt to get the whole body to the hub; true when nothing more is to be done. */
  private async uploadOnce(request: RequestRecord, signal: AbortSignal): Promise<boolean> {
    const { bodies, progress, requests } = this.deps;
    const { held, complete } = await bodies.held(request.sha256, request.hubId, signal);
    const reporter = progress.of(request);
    if (complete || held >= request.fileSize) {
      await this.completeUpload(request);
      return true;
    }
    reporter.update(held);
    const body = this.uploadSource(request, held, (sent) => reporter.update(sent));
    try {
      const after = await bodies.append(request.sha256, request.hubId, held, body, signal);
      if (after >= request.fileSize) {
        await this.completeUpload(request);
        return true;
      }
      return false;
    } catch (error) {
      if (error instanceof BodyTransferError && (error.status === 422 || error.status === 507)) {
        // The hub failed the send for good (its check of the bytes, the account's quota, its full store): the
        // reason it gave is logged and kept with the request. Its send.state push may say the same first.
        this.halt(request.fileRequestId);
        const current = requests.get(request.fileRequestId)!;
        if (current.status === Status.Transferring) {
          this.deps.logger.warn(
            { fileRequestId: request.fileRequestId, status: error.status, reason: error.message },
            `upload refused by the server: ${error.message}`,
          );
          requests.setStatus(current, Status.Failed, 'failed', null, error.message.slice(0, 500));
        }
        return true;
      }
      if (error instanceof BodyTransferError && error.status === 409 && error.offset === undefined) {
        // The hub no longer wants this body (the offer ended): its send.state push says how.
        return true;
      }
      throw error;
    }
  }

  /**
   * The hub holds the whole body: the 100 % progress event, then status 3. Both the end of our own upload and
   * the hub's send.state push lead here; the second caller waits for the first instead of racing it.
   */
  completeUpload(request: RequestRecord): Promise<void> {
    const { progress, requests } = this.deps;
    const id = request.fileRequestId;
    let completing = this.completing.get(id);
    if (!completing) {
      completing = (async () => {
        const current = requests.get(id)!;
        if (current.status !== Status.Transferring) return;
        await progress.finish(current);
        if (this.stopped) return; // the store is closed; the hub's sync says "done" at the next start
        const again = requests.get(id)!;
        if (again.status === Status.Transferring) requests.setStatus(again, Status.Done);
      })().finally(() => this.completing.delete(id));
      this.completing.set(id, completing);
    }
    return completing;
  }

  /**
   * The hub sent a body this offer cannot have (too long, another range, other bytes): retrying would only get the
   * same again, so the partial goes, the request fails here and the hub is told it failed.
   */
  private async failDownload(
    request: RequestRecord,
    partial: string,
    why: string,
    what: string,
  ): Promise<void> {
    await rm(partial, { force: true });
    this.halt(request.fileRequestId);
    this.deps.logger.error(
      { fileRequestId: request.fileRequestId, sha256: request.sha256, fileSize: request.fileSize, err: why },
      what,
    );
    const current = this.deps.requests.get(request.fileRequestId)!;
    if (current.status === Status.Transferring)
      this.deps.requests.setStatus(current, Status.Failed, 'failed');
    await this.deps.notices.offerEnded('offer.failed', request.hubId);
  }

  /** One attempt to receive the rest of the body; verifies and stores it when whole. */
  private async downloadOnce(request: RequestRecord, signal: AbortSignal): Promise<boolean> {
    const { files, progress, requests, notices } = this.deps;
    const partial = files.partialPathOf(request.fileRequestId);
    let offset = await files.sizeOnDisk(partial);
    if (offset > request.fileSize) {
      await rm(partial, { force: true });
      offset = 0;
    }
    const reporter = progress.of(request);
    reporter.update(offset);
    let body;
    try {
      body = await this.deps.receiver.receive(
        {
          request: this.deps.bodies.downloadRequest(request.sha256, request.hubId, offset),
          partial,
          offset,
          fileSize: request.fileSize,
          maxRateBytes: this.deps.maxRateBytes,
        },
        signal,
        (bytes) => reporter.update(bytes),
      );
    } catch (error) {
      if (error instanceof BodyTransferError && (error.status === 409 || error.status === 404)) {
        // The offer is no longer ours to download: the hub's offer.state says why; ask for it.
        this.deps.outOfStep();
        return true;
      }
      if (error instanceof UntrustedBodyError) {
        await this.failDownload(request, partial, error.message, REFUSED);
        return true;
      }
      if (isDiskFull(error)) {
        // Retrying would fill the disk again and hold the request in status 2 for good: it fails on both sides
        // (the hub is told), and its partial goes so the space comes back at once.
        await this.failDownload(
          request,
          partial,
          (error as Error).message,
          'download failed: the disk is full',
        );
        return true;
      }
      throw error;
    }
    if (body.received < request.fileSize) return false;
    reporter.update(body.received);
    const size = (await stat(partial)).size;
    const current = requests.get(request.fileRequestId)!;
    if (current.status !== Status.Transferring) return true;
    if (size !== request.fileSize || body.sha256 !== request.sha256) {
      await this.failDownload(request, partial, "the body's bytes do not match the offer's sha256", REFUSED);
      return true;
    }
    await progress.finish(request, reporter);
    const fileId = files.newFileId();
    const record = {
      fileId,
      fileName: request.fileName,
      fileSize: request.fileSize,
      sha256: request.sha256,
      timestamp: this.deps.clock.now(),
      source: 'received' as const,
    };
    let done;
    try {
      done = await files.keepReceived(partial, record, () =>
        requests.record(current, Status.Done, null, fileId),
      );
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      // The database could not grow (SQLITE_FULL): nothing was recorded; the transfer fails cleanly.
      await this.failDownload(
        request,
        partial,
        (error as Error).message,
        'download failed: the disk is full',
      );
      return true;
    }
    requests.announce(done);
    await notices.offerEnded('offer.done', request.hubId);
    return true;
  }
}
