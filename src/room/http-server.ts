import cors from '@fastify/cors';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import { createFastify } from '../common/fastify.js';
import type { FileStore } from './file-store.js';
import type { FileLibrary } from './file-library.js';
import type { AuthManager } from './auth.js';
import type { OriginPolicy } from './origin-policy.js';
import { corsOptions } from './http/cors.js';
import { errorReplier, pathOf, sendError } from './http/errors.js';
import { requireToken } from './http/token-check.js';
import { uploadRoute } from './http/upload.js';
import { downloadRoute } from './http/download.js';
import { fileListRoutes, framesRoute } from './http/file-list.js';
import { limitConnections } from './http/connection-slots.js';
import { lingerBeforeClose } from '../common/lingering-close.js';

/**
 * A connection with no traffic in either direction for this long is cut (a stalled upload or download, a client
 * that sends a body one byte now and then stays only while bytes keep coming).
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** A request head (request line and headers) must be complete this long after the connection's first byte. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/**
 * Every connection at all, served or still sending its head: past this the server drops new ones (the last
 * resort against a flood of sockets; the connections limit answers 503 well before for clients that speak).
 */
export const HARD_CONNECTION_CAP = 1024;

export interface HttpServerDeps {
  host: string;
  auth: AuthManager;
  files: FileStore;
  library: FileLibrary;
  origins: OriginPolicy;
  logger: Logger;
  maxPostBytes: () => number;
  quotaBytes: () => number;
  /** Idle time after which a connection is cut (default DEFAULT_IDLE_TIMEOUT_MS). */
  idleTimeoutMs?: number;
  /** Time for a request head (default DEFAULT_HEADERS_TIMEOUT_MS). */
  headersTimeoutMs?: number;
  /** Connections served at once (httpServerConnectionsLimit; unlimited when absent). */
  connectionsLimit?: () => number;
}

/**
 * The room's built-in HTTP server (room-api.md §7): file bodies in and out, streamed, behind the HTTP token. Every
 * route declares its schema (src/protocol/http-routes.ts); every refusal is `{ error, errorCode }`.
 * A new Fastify instance is built for every start, because a closed one cannot listen again.
 */
export function buildHttpServer(deps: HttpServerDeps): FastifyInstance {
  const app = createFastify(deps.logger, {
    // Large bodies stream for as long as they need; only a stalled connection is cut: a socket with no
    // traffic either way for this long is closed, which ends an upload that stopped (its partial body is
    // removed and its bytes no longer count against the quota).
    requestTimeout: 0,
    connectionTimeout: deps.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    keepAliveTimeout: 5000,
    http: {
      // A head that trickles in (slowloris) is cut with 408 once this has passed; Node checks every second.
      headersTimeout: deps.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: 1000,
    },
    bodyLimit: 64 * 1024,
    // `/files` and `/files/` are the same route (room-api.md §7 names both).
    routerOptions: { ignoreTrailingSlash: true },
    // (`http` is passed to http.createServer; Fastify's option type leaves it out.)
  } as FastifyServerOptions).withTypeProvider<TypeBoxTypeProvider>();

  // An answer sent while the client is still sending its body (a refusal) closes the connection only once the
  // client can have read it (a lingering close, bounded): every client sees the refusal, never a reset.
  lingerBeforeClose(app);
  // The connections limit before anything else: even a refusal takes a slot only while it is answered.
  if (deps.connectionsLimit) limitConnections(app, deps.connectionsLimit);
  // CORS first: it answers the preflights of admitted origins, which carry no token.
  app.register(cors, corsOptions(deps.origins));
  requireToken(app, deps.auth, deps.logger);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, `no route ${request.method} ${pathOf(request)}`),
  );
  app.setErrorHandler(errorReplier(deps.logger));

  uploadRoute(app, deps);
  downloadRoute(app, deps);
  fileListRoutes(app, deps.library, deps.logger);
  framesRoute(app);
  return app;
}
