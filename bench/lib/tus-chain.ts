import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BenchChild, startServer } from './children.js';
import { secondsSince } from './stats.js';
import { CpuMeter, type CpuSeconds } from '../rss.js';

/** One body through the peer: from the upload's start to the last recipient synced. */
export interface PeerDelivery {
  seconds: number;
  /** From the upload's start until tus-js-client reported it done (the server holds the whole file). */
  uploadSeconds: number;
  cpu: Record<string, CpuSeconds>;
}

/** How long one step of a delivery may take before the benchmark gives up on it (a 1 GiB body on a busy machine). */
const STEP_TIMEOUT_MS = 600_000;

/**
 * The peer of rows 10–13, the way a tus-based system delivers a file through a server: the sender's client uploads
 * it to `@tus/server` with `tus-js-client`, and once the upload is complete, each recipient's client downloads it
 * with a GET of the upload's URL. The server and every client are separate processes, as roomfiles' hub and rooms
 * are; each recipient writes, hashes and syncs the body, as a room does (`workers/tus-peer.ts`).
 */
export class TusChain {
  private constructor(
    private readonly server: BenchChild & { port: number },
    private readonly uploader: BenchChild,
    private readonly recipients: BenchChild[],
    private readonly dir: string,
  ) {}

  static async start(dir: string, recipients: number): Promise<TusChain> {
    await mkdir(join(dir, 'received'), { recursive: true });
    const server = await startServer('baselines/tus-server', [join(dir, 'store')]);
    const clients = Array.from({ length: recipients + 1 }, () => new BenchChild('workers/tus-peer'));
    try {
      await Promise.all(clients.map((client) => client.next('ready')));
    } catch (error) {
      await Promise.all([server, ...clients].map((child) => child.stop()));
      throw error;
    }
    return new TusChain(server, clients[0], clients.slice(1), dir);
  }

  get serverPid(): number {
    return this.server.pid;
  }

  /** The port of the tus server (the resume row puts its cut proxy in front of it). */
  get serverPort(): number {
    return this.server.port;
  }

  /**
   * One delivery of `file` to the first `count` recipients (all by default). The upload goes to `uploadPort` (the
   * server's own by default; the resume row's cut proxy), the downloads straight to the server. Throws unless every
   * recipient got `size` bytes with the sha256 given. What the server stored and the recipients wrote is removed
   * afterwards.
   */
  async deliver(
    file: string,
    size: number,
    sha256: string,
    options: { count?: number; uploadPort?: number } = {},
  ): Promise<PeerDelivery> {
    const recipients = this.recipients.slice(0, options.count ?? this.recipients.length);
    const pids: Record<string, number> = { server: this.server.pid, uploader: this.uploader.pid };
    recipients.forEach((peer, i) => (pids[`recipient ${i + 1}`] = peer.pid));
    const cpu = new CpuMeter(pids).start();
    const start = performance.now();
    const uploaded = await this.uploader.ask<{ type: 'uploaded'; url: string }>(
      {
        type: 'upload',
        endpoint: `http://127.0.0.1:${options.uploadPort ?? this.server.port}/files/`,
        file,
        name: basename(file),
      },
      'uploaded',
      STEP_TIMEOUT_MS,
    );
    const uploadSeconds = secondsSince(start);
    const path = new URL(uploaded.url).pathname;
    const received = await Promise.all(
      recipients.map((peer, i) =>
        peer.ask<{ type: 'received'; sha256: string; bytes: number }>(
          {
            type: 'receive',
            url: `http://127.0.0.1:${this.server.port}${path}`,
            dest: join(this.dir, 'received', `${i + 1}.bin`),
          },
          'received',
          STEP_TIMEOUT_MS,
        ),
      ),
    );
    const seconds = secondsSince(start);
    const used = cpu.stop();
    const id = basename(path);
    await Promise.all([
      rm(join(this.dir, 'store', id), { force: true }),
      rm(join(this.dir, 'store', `${id}.json`), { force: true }),
      rm(join(this.dir, 'received'), { recursive: true, force: true }),
    ]);
    await mkdir(join(this.dir, 'received'), { recursive: true });
    for (const got of received) {
      if (got.bytes !== size || got.sha256 !== sha256)
        throw new Error(`a tus recipient got ${got.bytes} bytes with another sha256 than were sent`);
    }
    return { seconds, uploadSeconds, cpu: used };
  }

  async stop(): Promise<void> {
    await Promise.all([this.server, this.uploader, ...this.recipients].map((child) => child.stop()));
  }
}
