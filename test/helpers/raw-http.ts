import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';

/** A raw HTTP/1.1 client over one socket: what a server does to the connection (an orderly end, a reset) shows. */

export const CHUNK = 64 * 1024;

export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One raw HTTP/1.1 connection: what it received, how it ended, and how many bytes it wrote. */
export class RawConnection {
  private readonly received: Buffer[] = [];
  error: Error | undefined;
  ended = false;
  closed = false;
  written = 0;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.received.push(chunk));
    socket.on('error', (error) => (this.error ??= error));
    socket.on('end', () => (this.ended = true));
    socket.on('close', () => (this.closed = true));
  }

  static async open(port: number, allowHalfOpen = false): Promise<RawConnection> {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen });
    await once(socket, 'connect');
    return new RawConnection(socket);
  }

  /** Writes with backpressure; false once the connection is gone. */
  async write(data: Buffer | string): Promise<boolean> {
    if (this.socket.destroyed || this.socket.writableEnded) return false;
    const bytes = Buffer.from(data);
    const flushed = this.socket.write(bytes);
    this.written += bytes.length;
    if (!flushed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.socket.off('drain', done);
          this.socket.off('close', done);
          resolve();
        };
        this.socket.on('drain', done);
        this.socket.on('close', done);
      });
    }
    return !this.socket.destroyed;
  }

  /** Writes `bytes` of random body in chunks, `frame` wrapping each (chunked encoding); false if cut before. */
  async writeBody(bytes: number, frame: (chunk: Buffer) => Buffer = (chunk) => chunk): Promise<boolean> {
    for (let sent = 0; sent < bytes; sent += CHUNK) {
      if (!(await this.write(frame(randomBytes(Math.min(CHUNK, bytes - sent)))))) return false;
    }
    return true;
  }

  /** The responses received so far, in order (each with a Content-Length, as the room sends them). */
  responses(): ParsedResponse[] {
    const all = Buffer.concat(this.received).toString('latin1');
    const parsed: ParsedResponse[] = [];
    let at = 0;
    while (at < all.length) {
      const headEnd = all.indexOf('\r\n\r\n', at);
      if (headEnd < 0) break;
      const [statusLine, ...lines] = all.slice(at, headEnd).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      parsed.push({
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: all.slice(headEnd + 4, headEnd + 4 + length),
      });
      at = headEnd + 4 + length;
    }
    return parsed;
  }
}

export const chunked = (chunk: Buffer) =>
  Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);

/** A request head (POST unless said otherwise). */
export function head(path: string, headers: Record<string, string>, method = 'POST'): string {
  const lines = Object.entries({ host: '127.0.0.1', ...headers }).map(([name, value]) => `${name}: ${value}`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}
