import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomFile } from '../../test/helpers/cluster.js';
import { trackDir } from './cleanup.js';

/**
 * The run's files of random bytes: generated once per run into a temporary directory, removed at the end (or by
 * the exit handler if the run is cut short).
 */
export class BenchFiles {
  readonly dir = mkdtempSync(join(tmpdir(), 'roomfiles-bench-'));
  private readonly made = new Map<string, string>();
  private readonly untrack = trackDir(this.dir);

  /** A file of `size` random bytes (made on first use, then reused). */
  async file(size: number): Promise<string> {
    const key = String(size);
    let path = this.made.get(key);
    if (!path) {
      path = join(this.dir, `random-${size}.bin`);
      await randomFile(path, size);
      this.made.set(key, path);
    }
    return path;
  }

  /** A scratch path in the run's directory. */
  path(name: string): string {
    return join(this.dir, name);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
    this.untrack();
  }
}

/**
 * Makes a file's content new by overwriting its first 32 bytes: hubs keep bodies by sha256 and do not upload a
 * body they already hold, so every run sends a body the hub has never seen.
 */
export async function restamp(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(randomBytes(32), 0, 32, 0);
  } finally {
    await handle.close();
  }
}

/** The sha256 of a file (hex), read in 4 MiB chunks. */
export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
