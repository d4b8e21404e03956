import { Worker } from 'node:worker_threads';
import { downloadBody, UntrustedBodyError, type DownloadSpec } from './body-download.js';
import { BodyTransferError } from './hub-bodies.js';

/** A download sent to the receive worker. */
export interface ReceiveJob extends DownloadSpec {
  type: 'receive';
  id: number;
}

/** What the receive worker says of a job: how far it got, its end (bytes in the partial and their sha256), or why it stopped. */
export type WorkerReport =
  | { type: 'progress'; id: number; received: number }
  | { type: 'done'; id: number; received: number; sha256: string }
  | { type: 'failed'; id: number; message: string; status?: number; untrusted?: boolean; code?: string };

type Result = { received: number; sha256: string };

interface Pending {
  worker: Worker;
  onProgress: (received: number) => void;
  resolve: (result: Result) => void;
  reject: (error: Error) => void;
  /** Settles with the job, either way (for stop()). */
  settled: Promise<unknown>;
}

/** Workers lost one after another, with no job done between them, before downloads move to the main thread. */
const LOSSES_BEFORE_FALLBACK = 3;

/**
 * The main thread's side of the receive worker (`receive-worker.ts`): one worker thread per room, started with the
 * first download, receiving any number of bodies at once. A job the worker ends (done, failed, aborted) settles
 * only once the worker has let go of its partial file, so a retry never appends to a file still being written.
 * If the thread dies, its jobs fail and the transfer loop retries them on a new one; a worker that cannot be had
 * at all (it dies again and again) is not waited for: downloads then run on the main thread, slower for the API,
 * but never stuck.
 */
export class BodyReceiver {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private losses = 0;

  constructor(
    private readonly options: {
      /** Told once, when downloads move to the main thread, with the worker's last error. */
      onFallback?: (error: Error) => void;
      /** The worker's script (tests give one that cannot run). */
      script?: URL;
    } = {},
  ) {}

  receive(spec: DownloadSpec, signal: AbortSignal, onProgress: (received: number) => void): Promise<Result> {
    if (signal.aborted) return Promise.reject(new Error('aborted'));
    if (this.losses >= LOSSES_BEFORE_FALLBACK) return downloadBody(spec, signal, onProgress);
    const worker = this.started();
    const id = this.nextId++;
    let settle!: (outcome: unknown) => void;
    const settled = new Promise((resolve) => (settle = resolve));
    const job = new Promise<Result>((resolve, reject) => {
      const abort = () => worker.postMessage({ type: 'abort', id });
      signal.addEventListener('abort', abort, { once: true });
      const end = () => {
        signal.removeEventListener('abort', abort);
        this.pending.delete(id);
        settle(undefined);
      };
      this.pending.set(id, {
        worker,
        onProgress,
        settled,
        resolve: (result) => {
          end();
          resolve(result);
        },
        reject: (error) => {
          end();
          reject(error);
        },
      });
      worker.postMessage({ type: 'receive', id, ...spec } satisfies ReceiveJob);
    });
    return job;
  }

  /**
   * Ends the worker thread once its jobs have settled (the caller aborts them first), or after `graceMs` at the
   * latest; a job still running then fails, and its partial file stays for the next attempt.
   */
  async stop(graceMs = 2000): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    const jobs = [...this.pending.values()].filter((job) => job.worker === worker).map((job) => job.settled);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(jobs),
      new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
    await worker.terminate();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.options.script ?? new URL('./receive-worker.js', import.meta.url));
    // The room's servers keep the process alive, not this thread.
    worker.unref();
    worker.on('message', (report: WorkerReport) => {
      const job = this.pending.get(report.id);
      if (!job) return;
      if (report.type === 'progress') return job.onProgress(report.received);
      if (report.type === 'done') {
        this.losses = 0;
        job.resolve({ received: report.received, sha256: report.sha256 });
      } else {
        job.reject(
          report.untrusted
            ? new UntrustedBodyError(report.message)
            : report.status === undefined
              ? Object.assign(new Error(report.message), report.code ? { code: report.code } : {})
              : new BodyTransferError(report.status, report.message),
        );
      }
    });
    let lost = false;
    const onLost = (error: Error) => {
      if (lost) return;
      lost = true;
      if (this.worker === worker) {
        this.worker = null;
        this.losses += 1;
        if (this.losses === LOSSES_BEFORE_FALLBACK) this.options.onFallback?.(error);
      }
      for (const job of [...this.pending.values()]) if (job.worker === worker) job.reject(error);
    };
    worker.on('error', onLost);
    worker.on('exit', (code) => onLost(new Error(`the receive worker stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }
}
