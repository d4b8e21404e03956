import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { request } from 'node:http';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CliProcess, freePort, roomArgs, runCli } from './child.js';
import { tempDir } from './harness.js';
import { untilLoggedIn } from './wait.js';
import { openRoomConnection, type RoomConnection } from '../../src/client/index.js';
import { after } from 'node:test';

/**
 * Every cluster not yet closed. A test that fails before its own `close()` (a start that timed out on a loaded
 * machine, a test timeout) would leave its processes running, and the test file would never end: this closes them
 * once the file's tests are done.
 */
const unclosed = new Set<Cluster>();
// Only in a test file: the benchmarks use clusters too, and there node:test must not start.
if (process.env.NODE_TEST_CONTEXT) {
  after(async () => {
    for (const cluster of [...unclosed]) await cluster.close();
  });
}

/** A file of random bytes written in chunks (never whole in memory); resolves to its sha256. */
export async function randomFile(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  let left = size;
  for (; left > 0;) {
    const chunk = randomBytes(Math.min(left, 1 << 20));
    hash.update(chunk);
    left -= chunk.length;
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  return hash.digest('hex');
}

export async function sha256OfStream(stream: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A process start on a loaded 2-core machine (CI, helpers' builds) can take far longer than on an idle one. */
const STARTUP_MS = 60_000;

export interface RoomProcess {
  name: string;
  proc: CliProcess;
  apiPort: number;
  httpPort: number;
  dataDir: string;
}

/**
 * A hub and rooms as separate `roomfiles` processes, so that any of them can be killed with SIGKILL and
 * started again on the same data, as an operator's machine would.
 */
export class Cluster {
  readonly root = tempDir('roomfiles-cluster-');
  hubPort = 0;
  hub: CliProcess | null = null;
  /** The hub's --metrics-token: GET /stats needs it. */
  readonly metricsToken = randomBytes(16).toString('hex');
  readonly rooms = new Map<string, RoomProcess>();
  private readonly connections: RoomConnection[] = [];
  /** Every process started, ready or not: one whose start timed out must still be killed by `close`. */
  private readonly processes = new Set<CliProcess>();

  constructor() {
    unclosed.add(this);
  }

  /**
   * Two-hub mode (several hub processes on one database and one bucket): set before `createAccounts`; every hub
   * started with `startSharedHub` then keeps its rows in `db` and its bodies in the bucket.
   */
  shared: { db: string; blobs: string; s3Endpoint: string; env: Record<string, string> } | null = null;
  /** The hubs of two-hub mode, by port. */
  readonly hubs = new Map<number, CliProcess>();

  get hubData(): string {
    return join(this.root.path, 'hub');
  }

  async createAccounts(names: string[]): Promise<void> {
    for (const name of names) {
      const result = await runCli([
        'hub',
        'user',
        'add',
        name,
        '--password',
        `pw-${name}`,
        '--data',
        this.hubData,
        ...(this.shared ? ['--db', this.shared.db] : []),
      ]);
      if (result.code !== 0) throw new Error(`user add ${name} failed: ${result.stderr}`);
    }
  }

  /** Starts the hub (again, after a kill: on the same port and data); `extra` flags and `env` for its variants. */
  async startHub(options: { extra?: string[]; env?: Record<string, string> } = {}): Promise<void> {
    // A first start on a port found free may lose it to another test file meanwhile: then it takes another one.
    if (!this.hubPort) {
      for (let attempt = 1; ; attempt += 1) {
        this.hubPort = await freePort();
        try {
          return await this.startHubOnce(options);
        } catch (error) {
          if (attempt >= 3 || !/already in use/.test(this.hub?.stderr ?? '')) throw error;
        }
      }
    }
    await this.startHubOnce(options);
  }

  private async startHubOnce(options: { extra?: string[]; env?: Record<string, string> }): Promise<void> {
    this.hub = this.track(
      new CliProcess(
        [
          'hub',
          '--listen',
          `127.0.0.1:${this.hubPort}`,
          '--data',
          this.hubData,
          '--metrics-token',
          this.metricsToken,
          ...(options.extra ?? []),
        ],
        { env: options.env },
      ),
    );
    await this.hub.waitForLine(/roomfiles hub listening/, STARTUP_MS);
  }

  /** Two-hub mode: one more hub process on the shared database and bucket (again on `port`, after a kill). */
  async startSharedHub(port?: number): Promise<{ port: number; proc: CliProcess }> {
    const shared = this.shared;
    if (!shared) throw new Error('startSharedHub needs cluster.shared');
    const hubPort = port ?? (await freePort());
    const proc = this.track(
      new CliProcess(
        [
          'hub',
          '--listen',
          `127.0.0.1:${hubPort}`,
          '--data',
          join(this.root.path, `hub-${hubPort}`),
          '--db',
          shared.db,
          '--blobs',
          shared.blobs,
          '--s3-endpoint',
          shared.s3Endpoint,
          '--s3-force-path-style',
          '--metrics-token',
          this.metricsToken,
        ],
        { env: shared.env },
      ),
    );
    this.hubs.set(hubPort, proc);
    await proc.waitForLine(/roomfiles hub listening/, STARTUP_MS);
    return { port: hubPort, proc };
  }

  /** Starts a room logged in to the hub; `hubPort` sends its link and bodies elsewhere (a relay in front of the hub). */
  async startRoom(name: string, extra: string[] = [], hubPort = this.hubPort): Promise<RoomProcess> {
    const dataDir = join(this.root.path, name);
    const proc = this.track(
      new CliProcess(
        roomArgs({
          name,
          data: dataDir,
          hubPort,
          login: `${name}@files.local`,
          password: `pw-${name}`,
          extra,
        }),
      ),
    );
    const match = await proc.waitForLine(/listening: web \S+ api (\d+) http (\d+)/, STARTUP_MS);
    const room = { name, proc, apiPort: Number(match[1]), httpPort: Number(match[2]), dataDir };
    this.rooms.set(name, room);
    return room;
  }

  /** An authorized API connection to a room process, once that room is logged in to the hub. */
  async connect(name: string): Promise<RoomConnection & { tokenForHttpServer: string }> {
    const room = this.rooms.get(name)!;
    const connection = await openRoomConnection(`ws://127.0.0.1:${room.apiPort}/`);
    this.connections.push(connection);
    const auth = await connection.call('auth', { type: 'unsecured' });
    await untilLoggedIn(connection, 30_000);
    return Object.assign(connection, { tokenForHttpServer: auth.tokenForHttpServer });
  }

  async hubStats(): Promise<{
    bytesReceived: number;
    bytesSent: number;
    receivedByBlob: Record<string, number>;
  }> {
    const response = await fetch(`http://127.0.0.1:${this.hubPort}/stats`, {
      headers: { authorization: `Bearer ${this.metricsToken}` },
    });
    return (await response.json()) as never;
  }

  private track(proc: CliProcess): CliProcess {
    this.processes.add(proc);
    return proc;
  }

  async close(): Promise<void> {
    if (!unclosed.delete(this)) return;
    for (const connection of this.connections) connection.close();
    // Tests may also set `hub` or a room's process themselves (a hub with other flags): those are killed too.
    const all = new Set([
      ...this.processes,
      ...[...this.rooms.values()].map((room) => room.proc),
      ...this.hubs.values(),
    ]);
    if (this.hub) all.add(this.hub);
    for (const proc of all) await proc.kill();
    this.root.cleanup();
  }
}

/** Streams a file to a room's built-in HTTP server (raw body upload); resolves to the new fileId. */
export function uploadFile(httpPort: number, token: string, path: string, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: httpPort,
        method: 'POST',
        path: `/files/?token=${encodeURIComponent(token)}&name=${encodeURIComponent(name)}`,
        headers: { 'content-type': 'application/octet-stream' },
      },
      (response) => {
        const answered = async () => {
          let text = '';
          for await (const chunk of response) text += chunk;
          if (response.statusCode !== 200) throw new Error(`upload failed ${response.statusCode}: ${text}`);
          return (JSON.parse(text) as { fileId: number }).fileId;
        };
        answered().then(resolve, reject);
      },
    );
    req.on('error', reject);
    pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), req).catch(reject);
  });
}

/** The sha256 of a file downloaded from a room's built-in HTTP server, streamed. */
export function downloadSha256(httpPort: number, token: string, fileId: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: httpPort, path: `/files/${fileId}?token=${encodeURIComponent(token)}` },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new Error(`download failed ${response.statusCode}`));
          return;
        }
        sha256OfStream(response).then(resolve, reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Overwrites the last 9 bytes of a file in place (same size): a stored body that no longer matches its sha256. */
export async function corruptTail(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const { size } = await handle.stat();
    await handle.write(Buffer.from('CORRUPTED'), 0, 9, size - 9);
  } finally {
    await handle.close();
  }
}
