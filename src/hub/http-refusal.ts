import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { HttpStatus } from './http-status.js';

/** A refusal as the hub's HTTP routes send it: `{error, errorCode}`, the status repeated in the body. */
export function refuse(
  reply: FastifyReply,
  status: HttpStatus,
  error: string,
  headers: Record<string, string> = {},
) {
  return reply.headers(headers).code(status).send({ error, errorCode: status });
}

/** The part of a request its route's schema refused first (Fastify checks params, querystring, then headers). */
export type RefusedPart = NonNullable<FastifyError['validationContext']>;

/**
 * A route's error handler that answers a request its schema refused with the route's own refusal (which the hub
 * gave for such a request before routes had schemas), and passes any other error on.
 */
export function refuseInvalid(
  answer: (part: RefusedPart, request: FastifyRequest) => [HttpStatus, string],
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    if (!error.validation || !error.validationContext) throw error;
    const [status, message] = answer(error.validationContext, request);
    refuse(reply, status, message);
  };
}
