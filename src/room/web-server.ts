import type { FastifyInstance } from 'fastify';
import { createFastify } from '../common/fastify.js';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';

export interface WebServerDeps {
  logger: Logger;
  ports: () => { websocket: number; http: number };
  /** Directory of the built web interface; a short page says how to build it when it is missing. */
  webRoot?: string;
}

export const defaultWebRoot = fileURLToPath(new URL('../../web/', import.meta.url));

/**
 * The room's web port: `config.json` for clients discovering the other two ports (room-api.md §1), and the web
 * interface a person uses.
 */
export function buildWebServer(deps: WebServerDeps): FastifyInstance {
  const app = createFastify(deps.logger);

  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
  });

  app.get('/public/:name/config.json', async (_request, reply) => {
    const { websocket, http } = deps.ports();
    reply.header('cache-control', 'no-store');
    return {
      config: { websocket: { hostname: null, port: websocket }, http: { hostname: null, port: http } },
    };
  });

  const root = deps.webRoot ?? defaultWebRoot;
  if (existsSync(root)) {
    app.register(fastifyStatic, { root, index: ['index.html'], cacheControl: false });
  } else {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><title>roomfiles</title><p>The web interface is not built: run <code>npm run build</code>.',
        ),
    );
  }
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `no page ${request.url.split('?')[0]}`, errorCode: 404 }),
  );
  return app;
}
