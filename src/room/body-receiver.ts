import { Worker } from 'node:worker_threads';
import { BodyTransferError, type BodyRequest } from './hub-bodies.js';

/** One body to receive into a partial file that already holds `offset` bytes (sent to the receive worker). */
export interface ReceiveJob {
  type: 'receive';
  id: number;
  request: BodyRequest;
  partial: string;
  offset: number;
  fileSize: number;
  maxRateBytes?: number;
}

/** What the receive worker says of a job: how far it got, its end (bytes in the partial and their sha256), or why it stopped. */
export type WorkerReport =
  | { type: 'progress'; id: number; received: number }
  | { type: 'done'; id: number; received: number; sha256: string }
  | { type: 'failed'; id: number; message: string; status?: number };

interface Pending {
  worker: Worker;
  onProgress: (received: number) => void;
  resolve: (result: { received: number; sha256: string }) => void;
  reject: (error: Error) => void;
}

/**
 * The main thread's side of the receive worker (`receive-worker.ts`): one worker thread per room, started with the
 * first download, receiving any number of bodies at once. A job settles only once the worker has let go of its
 * partial file, so a retry never writes to a file the last attempt still holds. If the thread dies, its jobs fail
 * (the transfer loop retries them with a new one).
 */
export class BodyReceiver {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  /** Every job not yet settled, for stop() to wait on. */
  private readonly running = new Set<Promise<unknown>>();
  private nextId = 1;

  receive(
    spec: Omit<ReceiveJob, 'type' | 'id'>,
    signal: AbortSignal,
    onProgress: (received: number) => void,
  ): Promise<{ received: number; sha256: string }> {
    if (signal.aborted) return Promise.reject(new Error('aborted'));
    const worker = this.started();
    const id = this.nextId++;
    const job = new Promise<{ received: number; sha256: string }>((resolve, reject) => {
      const abort = () => worker.postMessage({ type: 'abort', id });
      signal.addEventListener('abort', abort, { once: true });
      const settle = () => signal.removeEventListener('abort', abort);
      this.pending.set(id, {
        worker,
        onProgress,
        resolve: (result) => {
          settle();
          resolve(result);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      worker.postMessage({ type: 'receive', id, ...spec } satisfies ReceiveJob);
    });
    const settled: Promise<unknown> = job.then(
      () => this.running.delete(settled),
      () => this.running.delete(settled),
    );
    this.running.add(settled);
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
    const jobs = [...this.running];
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
    const worker = new Worker(new URL('./receive-worker.js', import.meta.url));
    // The room's servers keep the process alive, not this thread.
    worker.unref();
    worker.on('message', (report: WorkerReport) => {
      const job = this.pending.get(report.id);
      if (!job) return;
      if (report.type === 'progress') return job.onProgress(report.received);
      this.pending.delete(report.id);
      if (report.type === 'done') job.resolve({ received: report.received, sha256: report.sha256 });
      else
        job.reject(
          report.status === undefined
            ? new Error(report.message)
            : new BodyTransferError(report.status, report.message),
        );
    });
    const lost = (error: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const [id, job] of this.pending) {
        if (job.worker !== worker) continue;
        this.pending.delete(id);
        job.reject(error);
      }
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the receive worker stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }
}
