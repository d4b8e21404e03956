import { getuid } from 'node:process';
import { findExecutable } from './system.js';

/**
 * A real small filesystem for full-disk tests: the child process runs in a private mount namespace in which `dir`
 * is a tmpfs of `bytes`. Only root can make one (CI runs as root); elsewhere the reason is returned for `need()`.
 */
export function smallDiskMissing(): string | null {
  if (getuid?.() !== 0) return 'a small filesystem needs root (a tmpfs in a private mount namespace)';
  if (!findExecutable('unshare') || !findExecutable('mount'))
    return 'unshare and mount (util-linux) are not installed';
  return null;
}

/** The `wrap` option of a CliProcess that runs it with `dir` on a tmpfs of `bytes` (rounded up to a page). */
export function onSmallDisk(dir: string, bytes: number): string[] {
  return [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--',
    'sh',
    '-c',
    'mount -t tmpfs -o size="$1" tmpfs "$0" && shift && exec "$@"',
    dir,
    String(bytes),
  ];
}

/**
 * The path under which the test itself sees `dir` of the child's namespace (to fill the disk or free it again):
 * `/proc/<pid>/root` is the child's view of the filesystem.
 */
export function seenFromOutside(pid: number, dir: string): string {
  return `/proc/${pid}/root${dir}`;
}
