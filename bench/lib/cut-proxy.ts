import { startServer, type BenchChild } from './children.js';

/**
 * The parent's side of `workers/cut-proxy.ts`: a TCP relay in front of a server that counts what clients send
 * through it and destroys, once per `arm`, the connection that has carried `cutAt` bytes. The resume row puts it
 * between each sender (roomfiles' room, the tus client) and its server.
 */
export class CutProxy {
  private constructor(private readonly child: BenchChild & { port: number }) {}

  static async start(targetPort: number): Promise<CutProxy> {
    return new CutProxy(await startServer('workers/cut-proxy', [String(targetPort)]));
  }

  /** Where clients connect instead of the server. */
  get port(): number {
    return this.child.port;
  }

  /** Counts from zero again, and cuts the first connection to carry `cutAt` bytes from now on (none: null). */
  async arm(cutAt: number | null): Promise<void> {
    await this.child.ask({ type: 'arm', cutAt }, 'armed');
  }

  /** Bytes clients sent through the relay since `arm`, and whether a connection was cut. */
  async report(): Promise<{ sent: number; cut: boolean }> {
    return this.child.ask<{ type: 'report'; sent: number; cut: boolean }>({ type: 'report' }, 'report');
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}
