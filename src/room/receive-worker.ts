import { parentPort } from 'node:worker_threads';
import { downloadBody, UntrustedBodyError } from './body-download.js';
import { BodyTransferError } from './hub-bodies.js';
import type { ReceiveJob, WorkerReport } from './body-receiver.js';

/**
 * The room's receive worker: a thread that downloads bodies from the hub (`downloadBody`). A body's bytes are read
 * from the socket, written to the partial file and hashed here, so the room's main thread, which answers the Room
 * API, only sees a progress count now and then (bench row 7: API latency while a large body arrives).
 */
const port = parentPort!;
const jobs = new Map<number, AbortController>();

function report(message: WorkerReport): void {
  if (message.type !== 'progress') jobs.delete(message.id);
  port.postMessage(message);
}

port.on('message', (message: ReceiveJob | { type: 'abort'; id: number }) => {
  if (message.type === 'abort') {
    jobs.get(message.id)?.abort();
    return;
  }
  const { id, ...spec } = message;
  const controller = new AbortController();
  jobs.set(id, controller);
  downloadBody(spec, controller.signal, (received) => report({ type: 'progress', id, received })).then(
    (result) => report({ type: 'done', id, ...result }),
    (error: Error) =>
      report({
        type: 'failed',
        id,
        message: error.message,
        status: error instanceof BodyTransferError ? error.status : undefined,
        untrusted: error instanceof UntrustedBodyError || undefined,
        code: (error as NodeJS.ErrnoException).code,
      }),
  );
});
