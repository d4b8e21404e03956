import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

/**
 * The load generator's HTTP side: the same code streams a body to a room and to its baseline server, so that
 * what differs between the two figures is the server alone. Every request uses a fresh connection.
 */

/** Read size of the file streams the client sends from. */
const CHUNK = 1 << 20;

export interface HttpReply {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
}

function exchange(
  port: number,
  path: string,
  method: string,
  headers: Record<string, string | number>,
  write: (req: ClientRequest) => Promise<void>,
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    write(req).catch((error: Error) => {
      req.destroy(error);
      reject(error);
    });
  });
}

function ok(reply: HttpReply, what: string): HttpReply {
  if (reply.status < 200 || reply.status > 299) {
    throw new Error(`${what} failed with ${reply.status}: ${reply.text.slice(0, 300)}`);
  }
  return reply;
}

/** `POST` of a file as `multipart/form-data`, one part named `file`, streamed from disk with a Content-Length. */
export async function postMultipart(
  port: number,
  path: string,
  file: string,
  size: number,
  fileName: string,
): Promise<HttpReply> {
  const boundary = `----roomfilesbench${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const reply = await exchange(
    port,
    path,
    'POST',
    {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': head.length + size + tail.length,
    },
    async (req) => {
      req.write(head);
      await pipeline(createReadStream(file, { highWaterMark: CHUNK }), req, { end: false });
      req.end(tail);
    },
  );
  return ok(reply, `multipart upload to :${port}`);
}

/** `POST` of a raw body (`application/octet-stream`), from a file or from memory. */
export async function postRaw(port: number, path: string, body: string | Buffer): Promise<HttpReply> {
  const reply = await exchange(
    port,
    path,
    'POST',
    { 'content-type': 'application/octet-stream' },
    async (req) => {
      if (typeof body === 'string') await pipeline(createReadStream(body, { highWaterMark: CHUNK }), req);
      else req.end(body);
    },
  );
  return ok(reply, `raw upload to :${port}`);
}

/** `GET` (with an optional Range) whose body is counted and dropped; resolves to the number of bytes read. */
export function getDiscard(port: number, path: string, range?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = range ? { range } : {};
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let bytes = 0;
      const expected = range ? 206 : 200;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () =>
        res.statusCode === expected
          ? resolve(bytes)
          : reject(new Error(`GET :${port}${path.split('?')[0]} answered ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** `GET` written to a file on disk (a plain copy over HTTP); resolves to the number of bytes written. */
export function getToFile(port: number, path: string, dest: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET :${port}${path.split('?')[0]} answered ${res.statusCode}`));
        return;
      }
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      pipeline(res, createWriteStream(dest)).then(() => resolve(bytes), reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** `GET` whose body is hashed on the way; resolves to its sha256 (hex). */
export function getSha256(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET :${port}${path.split('?')[0]} answered ${res.statusCode}`));
        return;
      }
      const hash = createHash('sha256');
      res.on('data', (chunk: Buffer) => hash.update(chunk));
      res.on('end', () => resolve(hash.digest('hex')));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
