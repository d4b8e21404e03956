import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AuthManager } from '../auth.js';
import { redactUrl } from '../../common/logger.js';
import { sendError } from './errors.js';

/** The token in `?token=` or, failing that, in `Authorization: Bearer` [ext] (room-api.md §7). */
function tokenOf(request: FastifyRequest): string | undefined {
  // The query is read before validation (this runs first), so its shape is not known yet.
  const query = request.query;
  if (typeof query === 'object' && query !== null && 'token' in query && typeof query.token === 'string') {
    return query.token;
  }
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  return undefined;
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Every request needs a valid HTTP token, paths without a route included; it is checked as the request arrives,
 * before any of its body is read. A CORS preflight never carries credentials (Fetch), so it is not asked for one:
 * @fastify/cors, registered before this, answers the preflights of admitted origins.
 */
export function requireToken(app: FastifyInstance, auth: AuthManager, logger: Logger): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'OPTIONS') return;
    logger.debug({ method: request.method, url: redactUrl(request.url) }, 'http request');
    if (auth.checkHttpToken(tokenOf(request))) return;
    // An upload with a bad token may be gigabytes still on their way: close rather than read them all.
    if (hasBody(request)) reply.header('connection', 'close');
    return sendError(reply, 401, 'missing, unknown or expired token: get one with getTokenForHttpServer');
  });
}
