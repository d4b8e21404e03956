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
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A route's compiled check or serializer: a function, and the fields Fastify reads on an Ajv validator. */
type Compiled = ((...args: unknown[]) => unknown) & { errors?: unknown; schemaEnv?: unknown };
/** What a Fastify compilers factory returns: given a route's schema (and method, url, part), its function. */
type Compiler = (route: object) => Compiled;
type CompilerFactory = (externalSchemas: unknown, options: unknown) => Compiler;

/**
 * Fastify compiles every route's schemas when the app starts (Ajv validators, fast-json-stringify serializers),
 * loading Ajv and fast-json-stringify to do it: about a third of the CPU a room or hub spends starting, paid by
 * every process of a test run and by a room whose routes may never be asked. This factory hands Fastify the
 * compilers it always uses (Fastify's own defaults, same options), each compiling a schema on the first request
 * that needs it: same checks and replies, paid when used. Every route's schemas are exercised by the tests, so a
 * schema that cannot compile still fails them.
 */
function deferred(load: () => CompilerFactory): CompilerFactory {
  return (externalSchemas, options) => {
    let compiler: Compiler | undefined;
    return (route) => {
      let compiled: Compiled | undefined;
      const get = () => (compiled ??= (compiler ??= load()(externalSchemas, options))(route));
      const lazy: Compiled = (...args) => {
        const fn = get();
        const result = fn(...args);
        // Fastify reads a failed check's errors from the function it called.
        lazy.errors = fn.errors;
        return result;
      };
      // Fastify asks for `schemaEnv` before calling (an Ajv validator then gets the parent object, to coerce in place).
      Object.defineProperty(lazy, 'schemaEnv', { get: () => get().schemaEnv });
      return lazy;
    };
  };
}

// Fastify's types name Ajv's and fast-json-stringify's function types, which a wrapper of either cannot be.
const compilersFactory = {
  buildValidator: deferred(() => (require('@fastify/ajv-compiler') as () => CompilerFactory)()),
  buildSerializer: deferred(() =>
    (require('@fastify/fast-json-stringify-compiler') as () => CompilerFactory)(),
  ),
} as unknown as NonNullable<FastifyServerOptions['schemaController']>['compilersFactory'];

/**
 * A Fastify app with our logger and without Fastify's per-request log lines: those carry URLs with tokens,
 * and request logging is done by our own hooks with tokens redacted.
 */
export function createFastify(logger: Logger, options: FastifyServerOptions = {}) {
  return Fastify({
    schemaController: { compilersFactory },
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
