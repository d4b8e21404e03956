import { performance } from 'node:perf_hooks';
import { BenchCluster, incomingDone, whenDone } from './lib/fixture.js';
import { CutProxy } from './lib/cut-proxy.js';
import { FloorChain } from './lib/floor.js';
import { TusChain, type PeerDelivery } from './lib/tus-chain.js';
import { getSha256 } from './lib/http-client.js';
import { BenchFiles, restamp, sha256Of } from './lib/files.js';
import { sizeLabel, type BenchConfig } from './lib/config.js';
import { median, MiB, secondsSince } from './lib/stats.js';
import { fmt, log } from './lib/log.js';
import { failedRow, makeRow, type BenchRow } from './report.js';
import { alternate, attempt } from './pair.js';
import { CpuMeter, RssSampler, describeCpu, medianCpu, rssOf, type CpuSeconds } from './rss.js';

/** A target in words (the table's) and as the test of a row's median value and ratio to the peer. */
export interface PeerTarget {
  text: string;
  meets: (value: number, ratio: number | null) => boolean;
}

/** The targets of the rows that compare roomfiles with the tus peer (issue 15). */
export const PEER_TARGETS: Record<'delivery' | 'resumeTime' | 'resentBytes', PeerTarget> = {
  /** Rows 10 and 12: roomfiles streams to the recipients while the sender uploads; the peer stores, then forwards. */
  delivery: {
    text: "≤ 0.6 × the peer's time",
    meets: (_value: number, ratio: number | null) => ratio !== null && ratio <= 0.6,
  },
  /** Row 11a: a resumed delivery done no later than the peer's. */
  resumeTime: {
    text: "≤ the peer's time",
    meets: (_value: number, ratio: number | null) => ratio !== null && ratio <= 1,
  },
  /** Row 11b: what is lost at a cut is at most the hub's one write batch (FileSink's 4 MiB high-water mark). */
  resentBytes: {
    text: '≤ 4 MiB (one write batch)',
    meets: (value: number) => value <= 4,
  },
};

/** One roomfiles delivery as the bench measures it. */
interface RoomDelivery {
  /** From sendFile until the recipient's status 3. */
  seconds: number;
  /** Until the sender's status 3: the hub holds the whole body (the upload leg). */
  senderSeconds: number;
  cpu: Record<string, CpuSeconds>;
}

/**
 * Rows 10, 11a, 11b and 13: roomfiles next to the tus peer (`lib/tus-chain.ts`), in the same runs, on the same
 * files, each received copy's sha256 checked. One hub with three rooms, each a separate process: alice sends to
 * bob directly; carol reaches the hub through a cut proxy (`lib/cut-proxy.ts`), as the tus client reaches its
 * server through another, for the resume row.
 */
export async function peerRows(
  config: BenchConfig,
  files: BenchFiles,
  only: Set<number>,
): Promise<BenchRow[]> {
  const size = config.bodySize;
  const label = sizeLabel(size);
  const names = {
    delivery: `10. delivery ${label}: roomfiles alice → hub → bob vs tus upload, then download`,
    resumeTime: `11a. the same, the upload cut at 50 % and resumed: time`,
    resentBytes: `11b. the same: bytes sent again`,
    memory: `13. memory: RSS growth of the hub vs the tus server during the ${label} delivery`,
  };
  const memoryTarget = `< ${config.memoryLimitMiB} MiB growth over RSS at rest (row 8's limit)`;
  const rows: BenchRow[] = [];
  let cluster: BenchCluster | null = null;
  const stoppable: { stop(): Promise<void> }[] = [];
  try {
    const source = await files.file(size);
    const resume = only.has(11);
    cluster = await BenchCluster.start(['alice', 'bob'], { moreAccounts: resume ? ['carol'] : [] });
    const tus = await TusChain.start(files.path('tus'), 1);
    stoppable.push(tus);
    const pair = cluster;
    const bob = pair.room('bob');
    log('peers: roomfiles and the tus peer up');

    /** One roomfiles delivery of `source` (new content, uploaded to `from` untimed) to bob, his copy checked. */
    const roomDelivery = async (from: string, sha256: string): Promise<RoomDelivery> => {
      const sender = pair.room(from);
      const name = `peer-${from}-${Date.now()}.bin`;
      const fileId = await pair.upload(from, source, name);
      const done = incomingDone(bob.conn, name);
      let start = 0;
      const sent = whenDone(sender.conn, (e) => e.directionType === 1 && e.fileName === name).then(() =>
        secondsSince(start),
      );
      sent.catch(() => undefined);
      const cpu = new CpuMeter({
        hub: pair.hubPid,
        [from]: pair.pidOf(from),
        bob: pair.pidOf('bob'),
      }).start();
      start = performance.now();
      await sender.conn.call('sendFile', { fileId, peerId: bob.peerId });
      const event = await done;
      const seconds = secondsSince(start);
      const used = cpu.stop();
      const senderSeconds = await sent;
      const received = Number(event.fileId);
      const got = await getSha256(bob.httpPort, `/files/${received}${await pair.query('bob')}`);
      await Promise.all([pair.clear(from), pair.clear('bob')]);
      if (got !== sha256) throw new Error(`bob's copy has sha256 ${got}, not the ${sha256} sent`);
      return { seconds, senderSeconds, cpu: used };
    };

    if (only.has(10) || only.has(13)) {
      try {
        const floor = await FloorChain.start(files.path('floor'), 1);
        stoppable.push(floor);
        const rest = { hub: rssOf(pair.hubPid), server: rssOf(tus.serverPid) };
        const room: RoomDelivery[] = [];
        const peer: PeerDelivery[] = [];
        const floors: number[] = [];
        const growth = { hub: [] as number[], server: [] as number[] };
        for (let run = 0; run < config.runs; run += 1) {
          await restamp(source);
          const sha256 = await sha256Of(source);
          floors.push((await floor.deliver(source, size)).seconds);
          await alternate(
            run,
            async () => {
              // The hub has no part in alice's upload to her own room: sampling it too changes nothing.
              const rss = new RssSampler({ hub: pair.hubPid });
              rss.start(50);
              try {
                room.push(await roomDelivery('alice', sha256));
              } finally {
                rss.stop();
              }
              growth.hub.push((rss.peak.get('hub')! - rest.hub) / MiB);
            },
            async () => {
              const rss = new RssSampler({ server: tus.serverPid });
              rss.start(50);
              try {
                peer.push(await tus.deliver(source, size, sha256));
              } finally {
                rss.stop();
              }
              growth.server.push((rss.peak.get('server')! - rest.server) / MiB);
            },
          );
          log(
            `peer delivery run ${run + 1}: roomfiles ${fmt(room[run].seconds)} s (alice done ` +
              `${fmt(room[run].senderSeconds)} s; CPU s ${describeCpu(room[run].cpu)}), tus ` +
              `${fmt(peer[run].seconds)} s (upload ${fmt(peer[run].uploadSeconds)} s; CPU s ` +
              `${describeCpu(peer[run].cpu)}), floor ${fmt(floors[run])} s; RSS growth hub ` +
              `${fmt(growth.hub[run])} MiB, tus server ${fmt(growth.server[run])} MiB`,
          );
        }
        if (only.has(10)) {
          rows.push(
            makeRow({
              name: names.delivery,
              unit: 's',
              values: room.map((d) => d.seconds),
              baselines: peer.map((d) => d.seconds),
              target: PEER_TARGETS.delivery.text,
              meets: PEER_TARGETS.delivery.meets,
              floors,
              floorWhat: 'the same delivery by the least program that streams it (bench/lib/floor.ts)',
              note:
                `baseline: @tus/server + @tus/file-store, tus-js-client upload, then a GET by the recipient ` +
                `(bench/lib/tus-chain.ts); roomfiles: from sendFile to bob's status 3, alice's status 3 at ` +
                `${fmt(median(room.map((d) => d.senderSeconds)))} s; tus upload done at ` +
                `${fmt(median(peer.map((d) => d.uploadSeconds)))} s; CPU seconds (median): roomfiles ` +
                `${describeCpu(medianCpu(room.map((d) => d.cpu)))}; tus ${describeCpu(medianCpu(peer.map((d) => d.cpu)))}`,
            }),
          );
        }
        if (only.has(13)) {
          rows.push(
            makeRow({
              name: names.memory,
              unit: 'MiB',
              values: growth.hub,
              baselines: growth.server,
              target: memoryTarget,
              meets: (value) => value < config.memoryLimitMiB,
              note:
                `peak RSS sampled every 50 ms during each run of row 10, over the RSS of the process just ` +
                `started: hub at rest ${fmt(rest.hub / MiB)} MiB, tus server at rest ${fmt(rest.server / MiB)} MiB`,
            }),
          );
        }
      } catch (error) {
        log(`FAILED rows 10, 13: ${error instanceof Error ? error.message : String(error)}`);
        if (only.has(10)) rows.push(failedRow(names.delivery, 's', PEER_TARGETS.delivery.text, error));
        if (only.has(13)) rows.push(failedRow(names.memory, 'MiB', memoryTarget, error));
      }
    }

    if (resume) {
      await attempt(
        rows,
        [names.resumeTime, names.resentBytes],
        's',
        PEER_TARGETS.resumeTime.text,
        async () => {
          const hubProxy = await CutProxy.start(pair.cluster.hubPort);
          stoppable.push(hubProxy);
          const tusProxy = await CutProxy.start(tus.serverPort);
          stoppable.push(tusProxy);
          await pair.startRoom('carol', { hubPort: hubProxy.port });
          const room: RoomDelivery[] = [];
          const peer: PeerDelivery[] = [];
          const resent = { room: [] as number[], peer: [] as number[] };
          /** Bytes sent through the proxy beyond the body's size; throws unless the cut happened. */
          const sentAgain = async (proxy: CutProxy, who: string) => {
            const report = await proxy.report();
            if (!report.cut) throw new Error(`${who}'s upload was not cut (it sent ${report.sent} bytes)`);
            return (report.sent - size) / MiB;
          };
          for (let run = 0; run < config.runs; run += 1) {
            await restamp(source);
            const sha256 = await sha256Of(source);
            await alternate(
              run,
              async () => {
                // carol's untimed upload to her own room does not go through the proxy: only her link to the hub does.
                await hubProxy.arm(size / 2);
                room.push(await roomDelivery('carol', sha256));
                resent.room.push(await sentAgain(hubProxy, 'carol'));
              },
              async () => {
                await tusProxy.arm(size / 2);
                peer.push(await tus.deliver(source, size, sha256, { uploadPort: tusProxy.port }));
                resent.peer.push(await sentAgain(tusProxy, 'the tus client'));
              },
            );
            log(
              `resume run ${run + 1}: roomfiles ${fmt(room[run].seconds)} s (carol done ` +
                `${fmt(room[run].senderSeconds)} s), sent again ${fmt(resent.room[run])} MiB; tus ` +
                `${fmt(peer[run].seconds)} s (upload ${fmt(peer[run].uploadSeconds)} s), sent again ` +
                `${fmt(resent.peer[run])} MiB`,
            );
          }
          const how =
            'the connection carrying the body is destroyed by a TCP relay (bench/workers/cut-proxy.ts) once the ' +
            "sender has sent half the body through it; both senders retry on their own and at once (the room's " +
            "first retry after a cut has no delay; tus-js-client's first retry delay is 0 ms), ask the " +
            "server's offset and send the rest";
          return [
            makeRow({
              name: names.resumeTime,
              unit: 's',
              values: room.map((d) => d.seconds),
              baselines: peer.map((d) => d.seconds),
              target: PEER_TARGETS.resumeTime.text,
              meets: PEER_TARGETS.resumeTime.meets,
              note:
                `${how}; upload leg (median): carol's status 3 at ${fmt(median(room.map((d) => d.senderSeconds)))} s, ` +
                `tus upload done at ${fmt(median(peer.map((d) => d.uploadSeconds)))} s`,
            }),
            makeRow({
              name: names.resentBytes,
              unit: 'MiB',
              values: resent.room,
              baselines: resent.peer,
              target: PEER_TARGETS.resentBytes.text,
              meets: PEER_TARGETS.resentBytes.meets,
              note:
                'bytes the sender sent through the relay beyond the body size: what was in flight at the cut and ' +
                'sent again, plus the protocol around the body (HTTP headers, the offset query; for roomfiles also ' +
                "the room's link messages in that time)",
            }),
          ];
        },
      );
    }
  } catch (error) {
    // The fixture itself failed: every row asked and not yet reported is reported as failed.
    for (const [row, name, unit, target] of [
      [10, names.delivery, 's', PEER_TARGETS.delivery.text],
      [11, names.resumeTime, 's', PEER_TARGETS.resumeTime.text],
      [11, names.resentBytes, 'MiB', PEER_TARGETS.resentBytes.text],
      [13, names.memory, 'MiB', memoryTarget],
    ] as const) {
      if (only.has(row) && !rows.some((r) => r.name === name))
        rows.push(failedRow(name, unit, target, error));
    }
  } finally {
    for (const child of stoppable) await child.stop();
    await cluster?.close();
  }
  return rows;
}
