import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';

/**
 * A Fastify app with our logger and without Fastify's per-request log lines: those carry URLs with tokens,
 * and request logging is done by our own hooks with tokens redacted.
 */
export function createFastify(logger: Logger, options: FastifyServerOptions = {}) {
  return Fastify({
    ...options,
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed: without it Fastify infers pino's Logger as its logger type, which its own types then refuse
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
}

/** A Fastify app whose routes take their request and reply types from their TypeBox schemas. */
export type TypedFastify = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;
