/**
 * A host as it is written in a URL or before `:port`: an IPv6 address goes in brackets (`::1` → `[::1]`), a name
 * or an IPv4 address as it is, and one already bracketed stays so. Rooms, the hub link and the SDK all build
 * `ws://` and `http://` URLs from a bare host, so one rule serves them all.
 */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
