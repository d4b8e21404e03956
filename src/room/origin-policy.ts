import { networkInterfaces } from 'node:os';
import { urlHost } from '../protocol/url-host.js';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** Host names that are this machine's own: loopback, the bind address, and (when bound to all) every local IP. */
function ownHostNames(bindHost: string): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  if (isWildcard(bindHost)) {
    for (const list of Object.values(networkInterfaces())) {
      for (const info of list ?? []) names.add(urlHost(info.address));
    }
  } else {
    names.add(urlHost(bindHost));
  }
  return names;
}

/**
 * The form a browser sends an origin in (`scheme://host[:port]`, lower case, default port left out), so that an
 * `--allow-origin` given as `https://App.example:443/` matches the `https://app.example` a browser sends.
 */
function normalizeOrigin(origin: string): string {
  const trimmed = origin.trim().replace(/\/+$/, '');
  try {
    const url = new URL(trimmed);
    if (url.origin !== 'null') return url.origin;
  } catch {
    // Not a URL: compared as given.
  }
  return trimmed.toLowerCase();
}

/**
 * The Origin rule of room-api.md §1: no Origin (not a browser), or a page served by one of this room's own ports
 * on one of this machine's own addresses, or an origin given with --allow-origin. A DNS name other than
 * `localhost` is never trusted, so a rebinding page at `evil.example:8764` is refused too.
 */
export class OriginPolicy {
  private readonly allowed: Set<string>;

  constructor(
    private readonly bindHost: string,
    private readonly ownPorts: () => number[],
    allowOrigins: string[],
  ) {
    this.allowed = new Set(allowOrigins.map(normalizeOrigin));
  }

  allows(origin: string | undefined): boolean {
    if (origin === undefined || origin === '') return true;
    if (this.allowed.has(normalizeOrigin(origin))) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    if (!this.ownPorts().includes(port)) return false;
    return ownHostNames(this.bindHost).has(url.hostname.toLowerCase());
  }
}
