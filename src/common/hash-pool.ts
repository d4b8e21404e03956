import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/**
 * sha256 of a stream without stalling the event loop: bodies of 16 MiB and more are hashed on a worker thread
 * while the main thread goes on writing them to disk (the machine's second core does the hashing). Smaller
 * ones are hashed inline, where the cost is below a millisecond per chunk. Chunks are copied in batches of
 * 4 MiB and handed over (transferred, not copied again); a hash that falls behind by more than 32 MiB makes its
 * producer wait, so memory stays flat.
 */
export const WORKER_THRESHOLD = 16 * 1024 * 1024;
const BATCH = 4 * 1024 * 1024;
const MAX_IN_FLIGHT = 32 * 1024 * 1024;
const POOL_SIZE = 2;

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.type === 'data') {
    let h = hashes.get(m.id);
    if (!h) hashes.set(m.id, (h = createHash('sha256')));
    h.update(new Uint8Array(m.buffer, 0, m.length));
    parentPort.postMessage({ type: 'ack', id: m.id, length: m.length });
  } else if (m.type === 'end') {
    const h = hashes.get(m.id) || createHash('sha256');
    hashes.delete(m.id);
    parentPort.postMessage({ type: 'digest', id: m.id, hex: h.digest('hex') });
  } else if (m.type === 'drop') {
    hashes.delete(m.id);
  }
});
`;

interface Job {
  inFlight: number;
  waiters: (() => void)[];
  resolveDigest?: (hex: string) => void;
}

class HashWorker {
  readonly worker: Worker;
  readonly jobs = new Map<number, Job>();
  /** Messages posted and not yet answered: while there are any, the worker keeps the process alive. */
  private unanswered = 0;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (message: { type: string; id: number; length?: number; hex?: string }) => {
      this.answered();
      const job = this.jobs.get(message.id);
      if (!job) return;
      if (message.type === 'ack') {
        job.inFlight -= message.length ?? 0;
        if (job.inFlight <= MAX_IN_FLIGHT) for (const wake of job.waiters.splice(0)) wake();
      } else if (message.type === 'digest') {
        this.jobs.delete(message.id);
        job.resolveDigest?.(message.hex ?? '');
      }
    });
    // After the listener (adding one refs the port again): an idle pool never keeps a process alive, and
    // neither does a paused hash (an interrupted upload waiting to be resumed).
    this.worker.unref();
  }

  post(message: object, transfer?: ArrayBuffer[]): void {
    if (this.unanswered === 0) this.worker.ref();
    this.unanswered += 1;
    this.worker.postMessage(message, transfer);
  }

  private answered(): void {
    this.unanswered -= 1;
    if (this.unanswered === 0) this.worker.unref();
  }
}

let pool: HashWorker[] | null = null;
let nextJob = 1;
let nextWorker = 0;

function pickWorker(): HashWorker {
  pool ??= Array.from({ length: POOL_SIZE }, () => new HashWorker());
  const worker = pool[nextWorker % pool.length];
  nextWorker += 1;
  return worker;
}

/** The interface both kinds of hashing share. */
export interface StreamHash {
  /** Adds bytes; resolves at once unless the hash is far behind (back-pressure). */
  update(chunk: Buffer): Promise<void> | void;
  digest(): Promise<string>;
  /** Forgets the hash (the stream failed). */
  dispose(): void;
}

class InlineHash implements StreamHash {
  private readonly hash: Hash = createHash('sha256');
  update(chunk: Buffer): void {
    this.hash.update(chunk);
  }
  async digest(): Promise<string> {
    return this.hash.digest('hex');
  }
  dispose(): void {}
}

class WorkerHash implements StreamHash {
  private readonly id = nextJob++;
  private readonly owner = pickWorker();
  private readonly job: Job = { inFlight: 0, waiters: [] };
  private batch = Buffer.allocUnsafeSlow(BATCH);
  private filled = 0;

  constructor() {
    this.owner.jobs.set(this.id, this.job);
  }

  update(chunk: Buffer): Promise<void> | void {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(BATCH - this.filled, chunk.length - offset);
      chunk.copy(this.batch, this.filled, offset, offset + take);
      this.filled += take;
      offset += take;
      if (this.filled === BATCH) this.flush();
    }
    if (this.job.inFlight > MAX_IN_FLIGHT) {
      return new Promise((resolve) => this.job.waiters.push(resolve));
    }
  }

  private flush(): void {
    if (this.filled === 0) return;
    const buffer = this.batch.buffer;
    const length = this.filled;
    this.job.inFlight += length;
    this.owner.post({ type: 'data', id: this.id, buffer, length }, [buffer as ArrayBuffer]);
    this.batch = Buffer.allocUnsafeSlow(BATCH);
    this.filled = 0;
  }

  digest(): Promise<string> {
    this.flush();
    return new Promise((resolve) => {
      this.job.resolveDigest = resolve;
      this.owner.post({ type: 'end', id: this.id });
    });
  }

  dispose(): void {
    this.owner.jobs.delete(this.id);
    // Not counted: 'drop' has no answer.
    this.owner.worker.postMessage({ type: 'drop', id: this.id });
  }
}

/** A sha256 for a stream of `expectedSize` bytes (unknown: inline). */
export function streamHash(expectedSize?: number): StreamHash {
  return expectedSize !== undefined && expectedSize >= WORKER_THRESHOLD ? new WorkerHash() : new InlineHash();
}
