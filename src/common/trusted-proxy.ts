import type { IncomingMessage } from 'node:http';
import proxyaddr from '@fastify/proxy-addr';

/** The address a request comes from, as the hub's limits and logs should see it. */
export type ClientAddressOf = (req: IncomingMessage) => string;

/** The peer's own address: what a hub that trusts no proxy uses, whatever `X-Forwarded-For` says. */
export const socketAddressOf: ClientAddressOf = (req) => req.socket.remoteAddress ?? 'unknown';

/**
 * The list of `--trust-proxy`: addresses and CIDR ranges (and proxy-addr's names `loopback`, `linklocal`,
 * `uniquelocal`), separated by commas or spaces. Throws a TypeError naming what is not an address.
 */
export function parseTrustedProxies(text: string): string[] {
  const list = text
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean);
  // Compiled once here only to refuse what it cannot use, at start rather than at the first request.
  proxyaddr.compile(list);
  return list;
}

/**
 * Where a request really comes from when the hub stands behind reverse proxies (docs/security.md, "Logins"): the
 * peer's address, unless the peer is one of `trusted`, in which case `X-Forwarded-For` is read from the right,
 * hop by hop, up to the first address that is not trusted. So a client can prepend whatever it likes to the
 * header: only what a trusted proxy appended counts. With no trusted proxy the header is never read. The same
 * rule as Fastify's `trustProxy` (both use @fastify/proxy-addr), for the link's upgrade, which Fastify does not see.
 */
export function clientAddressOf(trusted: readonly string[]): ClientAddressOf {
  if (trusted.length === 0) return socketAddressOf;
  const trust = proxyaddr.compile([...trusted]);
  return (req) => (req.socket.remoteAddress ? proxyaddr(req, trust) : 'unknown');
}
