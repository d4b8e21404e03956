import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type as T } from '@sinclair/typebox';
import { isLoopback } from '../common/net.js';
import type { RelayCounters } from './body-follower.js';
import type { DatabaseProbe } from './database-probe.js';
import { refuse } from './http-refusal.js';
import { HttpStatus } from './http-status.js';
import type { LinkRegistry } from './link-registry.js';
import type { HubIdentity } from './hub-identity.js';
import type { HubStats } from './stats.js';

const Count = T.Integer({ minimum: 0 });

const Health = T.Object({
  ok: T.Boolean(),
  hubId: T.String(),
  domain: T.String(),
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

/** An IPv4 peer of a dual-stack socket, as `::ffff:127.0.0.1`, is its IPv4 address. */
const IPV4_MAPPED = '::ffff:';

/** GET /health for anyone, GET /stats for the hub's own machine (docs/hub-protocol.md, "Bodies"). */
export function registerStatusRoutes(
  app: FastifyInstance,
  parts: {
    identity: HubIdentity;
    stats: HubStats;
    links: Pick<LinkRegistry, 'sessions'>;
    relayed: RelayCounters;
    database: DatabaseProbe;
  },
): void {
  const { identity, stats, links, relayed, database } = parts;
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  // 503 when a part this process needs is out of reach, so that a load balancer sends requests elsewhere.
  routes.get(
    '/health',
    { schema: { response: { [HttpStatus.Ok]: Health, [HttpStatus.ServiceUnavailable]: Health } } },
    async (_request, reply) => {
      const reachable = await database.reachable();
      const ok = reachable;
      if (!ok) reply.code(HttpStatus.ServiceUnavailable);
      return { ok, hubId: identity.hubId, domain: identity.domain, database: { reachable } };
    },
  );

  // Counters name the sha256 of bodies in transit: only this machine may read them.
  routes.get('/stats', { schema: { response: { [HttpStatus.Ok]: Stats } } }, async (request, reply) => {
    const peer = request.ip.startsWith(IPV4_MAPPED) ? request.ip.slice(IPV4_MAPPED.length) : request.ip;
    if (!isLoopback(peer)) return refuse(reply, HttpStatus.NotFound, 'no route GET /stats');
    return {
      ...stats.snapshot(links.sessions.size),
      relayedFromMemory: relayed.fromMemory,
      relayedFromDisk: relayed.fromStore,
    };
  });
}
