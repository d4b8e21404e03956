import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { errorReplier, sendError } from './errors.js';

/**
 * The error handler of the `/files/<fileId>` routes: a path whose fileId is not a decimal number (it fails the
 * params schema) names no file, so it is answered 404 like an id no file has, not 400. Anything else as on every
 * route.
 */
export function fileIdErrors(
  logger: Logger,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  const otherwise = errorReplier(logger);
  return (error, request, reply) => {
    if (error.validationContext === 'params') {
      // The params failed their schema: their shape is not known, only that the router found a fileId.
      const params = request.params;
      const fileId = typeof params === 'object' && params !== null && 'fileId' in params ? params.fileId : '';
      sendError(reply, 404, `file ${String(fileId)} does not exist`);
      return;
    }
    otherwise(error, request, reply);
  };
}
