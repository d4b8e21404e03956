import { parentPort } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { FileSink } from '../common/file-sink.js';
import { Throttle } from '../common/throttle.js';
import { BodyTransferError, requestBody } from './hub-bodies.js';
import type { ReceiveJob, WorkerReport } from './body-receiver.js';

/**
 * The room's receive worker: a thread that downloads bodies from the hub. A body's bytes are read from the
 * socket, written to the partial file and hashed here, so the room's main thread, which answers the Room API, only
 * sees a progress count now and then (bench row 7: API latency while a large body arrives).
 */
const port = parentPort!;
/** The least time between two progress reports of one job; the room's events are ten a second at most. */
const PROGRESS_MS = 50;
const jobs = new Map<number, AbortController>();

port.on('message', (message: ReceiveJob | { type: 'abort'; id: number }) => {
  if (message.type === 'abort') {
    jobs.get(message.id)?.abort();
    return;
  }
  const controller = new AbortController();
  jobs.set(message.id, controller);
  receive(message, controller.signal).then(
    (result) => report({ type: 'done', id: message.id, ...result }),
    (error: Error) =>
      report({
        type: 'failed',
        id: message.id,
        message: error.message,
        status: error instanceof BodyTransferError ? error.status : undefined,
      }),
  );
});

function report(message: WorkerReport): void {
  if (message.type !== 'progress') jobs.delete(message.id);
  port.postMessage(message);
}

async function receive(job: ReceiveJob, signal: AbortSignal): Promise<{ received: number; sha256: string }> {
  const hash = createHash('sha256');
  // What is already here is hashed once from disk; the rest is hashed as it arrives.
  if (job.offset > 0) {
    for await (const chunk of createReadStream(job.partial, {
      start: 0,
      end: job.offset - 1,
      highWaterMark: 1 << 20,
      signal,
    })) {
      hash.update(chunk as Buffer);
    }
  }
  let received = job.offset;
  if (job.offset < job.fileSize) {
    const response = await requestBody(job.request, signal);
    let reportedAt = 0;
    const sink = new FileSink(job.partial, {
      flags: 'a',
      onWritten: (chunk) => {
        received += chunk.length;
        hash.update(chunk);
        const now = performance.now();
        if (now - reportedAt >= PROGRESS_MS) {
          reportedAt = now;
          report({ type: 'progress', id: job.id, received });
        }
      },
    });
    if (job.maxRateBytes) await pipeline(response, new Throttle(job.maxRateBytes), sink, { signal });
    else await pipeline(response, sink, { signal });
  }
  return { received, sha256: hash.digest('hex') };
}
