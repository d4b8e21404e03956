import type { ScryptOptions } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { ScryptAnswer, ScryptJob } from './scrypt-thread-worker.js';

/**
 * The hub's password derivations (scrypt, 16 MiB of working memory each), one at a time on a thread of their
 * own, instead of on libuv's pool. Run on the pool, each of its threads that ever ran one keeps those 16 MiB:
 * glibc raises its mmap threshold past the size of the first block it gives back, so later blocks of that size
 * come from the thread's own arena and stay resident (4 threads: 64 MiB of RSS after a login flood, for good).
 * On one thread the memory kept is one derivation's, whatever the pool's size (docs/security.md, "Memory").
 */
class ScryptThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (key: Buffer) => void; reject: (e: Error) => void }
  >();

  derive(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
    const worker = this.started();
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const job: ScryptJob = { id, password, salt, keyLength, options };
      worker.postMessage(job);
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./scrypt-thread-worker.js', import.meta.url), {
      // It holds a few small messages: its own heap stays small whatever flags the process runs with.
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 },
    });
    // The hub's servers keep the process alive, not this thread.
    worker.unref();
    worker.on('message', (answer: ScryptAnswer) => {
      const job = this.pending.get(answer.id);
      if (!job) return;
      this.pending.delete(answer.id);
      if ('key' in answer)
        job.resolve(Buffer.from(answer.key.buffer, answer.key.byteOffset, answer.key.length));
      else job.reject(new Error(answer.error));
    });
    let lost = false;
    const onLost = (error: Error) => {
      if (lost) return;
      lost = true;
      // The next derivation starts a new thread; the ones under way fail (a login failed, not a hub down).
      if (this.worker === worker) this.worker = null;
      for (const job of this.pending.values()) job.reject(error);
      this.pending.clear();
    };
    worker.on('error', onLost);
    worker.on('exit', (code) => onLost(new Error(`the scrypt thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }
}

/** The process's one scrypt thread, started at the first derivation. */
export const scryptThread = new ScryptThread();
