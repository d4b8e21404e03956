import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** How long, and how much, a connection is still read after a refusal before it is closed. */
export interface LingerBounds {
  /** Bytes read and discarded after the answer, at most. */
  maxBytes: number;
  /** Time after the answer, at most. */
  maxMs: number;
  /** Time without a byte from the client after which it is taken to have stopped sending. */
  idleMs: number;
}

export const DEFAULT_LINGER_BOUNDS: LingerBounds = {
  maxBytes: 16 * 1024 * 1024,
  maxMs: 10_000,
  idleMs: 2_000,
};

/**
 * A body still on its way when the answer is sent is read and discarded in place (the connection stays open for the
 * next request) when it is this small; a larger or unsized one closes the connection instead.
 */
export const DRAIN_IN_PLACE_BYTES = 64 * 1024;

/** How often a lingering connection's bytes and silence are checked. */
const CHECK_MS = 50;

/** Node's socket and request as the HTTP server uses them: the two internals the lingering close relies on. */
type ClosingSocket = Socket & { destroySoon?: (this: Socket) => void };
type DumpableRequest = IncomingMessage & { _dump?: () => void };

function declaresBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function closesConnection(reply: FastifyReply): boolean {
  return /\bclose\b/i.test(String(reply.getHeader('connection') ?? ''));
}

/**
 * The rest of the request body, unread by anyone now (the route has answered): dropped as it arrives, even when the
 * request was piped into a parser that stopped reading or destroyed by a consumer that failed. `_dump` is what
 * Node's HTTP server itself calls on a request whose body no one read.
 */
function discardRestOfBody(request: DumpableRequest, socket: Socket): void {
  request.unpipe();
  if (typeof request._dump === 'function') request._dump();
  else request.resume();
  socket.resume();
}

/**
 * Closes `socket` in stages once its answer is written (RFC 9112 §9.6, "tear-down"; nginx's lingering close): it
 * half-closes (the client has the whole answer and its end), then reads and discards what the client still sends
 * until the client closes, the body has ended, or a bound is reached, and only then closes. Closing at once with
 * the client's bytes unread makes the kernel reset the connection, and a reset can erase the answer before the
 * client reads it (Node 24's fetch then reports EPIPE instead of the 507).
 *
 * Node's HTTP server closes a `Connection: close` response's socket by `socket.destroySoon()` when the response has
 * finished; this socket's own `destroySoon` is replaced by the lingering close.
 */
function lingerOnClose(
  socket: ClosingSocket,
  request: DumpableRequest,
  bounds: LingerBounds,
  open: Set<Socket>,
) {
  if (typeof socket.destroySoon !== 'function' || Object.hasOwn(socket, 'destroySoon')) return;
  const closeSoon = socket.destroySoon.bind(socket);
  socket.destroySoon = () => {
    // The body has arrived whole meanwhile: nothing is left to read, Node's own close resets nothing.
    if (request.complete) return closeSoon();
    if (open.has(socket) || socket.destroyed) return;
    open.add(socket);
    socket.end();
    discardRestOfBody(request, socket);
    const readBefore = socket.bytesRead;
    let lastSeen = readBefore;
    let lastMoved = Date.now();
    // Past a bound the client has had its time: the connection goes, sent or not.
    const cut = () => socket.destroy();
    // The client stopped, or its body ended: closed once the answer and the end have gone out, as Node's own close.
    let closing = false;
    const close = () => {
      if (closing) return;
      closing = true;
      if (socket.writableFinished) socket.destroy();
      else socket.once('finish', cut);
    };
    const deadline = setTimeout(cut, bounds.maxMs).unref();
    const check = setInterval(() => {
      const read = socket.bytesRead;
      if (read - readBefore > bounds.maxBytes) return cut();
      if (read !== lastSeen) {
        lastSeen = read;
        lastMoved = Date.now();
      } else if (Date.now() - lastMoved >= bounds.idleMs) close();
    }, CHECK_MS).unref();
    // The whole body arrived: nothing is left unread, so closing now resets nothing.
    request.once('end', close);
    socket.once('close', () => {
      clearTimeout(deadline);
      clearInterval(check);
      open.delete(socket);
    });
  };
}

/**
 * Every answer sent before its request's body has arrived (a refusal by length, quota, token, connection limit, a
 * body that broke a limit midway): a body larger than DRAIN_IN_PLACE_BYTES, or of unknown size, closes the
 * connection (`Connection: close`, so that the client stops sending) with a lingering close, so that every client
 * reads the answer; a smaller one is read and discarded in place by Node, keeping the connection.
 */
export function lingerBeforeClose(app: FastifyInstance, bounds: LingerBounds = DEFAULT_LINGER_BOUNDS): void {
  const open = new Set<Socket>();
  app.addHook('onSend', (request, reply, payload, done) => {
    const socket = reply.raw.socket;
    if (socket && declaresBody(request) && !request.raw.complete) {
      if (!closesConnection(reply)) {
        const declared = Number(request.headers['content-length'] ?? Infinity);
        if (declared <= DRAIN_IN_PLACE_BYTES) return done(null, payload);
        reply.header('connection', 'close');
      }
      lingerOnClose(socket, request.raw, bounds, open);
    }
    done(null, payload);
  });
  // A server closing does not wait for its lingering connections.
  app.addHook('preClose', (done) => {
    for (const socket of open) socket.destroy();
    done();
  });
}
