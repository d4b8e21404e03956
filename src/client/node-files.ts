import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { request, type IncomingMessage } from 'node:http';
import { basename } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RoomApiError } from './errors.js';

export interface TransferProgress {
  /** Bytes moved so far (including those of an earlier attempt, on resume). */
  bytes: number;
  /** Total bytes, when known. */
  total: number | null;
}

class Counter extends Transform {
  constructor(private readonly onBytes: (chunk: Buffer) => void) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.onBytes(chunk);
    done(null, chunk);
  }
}

async function errorFrom(response: IncomingMessage, what: string): Promise<RoomApiError> {
  let text = '';
  for await (const chunk of response) text += chunk;
  let message = text;
  try {
    message = (JSON.parse(text) as { error?: string }).error ?? text;
  } catch {
    // not JSON
  }
  return new RoomApiError(what, message || `HTTP ${response.statusCode}`, response.statusCode ?? 0);
}

/** A multipart/form-data body around one streamed file part, with its exact length (no chunked encoding). */
function multipart(name: string, size: number) {
  const boundary = `----roomfiles${randomBytes(12).toString('hex')}`;
  // As browsers do: the UTF-8 name in quotes, with quotes and line breaks percent-encoded.
  const quoted = name.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quoted}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { boundary, head, tail, length: head.length + size + tail.length };
}

export interface UploadTarget {
  httpBase: string;
  token: () => Promise<string>;
}

/**
 * Streams a file (a path, or a stream with its size) to the room's built-in HTTP server as multipart/form-data,
 * the way TrueConf clients do; resolves to the new fileId.
 */
export async function uploadToRoom(
  target: UploadTarget,
  source: string | { stream: Readable; size: number },
  options: { name?: string; onProgress?: (progress: TransferProgress) => void } = {},
): Promise<{ fileId: number; fileName: string; fileSize: number }> {
  const size = typeof source === 'string' ? (await stat(source)).size : source.size;
  const name = options.name ?? (typeof source === 'string' ? basename(source) : 'file');
  const body = typeof source === 'string' ? createReadStream(source, { highWaterMark: 1 << 20 }) : source.stream;
  const form = multipart(name, size);
  const token = await target.token();
  const url = new URL(`${target.httpBase}/files/`);
  url.searchParams.set('token', token);
  let sent = 0;
  const counter = new Counter((chunk) => {
    sent += chunk.length;
    options.onProgress?.({ bytes: sent, total: size });
  });
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${form.boundary}`, 'content-length': form.length },
      },
      async (response) => {
        if (response.statusCode !== 200) return reject(await errorFrom(response, 'upload'));
        let text = '';
        for await (const chunk of response) text += chunk;
        resolve(JSON.parse(text) as { fileId: number; fileName: string; fileSize: number });
      },
    );
    req.on('error', reject);
    async function* framed() {
      yield form.head;
      for await (const chunk of body.pipe(counter)) yield chunk as Buffer;
      yield form.tail;
    }
    pipeline(Readable.from(framed()), req).catch(reject);
  });
}

/**
 * Downloads a file from the room's built-in HTTP server to a path, streamed. The body goes to `<path>.part` and
 * is renamed when whole and matching its ETag (the sha256); with `resume`, an existing `.part` is continued with
 * a Range request (If-Range guards against a different file under the same id).
 */
export async function downloadFromRoom(
  target: UploadTarget,
  fileId: number,
  to: string,
  options: { resume?: boolean; onProgress?: (progress: TransferProgress) => void } = {},
): Promise<{ path: string; size: number; sha256: string }> {
  const part = `${to}.part`;
  let offset = 0;
  const hash = createHash('sha256');
  if (options.resume) {
    offset = await stat(part).then((s) => s.size, () => 0);
    if (offset > 0) for await (const chunk of createReadStream(part)) hash.update(chunk as Buffer);
  } else {
    await rm(part, { force: true });
  }
  const token = await target.token();
  const url = new URL(`${target.httpBase}/files/${fileId}`);
  url.searchParams.set('token', token);
  const etagOfPart = options.resume && offset > 0 ? await readEtagHint(part) : null;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (offset > 0) {
      headers.range = `bytes=${offset}-`;
      if (etagOfPart) headers['if-range'] = etagOfPart;
    }
    const req = request(url, { headers }, resolve);
    req.on('error', reject);
    req.end();
  });
  if (response.statusCode === 416 && offset > 0) {
    response.resume();
  } else if (response.statusCode === 200 || response.statusCode === 206) {
    if (response.statusCode === 200 && offset > 0) {
      // The server sent the whole file (it changed, or it ignores ranges): start over.
      offset = 0;
      hash.destroy();
      return downloadFromRoom(target, fileId, to, { ...options, resume: false });
    }
    const etag = String(response.headers.etag ?? '');
    await writeEtagHint(part, etag);
    const total = offset + Number(response.headers['content-length'] ?? 0);
    let received = offset;
    const counter = new Counter((chunk) => {
      hash.update(chunk);
      received += chunk.length;
      options.onProgress?.({ bytes: received, total });
    });
    await pipeline(response, counter, createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' }));
  } else {
    throw await errorFrom(response, 'download');
  }
  const digest = hash.digest('hex');
  const expected = (await readEtagHint(part))?.replace(/"/g, '');
  if (expected && /^[0-9a-f]{64}$/.test(expected) && expected !== digest) {
    await rm(part, { force: true });
    throw new RoomApiError('download', `the downloaded file's sha256 ${digest} is not the ${expected} expected`, 0);
  }
  const size = (await stat(part)).size;
  await rename(part, to);
  await rm(`${part}.etag`, { force: true });
  return { path: to, size, sha256: digest };
}

async function readEtagHint(part: string): Promise<string | null> {
  try {
    return (await readFile(`${part}.etag`, 'utf8')).trim() || null;
  } catch {
    return null;
  }
}

async function writeEtagHint(part: string, etag: string): Promise<void> {
  await writeFile(`${part}.etag`, etag);
}
