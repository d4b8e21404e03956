import { InvalidArgumentError } from 'commander';

/** `host:port`, `host` (default port), `[::1]:port`. */
export function parseHostPort(value: string, defaultPort: number): { host: string; port: number } {
  const trimmed = value.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (bracketed) return { host: bracketed[1], port: bracketed[2] ? parsePort(bracketed[2]) : defaultPort };
  const colons = trimmed.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = trimmed.split(':');
    return { host: host || '127.0.0.1', port: parsePort(port) };
  }
  if (trimmed === '') throw new InvalidArgumentError('expected host[:port]');
  return { host: trimmed, port: defaultPort };
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError(`"${value}" is not a port number`);
  return port;
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/** `4GiB`, `512m`, `1048576`. */
export function parseSize(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = match ? UNITS[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined)
    throw new InvalidArgumentError(`"${value}" is not a size (e.g. 4GiB, 512MiB)`);
  return Math.floor(Number(match[1]) * unit);
}

const DURATIONS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `7d`, `12h`, `30m`, `90s`. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`"${value}" is not a duration (e.g. 7d, 12h, 30m)`);
  return Math.floor(Number(match[1]) * DURATIONS[match[2]]);
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
