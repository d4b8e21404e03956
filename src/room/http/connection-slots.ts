import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { sendError } from './errors.js';

/** What a connection over the limit is told to wait before trying again (seconds). */
export const RETRY_AFTER_SECONDS = 2;

/**
 * `httpServerConnectionsLimit` (room-api.md §7) as a limit on the connections the room serves: a connection takes
 * a slot with its first complete request and keeps it until it closes (keep-alive included). A connection still
 * sending its request head takes none — it is bounded by the headers timeout instead — so connections that
 * trickle their headers (slowloris) cannot starve the clients that speak. A request on a connection that finds
 * every slot taken is answered 503 with `Retry-After` and the connection closed: an answer, never a reset.
 */
export function limitConnections(app: FastifyInstance, limit: () => number): void {
  const served = new Set<Socket>();
  app.addHook('onRequest', (request, reply, done) => {
    const socket = request.raw.socket;
    if (served.has(socket)) return done();
    if (served.size >= limit()) {
      reply.header('retry-after', String(RETRY_AFTER_SECONDS)).header('connection', 'close');
      sendError(reply, 503, `the room serves ${limit()} connections at once: try again shortly`);
      return;
    }
    served.add(socket);
    socket.once('close', () => served.delete(socket));
    done();
  });
}
