import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { createFastify } from '../common/fastify.js';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { ConfigJson, ConfigJsonParams } from '../protocol/http-routes.js';
import { errorReplier, pathOf, sendError } from './http/errors.js';

export interface WebServerDeps {
  logger: Logger;
  ports: () => { websocket: number; http: number };
  /** Directory of the built web interface; a short page says how to build it when it is missing. */
  webRoot?: string;
}

export const defaultWebRoot = fileURLToPath(new URL('../../web/', import.meta.url));

/** A host name as a browser sends it in `Host` (name, IPv4, or bracketed IPv6), without its port. */
function hostName(hostHeader: string | undefined): string | null {
  if (!hostHeader) return null;
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d+)?$/.exec(hostHeader.trim());
  return match ? match[1].toLowerCase() : null;
}

/**
 * The web interface loads only what the room itself serves ('self'), and talks only to this room's API and
 * built-in HTTP server, on the host the page was loaded from. No inline script or style, no frames.
 */
export function contentSecurityPolicy(
  hostHeader: string | undefined,
  ports: { websocket: number; http: number },
): string {
  const host = hostName(hostHeader);
  const connect = host ? ` ws://${host}:${ports.websocket} http://${host}:${ports.http}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    `connect-src 'self'${connect}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The room's web port: `config.json` for clients discovering the other two ports (room-api.md §1), and the web
 * interface a person uses.
 */
export function buildWebServer(deps: WebServerDeps): FastifyInstance {
  const app = createFastify(deps.logger).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('content-security-policy', contentSecurityPolicy(request.headers.host, deps.ports()));
  });

  app.get(
    '/public/:name/config.json',
    { schema: { params: ConfigJsonParams, response: { 200: ConfigJson } } },
    async (_request, reply) => {
      const { websocket, http } = deps.ports();
      reply.header('cache-control', 'no-store');
      return {
        config: { websocket: { hostname: null, port: websocket }, http: { hostname: null, port: http } },
      };
    },
  );

  const root = deps.webRoot ?? defaultWebRoot;
  if (existsSync(root)) {
    app.register(fastifyStatic, {
      root,
      index: ['index.html'],
      cacheControl: false,
      // Built assets carry a content hash in their names; the page itself must always be asked for again.
      setHeaders(reply, path) {
        const immutable = /[\\/]assets[\\/][^\\/]+-[A-Za-z0-9_-]{8,}\.\w+$/.test(path);
        reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  } else {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><title>roomfiles</title><p>The web interface is not built: run <code>npm run build</code>.',
        ),
    );
  }
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, `no page ${pathOf(request)}`));
  app.setErrorHandler(errorReplier(deps.logger));
  return app;
}
