import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import WebSocket from 'ws';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import type { Room } from '../../src/room/room.js';
import { waitFor } from './wait.js';

/** Helpers for tests of a room's built-in HTTP server (room-api.md §7). */

export interface UploadReply {
  fileId: number;
  fileName: string;
  fileSize: number;
}

export function httpUrl(
  room: Room,
  path: string,
  token?: string,
  query: Record<string, string> = {},
): string {
  const url = new URL(`http://127.0.0.1:${room.httpPort}${path}`);
  if (token !== undefined) url.searchParams.set('token', token);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.toString();
}

/** Multipart upload through fetch; the part is named `file`. */
export async function uploadMultipart(
  room: Room,
  token: string,
  fileName: string,
  body: Buffer | string,
  path = '/files/',
): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([body]), fileName);
  return fetch(httpUrl(room, path, token), { method: 'POST', body: form });
}

/** Uploads and asserts success; returns the parsed reply. */
export async function uploadOk(room: Room, token: string, fileName: string, body: Buffer | string) {
  const response = await uploadMultipart(room, token, fileName, body);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`upload failed: ${response.status} ${text}`);
  return { reply: JSON.parse(text) as UploadReply, headers: response.headers };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request over node:http (HEAD, raw Range, headers fetch would add or refuse), on a fresh connection. */
export function rawRequest(
  room: Room,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer | string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: room.httpPort, method, path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Sends a body that the server may refuse before it is all sent: resolves with the response as soon as it
 * arrives, whatever happens to the rest of the body (EPIPE / reset after the refusal is expected).
 * `chunked` leaves out Content-Length.
 */
export function sendRefusable(
  room: Room,
  path: string,
  headers: Record<string, string>,
  chunks: Iterable<Buffer>,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const req = httpRequest(
      { host: '127.0.0.1', port: room.httpPort, method: 'POST', path, headers, agent: false },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => parts.push(chunk));
        const finish = () => {
          if (settled) return;
          settled = true;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) });
        };
        res.on('end', finish);
        res.on('error', finish);
        res.on('aborted', finish);
      },
    );
    req.on('error', (error) => {
      // A write after the server answered and closed: the response (already on its way) decides.
      if (!settled && !req.writableEnded) return;
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
    void (async () => {
      for (const chunk of chunks) {
        if (req.destroyed || settled) return;
        if (!req.write(chunk)) await drainOrClose(req);
      }
      if (!req.destroyed) req.end();
    })().catch(() => undefined);
  });
}

function drainOrClose(req: ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      req.off('drain', done);
      req.off('close', done);
      resolve();
    };
    req.on('drain', done);
    req.on('close', done);
  });
}

/** Multipart framing around one file part named `file`. */
export function multipartFraming(
  fileName: string,
  boundary = `----roomfiles${randomBytes(8).toString('hex')}`,
) {
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { boundary, head, tail, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Polls a condition that reflects state (never a fixed wait) until it holds, for at most `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  await waitFor(what, () => (condition() ? true : undefined), { timeoutMs });
}

/** Retries an asynchronous check (each try a real request, never a fixed wait) until it holds. */
export async function eventually(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes `bytes` random bytes to `path` in 1 MiB chunks; resolves to their sha256. */
export async function writeRandomFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  let left = bytes;
  while (left > 0) {
    const chunk = randomBytes(Math.min(left, 1 << 20));
    hash.update(chunk);
    left -= chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}

export function sha256OfFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

export function fileSize(path: string): number {
  return statSync(path).size;
}

export type RawMessage = Record<string, unknown> & { method: string; event?: string };

/**
 * A Room API connection over a bare WebSocket that keeps every message in arrival order, to check that an
 * event comes after the reply that caused it.
 */
export class MessageLog {
  readonly messages: RawMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private nextId = 1;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)) as RawMessage);
      for (const wake of [...this.waiters]) wake();
    });
  }

  static async open(room: Room): Promise<MessageLog> {
    const socket = new WebSocket(`ws://127.0.0.1:${room.apiPort}/`, { perMessageDeflate: false });
    await once(socket, 'open');
    const log = new MessageLog(socket);
    const auth = await log.call('auth', { type: 'unsecured' });
    if (auth.result !== true) throw new Error(`auth failed: ${JSON.stringify(auth)}`);
    return log;
  }

  /** Resolves with the first message (already received or still to come) that satisfies the predicate. */
  next(predicate: (m: RawMessage) => boolean, after = 0, timeoutMs = 10_000): Promise<RawMessage> {
    return waitFor('such message', () => this.messages.slice(after).find(predicate), {
      wake: this.waiters,
      timeoutMs,
    });
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<RawMessage> {
    const requestId = `r${this.nextId++}`;
    const start = this.messages.length;
    this.socket.send(JSON.stringify({ method, requestId, ...params }));
    return this.next((m) => m.requestId === requestId && m.method === method, start);
  }

  event(name: string, after = 0): Promise<RawMessage> {
    return this.next((m) => m.method === 'event' && m.event === name, after);
  }

  indexOf(message: RawMessage): number {
    return this.messages.indexOf(message);
  }

  close(): void {
    this.socket.close();
  }
}
