import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { request, type IncomingMessage } from 'node:http';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { RoomApiError } from './errors.js';
import { readErrorBody } from '../protocol/error-body.js';

export interface TransferProgress {
  /** Bytes moved so far (including those of an earlier attempt, on resume). */
  bytes: number;
  /** Total bytes, when known. */
  total: number | null;
}

async function errorFrom(response: IncomingMessage, what: string): Promise<RoomApiError> {
  const status = response.statusCode ?? 0;
  return new RoomApiError(what, await readErrorBody(response, status), status);
}

/** A multipart/form-data body around one streamed file part, with its exact length (no chunked encoding). */
function multipart(name: string, size: number) {
  const boundary = `----roomfiles${randomBytes(12).toString('hex')}`;
  // The UTF-8 name as a quoted-string with `\` and `"` escaped by a backslash, which the room's multipart parser
  // reads back exactly. (Browsers percent-encode `"` as %22, which the room keeps as the three characters.)
  // Line breaks cannot be in a header; the room strips control characters from names anyway.
  const quoted = name.replace(/[\r\n]/g, '').replace(/[\\"]/g, (c) => `\\${c}`);
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quoted}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { boundary, head, tail, length: head.length + size + tail.length };
}

export interface UploadTarget {
  httpBase: string;
  /** A valid token for the HTTP server; `force` asks the room for a new one (the last one was refused). */
  token: (force?: boolean) => Promise<string>;
}

type UploadSource = string | { stream: Readable; size: number };
type UploadResult = { fileId: number; fileName: string; fileSize: number };

/**
 * Streams a file (a path, or a stream with its size) to the room's built-in HTTP server as multipart/form-data,
 * the way TrueConf clients do; resolves to the new fileId. A token the room refuses (it restarted, or its
 * tokens were cleared) is renewed and, for a path, the upload is made again once.
 */
export async function uploadToRoom(
  target: UploadTarget,
  source: UploadSource,
  options: { name?: string; onProgress?: (progress: TransferProgress) => void } = {},
): Promise<UploadResult> {
  try {
    return await uploadOnce(target, source, options, false);
  } catch (error) {
    if (!(error instanceof RoomApiError && error.errorCode === 401 && typeof source === 'string'))
      throw error;
    return uploadOnce(target, source, options, true);
  }
}

async function uploadOnce(
  target: UploadTarget,
  source: UploadSource,
  options: { name?: string; onProgress?: (progress: TransferProgress) => void },
  forceToken: boolean,
): Promise<UploadResult> {
  const size = typeof source === 'string' ? (await stat(source)).size : source.size;
  const name = options.name ?? (typeof source === 'string' ? basename(source) : 'file');
  const form = multipart(name, size);
  const token = await target.token(forceToken);
  const body =
    typeof source === 'string' ? createReadStream(source, { highWaterMark: 1 << 20 }) : source.stream;
  const url = new URL(`${target.httpBase}/files/`);
  url.searchParams.set('token', token);
  let sent = 0;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': `multipart/form-data; boundary=${form.boundary}`,
          'content-length': form.length,
        },
      },
      (response) => {
        const done =
          response.statusCode === 200
            ? readText(response).then((text) => JSON.parse(text) as UploadResult)
            : errorFrom(response, 'upload').then((error) => Promise.reject(error));
        done.then(resolve, reject);
      },
    );
    req.on('error', reject);
    // The source is read here (not piped), so that an error of the source fails the upload instead of
    // leaving the request waiting for bytes that never come.
    async function* framed() {
      yield form.head;
      for await (const chunk of body) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
        sent += buffer.length;
        options.onProgress?.({ bytes: sent, total: size });
        yield buffer;
      }
      if (sent !== size)
        throw new RoomApiError('upload', `the source gave ${sent} bytes, not the ${size} announced`, 0);
      yield form.tail;
    }
    pipeline(Readable.from(framed()), req).catch((error: Error) => {
      req.destroy();
      if (typeof source !== 'string') source.stream.destroy();
      reject(error);
    });
  });
}

async function readText(response: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of response) text += chunk;
  return text;
}

function get(url: URL, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, { headers }, resolve);
    req.on('error', reject);
    req.end();
  });
}

/**
 * Downloads a file from the room's built-in HTTP server to a path, streamed. The body goes to `<path>.part` and
 * is renamed when whole and matching its ETag (the sha256); with `resume`, an existing `.part` is continued with
 * a Range request. If-Range carries the ETag the `.part` was started with, so a different file under the same id
 * (or a `.part` of another file) gets the whole body and the download starts over; a resumed download whose
 * result does not match its sha256 is made once more from the start.
 */
export async function downloadFromRoom(
  target: UploadTarget,
  fileId: number,
  to: string,
  options: { resume?: boolean; onProgress?: (progress: TransferProgress) => void } = {},
): Promise<{ path: string; size: number; sha256: string; resumedFrom: number }> {
  const part = `${to}.part`;
  const resumed = options.resume
    ? await stat(part).then(
        (s) => s.size,
        () => 0,
      )
    : 0;
  if (resumed === 0) await rm(part, { force: true });
  const result = await downloadOnce(target, fileId, part, resumed, options);
  if (result === 'restart') return downloadFromRoom(target, fileId, to, { ...options, resume: false });
  await rename(part, to);
  await rm(`${part}.etag`, { force: true });
  return { path: to, ...result };
}

async function downloadOnce(
  target: UploadTarget,
  fileId: number,
  part: string,
  startAt: number,
  options: { onProgress?: (progress: TransferProgress) => void },
): Promise<{ size: number; sha256: string; resumedFrom: number } | 'restart'> {
  let offset = startAt;
  const etagOfPart = offset > 0 ? await readEtagHint(part) : null;
  const headers: Record<string, string> = {};
  if (offset > 0) {
    headers.range = `bytes=${offset}-`;
    if (etagOfPart) headers['if-range'] = etagOfPart;
  }
  const url = new URL(`${target.httpBase}/files/${fileId}`);
  url.searchParams.set('token', await target.token());
  let response = await get(url, headers);
  if (response.statusCode === 401) {
    // The token was refused (the room restarted, or its tokens were cleared): once more with a new one.
    response.resume();
    url.searchParams.set('token', await target.token(true));
    response = await get(url, headers);
  }
  if (response.statusCode === 416 && offset > 0) {
    // The .part is as long as the file or longer: it cannot be told from a stale one here, so start over.
    response.resume();
    return 'restart';
  }
  if (response.statusCode !== 200 && response.statusCode !== 206) throw await errorFrom(response, 'download');
  // 200 to a Range request: the file is not the one the .part was started with (or ranges are ignored);
  // this response is the whole body, so it replaces the .part.
  if (response.statusCode === 200) offset = 0;
  const hash = createHash('sha256');
  if (offset > 0) for await (const chunk of createReadStream(part)) hash.update(chunk as Buffer);
  const etag = String(response.headers.etag ?? '');
  await writeEtagHint(part, etag);
  const total = offset + Number(response.headers['content-length'] ?? 0);
  let received = offset;
  await writeBody(response, part, offset > 0, (chunk) => {
    hash.update(chunk);
    received += chunk.length;
    options.onProgress?.({ bytes: received, total });
  });
  const digest = hash.digest('hex');
  const expected = etag.replace(/^W\//, '').replace(/"/g, '');
  if (/^[0-9a-f]{64}$/.test(expected) && expected !== digest) {
    if (offset > 0) return 'restart';
    await rm(part, { force: true });
    await rm(`${part}.etag`, { force: true });
    throw new RoomApiError(
      'download',
      `the downloaded file's sha256 ${digest} is not the ${expected} expected`,
      0,
    );
  }
  // How many bytes were already here: 0 when the download started over.
  return { size: (await stat(part)).size, sha256: digest, resumedFrom: offset };
}

/**
 * Writes a response body to the .part file. When the body is cut off, every byte received so far is still
 * written and the file closed before this rejects: the .part is then exactly what a resume continues from (a
 * destroyed write stream would drop buffered bytes, or go on writing after the rejection).
 */
async function writeBody(
  response: IncomingMessage,
  part: string,
  append: boolean,
  onChunk: (chunk: Buffer) => void,
): Promise<void> {
  const file = createWriteStream(part, { flags: append ? 'a' : 'w' });
  // Set by listeners: the casts keep TypeScript from narrowing them to null for good.
  let fileError = null as Error | null;
  file.on('error', (error) => (fileError ??= error));
  let bodyError = null as Error | null;
  try {
    for await (const chunk of response) {
      if (fileError) break;
      onChunk(chunk as Buffer);
      if (!file.write(chunk)) await once(file, 'drain');
    }
  } catch (error) {
    bodyError = error as Error;
  }
  if (fileError) response.destroy();
  if (!fileError) file.end();
  await finished(file).catch((error: Error) => (fileError ??= error));
  if (fileError) throw fileError;
  if (bodyError) throw bodyError;
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
