import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/** Every refusal in the contract's shape (room-api.md §7): `{ error, errorCode }`, errorCode the status. */
export function sendError(reply: FastifyReply, status: number, error: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error, errorCode: status });
}

/**
 * Fastify's own refusals (a request that fails its route's schema, a body no parser takes, one over the limit)
 * and failures, in the contract's shape with their status; failures (5xx) are logged.
 */
export function errorReplier(logger: Logger) {
  return (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) logger.error({ err: error }, 'http server failure');
    return sendError(reply, status, error.message);
  };
}

/** A request's path without its query, which may hold the token: for messages and logs. */
export function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0];
}
