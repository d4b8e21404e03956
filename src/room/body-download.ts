import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
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

/**
 * The hub sent what no honest hub sends for this offer: more bytes than its `fileSize`, or a range other than the
 * one asked for. Retrying would only get the same again: the transfer fails (the sha256 check catches the rest:
 * other bytes of the right length).
 */
export class UntrustedBodyError extends Error {
  override readonly name = 'UntrustedBodyError';
}

/**
 * Passes at most `room` bytes; one more fails the stream before it reaches the file, so a hub that streams without
 * end gets nothing beyond the offer's size written.
 */
class SizeCap extends Transform {
  constructor(private room: number) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (chunk.length > this.room) {
      done(new UntrustedBodyError("the server sent more bytes than the offer's size"));
      return;
    }
    this.room -= chunk.length;
    done(null, chunk);
  }
}

/** The first byte of a 206's `Content-Range: bytes <first>-<last>/<size>`, or null when it has no such form. */
function rangeStart(header: string | undefined): number | null {
  const match = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(header?.trim() ?? '');
  return match ? Number(match[1]) : null;
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
  let hash = createHash('sha256');
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
    // A 206 for another first byte would be appended at the wrong place (no Content-Range: the size cap and the
    // sha256 check still hold).
    const contentRange = response.headers['content-range'];
    if (
      response.statusCode === 206 &&
      contentRange !== undefined &&
      rangeStart(contentRange) !== spec.offset
    ) {
      response.destroy();
      throw new UntrustedBodyError(
        `the server answered bytes=${spec.offset}- with Content-Range: ${contentRange}`,
      );
    }
    if (response.statusCode === 200 && spec.offset > 0) {
      // The whole body instead of the rest (a proxy that drops Range may do this): start the partial again.
      await truncate(spec.partial, 0);
      hash = createHash('sha256');
      received = 0;
    }
    const cap = new SizeCap(spec.fileSize - received);
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
    if (spec.maxRateBytes) await pipeline(response, cap, new Throttle(spec.maxRateBytes), sink, { signal });
    else await pipeline(response, cap, sink, { signal });
  }
  return { received, sha256: hash.digest('hex') };
}
