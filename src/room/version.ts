import { readFileSync } from 'node:fs';

let cached: { major: number; minor: number; revision: number; build: number } | undefined;

/** The package version as productInfo reports it (room-api.md §4). */
export function productVersion() {
  if (!cached) {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const [major = 0, minor = 0, revision = 0] = pkg.version.split(/[.-]/).map((part) => Number(part) || 0);
    cached = { major, minor, revision, build: 0 };
  }
  return cached;
}

export function softwareName(): string {
  const { major, minor, revision } = productVersion();
  return `roomfiles/${major}.${minor}.${revision}`;
}
