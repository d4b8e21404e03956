import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Readable } from 'node:stream';

/**
 * A hub that lies, for tests of what a room trusts of its hub: a real hub behind a proxy on loopback that passes
 * the link (WebSocket upgrade) and every HTTP request through unchanged, except responses `tamper` chooses to
 * replace. The room logs in through it as through any hub.
 */
export interface LyingHub {
  port: number;
  /** Body responses the proxy replaced, and whether the room hung up on each before the replacement ended. */
  readonly tampered: { url: string; cutByRoom: boolean }[];
  close(): Promise<void>;
}

/** A replacement response: its status, headers (Content-Length is dropped: the body is chunked) and body. */
export interface Replacement {
  status?: number;
  headers?: OutgoingHttpHeaders;
  body: (original: IncomingMessage) => Readable;
}

export async function lyingHub(
  hubPort: number,
  tamper: (request: IncomingMessage) => Replacement | null,
): Promise<LyingHub> {
  const tampered: { url: string; cutByRoom: boolean }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const upstream = httpRequest(
      { host: '127.0.0.1', port: hubPort, method: req.method, path: req.url, headers: req.headers },
      (original) => {
        const replacement = tamper(req);
        if (!replacement) {
          res.writeHead(original.statusCode ?? 502, original.headers);
          original.pipe(res);
          return;
        }
        const headers: OutgoingHttpHeaders = { ...original.headers, ...replacement.headers };
        delete headers['content-length'];
        res.writeHead(replacement.status ?? original.statusCode ?? 200, headers);
        const body = replacement.body(original);
        const entry = { url: req.url ?? '', cutByRoom: false };
        tampered.push(entry);
        res.on('close', () => {
          if (!res.writableFinished) entry.cutByRoom = true;
          body.destroy();
          original.destroy();
        });
        body.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // The link: the upgrade request is written to the hub as it came, then both sockets are joined.
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const upstream = connect(hubPort, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      socket.destroy();
    });
    socket.on('close', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    tampered,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
