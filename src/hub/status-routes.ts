import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type as T } from '@sinclair/typebox';
import type { BlobStore } from './blob-store.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RelayCounters } from './body-follower.js';
import type { DatabaseProbe } from './database-probe.js';
import { refuse } from './http-refusal.js';
import { HttpStatus } from './http-status.js';
import type { LinkRegistry } from './link-registry.js';
import type { HubIdentity } from './hub-identity.js';
import type { HubStats } from './stats.js';
import type { Registry } from 'prom-client';

const Count = T.Integer({ minimum: 0 });

const Health = T.Object({
  ok: T.Boolean(),
  hubId: T.String(),
  domain: T.String(),
  /** Whether the store of bodies answers (an S3 bucket may not; a directory always does). */
  blobs: T.Optional(T.Object({ reachable: T.Boolean() })),
  /** Whether this process reaches its database now (always true for the embedded SQLite). */
  database: T.Object({ reachable: T.Boolean() }),
});

const Stats = T.Object({
  links: Count,
  bytesReceived: Count,
  bytesSent: Count,
  uploadsStarted: Count,
  uploadsCompleted: Count,
  /** Bytes received per body since this process started, by sha256. */
  receivedByBlob: T.Record(T.String(), Count),
  relayedFromMemory: Count,
  /** Bytes relayed after reading them back from the store (the name predates stores other than a directory). */
  relayedFromDisk: Count,
});

const SCHEME = 'Bearer ';
const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether a request carries the metrics token: compared in constant time (of equal-length digests), never by the
 * source address, which a reverse proxy on the same machine makes "loopback" for everyone.
 */
function hasToken(header: string | undefined, token: string): boolean {
  if (!header?.startsWith(SCHEME)) return false;
  return timingSafeEqual(digest(header.slice(SCHEME.length).trim()), digest(token));
}

/**
 * GET /health for anyone; GET /stats and GET /metrics (Prometheus) for whoever holds the metrics token
 * (`roomfiles hub --metrics-token`). Without a configured token they do not exist (404), so an operator who
 * never asked for them exposes nothing (docs/security.md, "Oracles").
 */
export function registerStatusRoutes(
  app: FastifyInstance,
  parts: {
    identity: HubIdentity;
    stats: HubStats;
    links: Pick<LinkRegistry, 'sessions'>;
    relayed: RelayCounters;
    blobStore?: BlobStore;
    /** The bearer token /stats and /metrics require; none: both answer 404. */
    metricsToken?: string;
    database: DatabaseProbe;
  },
): void {
  const { identity, stats, links, relayed, blobStore, metricsToken, database } = parts;
  // prom-client (and its collectors of the process's figures) is loaded only by a hub that serves /metrics.
  const registry: Promise<Registry> | null = metricsToken
    ? import('./metrics.js').then(({ hubMetrics }) =>
        hubMetrics({ stats, links: () => links.sessions.size, relayed }),
      )
    : null;
  /** Refuses a request without the token; true when it may go on. */
  const allowed = (request: FastifyRequest, reply: FastifyReply, route: string): boolean => {
    if (!metricsToken) {
      void refuse(reply, HttpStatus.NotFound, `no route GET ${route}`);
      return false;
    }
    if (!hasToken(request.headers.authorization, metricsToken)) {
      void refuse(reply, HttpStatus.Unauthorized, 'the metrics token is required', {
        'www-authenticate': 'Bearer',
      });
      return false;
    }
    return true;
  };
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  // A process that cannot reach its bucket answers 503, so that a load balancer sends nobody to it.
  routes.get(
    '/health',
    { schema: { response: { [HttpStatus.Ok]: Health, [HttpStatus.ServiceUnavailable]: Health } } },
    async (_request, reply) => {
      const blobs = blobStore?.reachable ? { reachable: await blobStore.reachable() } : undefined;
      const reachable = await database.reachable();
      const ok = reachable && blobs?.reachable !== false;
      return reply.code(ok ? HttpStatus.Ok : HttpStatus.ServiceUnavailable).send({
        ok,
        hubId: identity.hubId,
        domain: identity.domain,
        database: { reachable },
        ...(blobs && { blobs }),
      });
    },
  );

  // Counters name the sha256 of bodies in transit: only the holder of the metrics token may read them.
  routes.get('/stats', { schema: { response: { [HttpStatus.Ok]: Stats } } }, async (request, reply) => {
    if (!allowed(request, reply, '/stats')) return reply;
    return {
      ...stats.snapshot(links.sessions.size),
      relayedFromMemory: relayed.fromMemory,
      relayedFromDisk: relayed.fromStore,
    };
  });

  routes.get('/metrics', async (request, reply) => {
    if (!allowed(request, reply, '/metrics') || !registry) return reply;
    const metrics = await registry;
    const text = await metrics.metrics();
    return reply.header('content-type', metrics.contentType).send(text);
  });
}
