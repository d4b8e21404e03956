import ipaddr from 'ipaddr.js';

/**
 * The group a source address belongs to, for limits that an attacker must not escape by changing address: an IPv4
 * /24, an IPv6 /64 (what one host or one customer typically holds), and every loopback address (127.0.0.0/8, ::1)
 * one group, since anyone on the machine can use all of them. An IPv4 address mapped into IPv6 is its IPv4 self.
 * Something that is not an address is a group of its own.
 */
export function sourceGroup(address: string): string {
  if (!ipaddr.isValid(address)) return `other:${address}`;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  if (parsed.range() === 'loopback') return 'loopback';
  if (parsed.kind() === 'ipv4') {
    const [a, b, c] = (parsed as ipaddr.IPv4).octets;
    return `${a}.${b}.${c}.0/24`;
  }
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${parts.join(':')}::/64`;
}
