import { performance } from 'node:perf_hooks';
import { BenchCluster, incomingDone } from './lib/fixture.js';
import { FloorChain } from './lib/floor.js';
import { TusChain, type PeerDelivery } from './lib/tus-chain.js';
import { getSha256 } from './lib/http-client.js';
import { BenchFiles, restamp, sha256Of } from './lib/files.js';
import { sizeLabel, type BenchConfig } from './lib/config.js';
import { median, secondsSince } from './lib/stats.js';
import { fmt, log } from './lib/log.js';
import { makeRow, type BenchRow } from './report.js';
import { alternate } from './pair.js';
import { PEER_TARGETS } from './peers.js';
import { CpuMeter, describeCpu, medianCpu, type CpuSeconds } from './rss.js';

export function fanoutName(config: BenchConfig): string {
  return (
    `12. conference send of ${sizeLabel(config.conferenceSize)} to ${config.participants}: roomfiles vs ` +
    `tus upload, then ${config.participants} downloads`
  );
}

/**
 * Row 12: roomfiles' conference send to every participant of a named conference (the rooms of `cluster` have
 * joined it), next to the tus peer's fan-out (`lib/tus-chain.ts`: one upload to `@tus/server`, then a GET of it
 * by each recipient, all at once, each in its own process) and the floor to as many recipients, in the same runs,
 * on the same file. Every received copy's sha256 is checked.
 */
export async function fanoutRow(
  config: BenchConfig,
  files: BenchFiles,
  cluster: BenchCluster,
  senderName: string,
  participants: string[],
): Promise<BenchRow> {
  const size = config.conferenceSize;
  const source = await files.file(size);
  const tus = await TusChain.start(files.path('tus-fanout'), participants.length);
  const floor = await FloorChain.start(files.path('floor-fanout'), participants.length);
  try {
    const sender = cluster.room(senderName);
    const room: { seconds: number; cpu: Record<string, CpuSeconds> }[] = [];
    const peer: PeerDelivery[] = [];
    const floors: number[] = [];
    const pids = () => ({
      hub: cluster.hubPid,
      sender: cluster.pidOf(senderName),
      ...Object.fromEntries(participants.map((p) => [p, cluster.pidOf(p)])),
    });
    /** The sender, the server, and every recipient's CPU seconds added up. */
    const summed = (used: Record<string, CpuSeconds>, server: string, sending: string) => {
      const others = Object.entries(used).filter(([name]) => name !== server && name !== sending);
      return {
        [server]: used[server],
        [sending]: used[sending],
        recipients: {
          total: others.reduce((sum, [, cpu]) => sum + cpu.total, 0),
          sys: others.reduce((sum, [, cpu]) => sum + cpu.sys, 0),
        },
      };
    };
    for (let run = 0; run < config.runs; run += 1) {
      await restamp(source);
      const sha256 = await sha256Of(source);
      floors.push((await floor.deliver(source, size)).seconds);
      await alternate(
        run,
        async () => {
          const name = `fanout-${run}.bin`;
          const fileId = await cluster.upload(senderName, source, name);
          const done = participants.map((p) => incomingDone(cluster.room(p).conn, name));
          const cpu = new CpuMeter(pids()).start();
          const start = performance.now();
          await sender.conn.call('sendFileToConference', { fileId });
          const events = await Promise.all(done);
          room.push({ seconds: secondsSince(start), cpu: summed(cpu.stop(), 'hub', 'sender') });
          for (const [i, p] of participants.entries()) {
            const path = `/files/${Number(events[i].fileId)}${await cluster.query(p)}`;
            const got = await getSha256(cluster.room(p).httpPort, path);
            if (got !== sha256) throw new Error(`${p}'s copy has sha256 ${got}, not the ${sha256} sent`);
          }
          await Promise.all([senderName, ...participants].map((p) => cluster.clear(p)));
        },
        async () => {
          const delivered = await tus.deliver(source, size, sha256);
          peer.push({ ...delivered, cpu: summed(delivered.cpu, 'server', 'uploader') });
        },
      );
      log(
        `fan-out run ${run + 1}: roomfiles ${fmt(room[run].seconds)} s (CPU s ${describeCpu(room[run].cpu)}), ` +
          `tus ${fmt(peer[run].seconds)} s (upload ${fmt(peer[run].uploadSeconds)} s; CPU s ` +
          `${describeCpu(peer[run].cpu)}), floor ${fmt(floors[run])} s`,
      );
    }
    return makeRow({
      name: fanoutName(config),
      unit: 's',
      values: room.map((r) => r.seconds),
      baselines: peer.map((p) => p.seconds),
      target: PEER_TARGETS.delivery.text,
      meets: PEER_TARGETS.delivery.meets,
      floors,
      floorWhat: `the same delivery by the least program that streams it (bench/lib/floor.ts), to ${participants.length}`,
      note:
        `roomfiles: from sendFileToConference until all ${participants.length} have status 3; baseline: ` +
        `tus-js-client upload to @tus/server, then ${participants.length} concurrent GETs of it (upload done at ` +
        `${fmt(median(peer.map((p) => p.uploadSeconds)))} s); CPU seconds (median): roomfiles ` +
        `${describeCpu(medianCpu(room.map((r) => r.cpu)))}; tus ${describeCpu(medianCpu(peer.map((p) => p.cpu)))}`,
    });
  } finally {
    await Promise.all([tus.stop(), floor.stop()]);
  }
}
