import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { urlHost } from '../protocol/url-host.js';

/**
 * Where a room's hub is: host, port, and whether it speaks TLS (HTTPS/WSS, directly or through a reverse proxy
 * that terminates it). A hub reached with `tls` is never tried without it.
 */
export interface HubTarget {
  host: string;
  port: number;
  tls?: boolean;
}

export class HubTargetError extends Error {}

const SCHEMES: Record<string, { tls: boolean; port: number }> = {
  'wss:': { tls: true, port: 443 },
  'https:': { tls: true, port: 443 },
  'ws:': { tls: false, port: 80 },
  'http:': { tls: false, port: 80 },
};

/**
 * A server as `--server` and `connectToServer` take it: `wss://host[:port]` or `https://host[:port]` (TLS, port
 * 443 unless given), `ws://…`/`http://…` (cleartext), or a bare `host[:port]` / `[v6]:port` (cleartext, port
 * `defaultPort`). `port`, when given, wins over the one in the text.
 */
export function parseHubTarget(value: string, defaultPort: number, port?: number): HubTarget {
  const text = value.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new HubTargetError(`"${value}" is not a server address`);
    }
    const scheme = SCHEMES[url.protocol];
    if (!scheme) throw new HubTargetError(`"${value}": the scheme must be wss, https, ws or http`);
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username)
      throw new HubTargetError(`"${value}": a server address has no path, query or user`);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return { host, port: port ?? (url.port ? Number(url.port) : scheme.port), tls: scheme.tls };
  }
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed)
    return { host: bracketed[1], port: port ?? (bracketed[2] ? Number(bracketed[2]) : defaultPort) };
  const hostPort = /^([^:]+):(\d+)$/.exec(text);
  if (hostPort) return { host: hostPort[1], port: port ?? Number(hostPort[2]) };
  return { host: text, port: port ?? defaultPort };
}

/** The address of a target as text (`wss://host:port` for TLS, `host:port` otherwise): for logs and messages. */
export function describeTarget(target: HubTarget): string {
  return `${target.tls ? 'wss://' : ''}${urlHost(target.host)}:${target.port}`;
}

export function sameTarget(a: HubTarget | null, b: HubTarget | null): boolean {
  return !!a && !!b && a.host === b.host && a.port === b.port && !!a.tls === !!b.tls;
}

/** The URL of `path` on the hub: `ws(s)://` for the link, `http(s)://` for the body routes. */
export function hubUrl(target: HubTarget, kind: 'link' | 'http', path: string): string {
  const scheme = kind === 'link' ? (target.tls ? 'wss' : 'ws') : target.tls ? 'https' : 'http';
  return `${scheme}://${urlHost(target.host)}:${target.port}${path}`;
}

/**
 * The certificate authorities a room trusts for its hub: the system's (Node's bundled store) plus the PEM of
 * `--ca`/`ROOMFILES_CA` when given. Node's `ca` replaces the default store, so both are listed.
 */
export function trustedCas(extraCa?: string): string[] | undefined {
  return extraCa ? [...rootCertificates, extraCa] : undefined;
}

/** Errors of a TLS handshake whose certificate the room does not trust (wrong CA, wrong name, expired…). */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function isCertificateError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CERTIFICATE_CODES.has(code);
}

const agents = new Map<string, HttpAgent>();

/**
 * The keep-alive agent for the hub's body routes: HTTP, or HTTPS verifying against `trustedCas(extraCa)`. One
 * per kind and CA, shared by every request of the thread (the receive worker has its own).
 */
export function bodyAgent(tls: boolean | undefined, extraCa?: string): HttpAgent {
  const key = tls ? `tls:${extraCa ?? ''}` : 'plain';
  let agent = agents.get(key);
  if (!agent) {
    agent = tls
      ? new HttpsAgent({ keepAlive: true, maxSockets: 64, ca: trustedCas(extraCa) })
      : new HttpAgent({ keepAlive: true, maxSockets: 64 });
    agents.set(key, agent);
  }
  return agent;
}
