import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { FileSink } from '../common/file-sink.js';
import { Throttle } from '../common/throttle.js';
import { requestBody, type BodyRequest } from './hub-bodies.js';

/** One body to receive into a partial file that already holds `offset` bytes. */
export interface DownloadSpec {
  request: BodyRequest;
  partial: string;
  offset: number;
  fileSize: number;
  maxRateBytes?: number;
}

/** The least time between two progress reports of one download; the room's events are ten a second at most. */
const PROGRESS_MS = 50;

/**
 * Receives the rest of a body from the hub into its partial file: what is already there is hashed once from
 * disk, the rest as it arrives. Resolves to the bytes the partial holds and their sha256. Runs in the receive
 * worker (`receive-worker.ts`), or on the main thread when no worker can be had (`body-receiver.ts`).
 */
export async function downloadBody(
  spec: DownloadSpec,
  signal: AbortSignal,
  onProgress: (received: number) => void,
): Promise<{ received: number; sha256: string }> {
  const hash = createHash('sha256');
  if (spec.offset > 0) {
    const held = createReadStream(spec.partial, {
      start: 0,
      end: spec.offset - 1,
      highWaterMark: 1 << 20,
      signal,
    });
    for await (const chunk of held) hash.update(chunk as Buffer);
  }
  let received = spec.offset;
  if (spec.offset < spec.fileSize) {
    const response = await requestBody(spec.request, signal);
    let reportedAt = 0;
    const sink = new FileSink(spec.partial, {
      flags: 'a',
      onWritten: (chunk) => {
        received += chunk.length;
        hash.update(chunk);
        const now = performance.now();
        if (now - reportedAt >= PROGRESS_MS) {
          reportedAt = now;
          onProgress(received);
        }
      },
    });
    if (spec.maxRateBytes) await pipeline(response, new Throttle(spec.maxRateBytes), sink, { signal });
    else await pipeline(response, sink, { signal });
  }
  return { received, sha256: hash.digest('hex') };
}
