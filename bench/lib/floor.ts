import { mkdir, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { BenchChild, startServer } from './children.js';
import { secondsSince } from './stats.js';
import { sha256Of } from './files.js';
import { CpuMeter, type CpuSeconds } from '../rss.js';

/**
 * The floor of rows 3 and 4a: a sender, a bare relay and N recipients, each its own process, doing only the work
 * a relayed delivery cannot skip (two HTTP hops; the relay writes and hashes the body it keeps; every recipient
 * writes, hashes and syncs it). Run next to roomfiles and the plain copy, it tells how much of a row's time is the
 * machine's for that work, whatever program does it.
 */
export class FloorChain {
  private constructor(
    private readonly relay: BenchChild & { port: number },
    private readonly sender: BenchChild,
    private readonly recipients: BenchChild[],
    private readonly dir: string,
  ) {}

  static async start(dir: string, recipients: number): Promise<FloorChain> {
    await mkdir(dir, { recursive: true });
    const relay = await startServer('baselines/floor-relay', [dir]);
    const peers = Array.from({ length: recipients + 1 }, () => new BenchChild('workers/floor-peer'));
    await Promise.all(peers.map((peer) => peer.next('ready')));
    return new FloorChain(relay, peers[0], peers.slice(1), dir);
  }

  /**
   * One delivery of `file` to the first `count` recipients (all by default); its time from the first byte sent to
   * the last recipient synced.
   */
  async deliver(
    file: string,
    size: number,
    count = this.recipients.length,
  ): Promise<{ seconds: number; cpu: Record<string, CpuSeconds> }> {
    const sha256 = await sha256Of(file);
    const recipients = this.recipients.slice(0, count);
    const waiting = recipients.map((peer, i) =>
      peer.ask(
        { type: 'receive', port: this.relay.port, size, dest: `${this.dir}/received-${i}.bin` },
        'waiting',
      ),
    );
    await Promise.all(waiting);
    const pids: Record<string, number> = { relay: this.relay.pid, sender: this.sender.pid };
    recipients.forEach((peer, i) => (pids[`recipient ${i + 1}`] = peer.pid));
    const cpu = new CpuMeter(pids).start();
    const start = performance.now();
    const received = recipients.map((peer) => peer.next<{ type: 'received'; sha256: string }>('received'));
    const sent = await this.sender.ask<{ type: 'sent'; status: number }>(
      { type: 'send', port: this.relay.port, file, sha256 },
      'sent',
    );
    const hashes = await Promise.all(received);
    const seconds = secondsSince(start);
    const used = cpu.stop();
    if (sent.status !== 204) throw new Error(`the floor relay answered ${sent.status}`);
    for (const got of hashes) {
      if (got.sha256 !== sha256) throw new Error('a floor recipient got other bytes than were sent');
    }
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true });
    return { seconds, cpu: used };
  }

  async stop(): Promise<void> {
    await Promise.all([this.relay, this.sender, ...this.recipients].map((child) => child.stop()));
  }
}
