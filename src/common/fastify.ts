import Fastify, { LogController, type FastifyBaseLogger, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';

/**
 * A Fastify app with our logger and without Fastify's per-request log lines: those carry URLs with tokens,
 * and request logging is done by our own hooks with tokens redacted.
 */
export function createFastify(logger: Logger, options: FastifyServerOptions = {}) {
  return Fastify({
    ...options,
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
}
