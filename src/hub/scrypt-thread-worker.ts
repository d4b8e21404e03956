import { scryptSync, type ScryptOptions } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/** One derivation asked of the scrypt thread (src/hub/scrypt-thread.ts). */
export interface ScryptJob {
  id: number;
  password: string;
  salt: Uint8Array;
  keyLength: number;
  options: ScryptOptions;
}

export type ScryptAnswer = { id: number; key: Uint8Array } | { id: number; error: string };

// Synchronous on purpose: the 16 MiB each derivation needs is taken and given back by this one thread only.
parentPort?.on('message', (job: ScryptJob) => {
  let answer: ScryptAnswer;
  try {
    answer = { id: job.id, key: scryptSync(job.password, job.salt, job.keyLength, job.options) };
  } catch (error) {
    answer = { id: job.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(answer);
});
