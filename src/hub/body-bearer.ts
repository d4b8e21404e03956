import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpStatus } from './http-status.js';
import { refuse } from './http-refusal.js';
import type { BodyBearer, LinkRegistry } from './link-registry.js';

const SCHEME = 'Bearer ';
/** The bearer of each request let through, for its handler. */
const bearers = new WeakMap<FastifyRequest, BodyBearer>();

function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith(SCHEME) ? header.slice(SCHEME.length).trim() : undefined;
}

/**
 * The body routes' check of the bearer token a login gave (docs/hub-protocol.md, "Bodies"), made before anything
 * else about the request is: a request without a good one gets 401 whatever else is wrong with it.
 */
export function requireBearer(links: Pick<LinkRegistry, 'bearerOf'>) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const bearer = await links.bearerOf(tokenOf(request));
    if (!bearer) return refuse(reply, HttpStatus.Unauthorized, 'a logged-in room session is required');
    bearers.set(request, bearer);
  };
}

/** Who made a request that `requireBearer` let through. */
export function bearerOf(request: FastifyRequest): BodyBearer {
  const bearer = bearers.get(request);
  if (!bearer) throw new Error(`${request.method} ${request.routeOptions.url} ran without requireBearer`);
  return bearer;
}
