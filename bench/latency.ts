import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Room } from '../src/room/room.js';
import { silentLogger } from '../src/common/logger.js';
import { openRoomConnection, type RoomConnection } from '../src/client/index.js';
import { BenchCluster, incomingDone } from './lib/fixture.js';
import { loggedIn } from '../test/helpers/harness.js';
import { BenchChild } from './lib/children.js';
import { FloorChain } from './lib/floor.js';
import { BenchFiles, restamp } from './lib/files.js';
import { sizeLabel, type BenchConfig } from './lib/config.js';
import { percentile, secondsSince, MiB } from './lib/stats.js';
import { failedRow, makeRow, type BenchRow } from './report.js';
import { fmt, log } from './lib/log.js';

/** The event-loop delay histogram's sampling interval: a reading above it is a stall of (reading − interval). */
const RESOLUTION_MS = 10;
const SAMPLE_INTERVAL_MS = 20;
const floorWhat =
  'the same room idle while the least program doing a delivery (bench/lib/floor.ts) moves the body beside it';

/**
 * Row 7: the Room API's latency while the room receives a large body, with many clients connected. The room
 * measured (bob, the recipient: it writes, hashes and verifies the body) runs inside this process, so that its
 * event loop can be watched with `monitorEventLoopDelay`; the hub and the sender (alice) are separate processes,
 * and so are the clients (workers/api-latency), `latencySamplers` of which time `getAppState` round trips.
 * Baseline: the same measurement, for as long, with the room idle. Floor: the same measurement with the room idle
 * while the least program doing a delivery's work (lib/floor.ts) moves the same body between three other processes:
 * the latency this machine gives a room that does nothing but answer, while a delivery runs beside it.
 */
export async function latencyRows(config: BenchConfig, files: BenchFiles): Promise<BenchRow[]> {
  const label = sizeLabel(config.latencyBodySize);
  const names = {
    p99: `7a. API p99 (getAppState) during a ${label} delivery, ${config.latencyClients} clients`,
    stall: `7b. longest event-loop stall of the receiving room during it`,
  };
  const targets = { p99: '< 5 ms (baseline: idle room)', stall: '< 50 ms (baseline: idle room)' };
  let cluster: BenchCluster | null = null;
  let bob: Room | null = null;
  let bobConn: RoomConnection | null = null;
  let clients: BenchChild | null = null;
  let floor: FloorChain | null = null;
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  try {
    const source = await files.file(config.latencyBodySize);
    cluster = await BenchCluster.start(['alice'], { moreAccounts: ['bob'] });
    const hubPort = cluster.cluster.hubPort;
    bob = new Room({
      name: 'bob',
      dataDir: join(cluster.root, 'bob-in-process'),
      webPort: 0,
      apiPort: 0,
      httpPort: 0,
      logger: silentLogger,
      server: { host: '127.0.0.1', port: hubPort },
      login: { login: 'bob@files.local', password: 'pw-bob' },
      quotaBytes: 200 * 1024 * MiB,
    });
    await bob.start();
    await loggedIn(bob, 30_000);
    const conn = await openRoomConnection(`ws://127.0.0.1:${bob.apiPort}/`);
    bobConn = conn;
    await conn.call('setUsedApiVersion', { version: '2' });
    await conn.call('auth', { type: 'unsecured' });
    conn.on('receivedFileRequest', (event) => {
      conn.call('acceptIncomingFileRequest', { fileRequestId: event.fileRequestId }).catch(() => undefined);
    });
    clients = new BenchChild('workers/api-latency');
    await clients.next('ready');
    const connected = await clients.ask<{ type: 'connected'; count: number }>(
      { type: 'connect', url: `ws://127.0.0.1:${bob.apiPort}/`, clients: config.latencyClients },
      'connected',
    );
    log(`latency: ${connected.count} clients connected to the in-process room`);
    histogram.enable();

    const window = async (during: () => Promise<void>) => {
      histogram.reset();
      await clients!.ask(
        { type: 'sample', samplers: config.latencySamplers, intervalMs: SAMPLE_INTERVAL_MS },
        'sampling',
      );
      await during();
      const result = await clients!.ask<{ type: 'samples'; rtts: number[]; errors: number; open: number }>(
        { type: 'stop' },
        'samples',
      );
      const stall = Math.max(0, histogram.max / 1e6 - RESOLUTION_MS);
      if (result.errors > 0) throw new Error(`${result.errors} getAppState calls failed`);
      if (result.open < config.latencyClients) {
        throw new Error(`only ${result.open} of ${config.latencyClients} clients still connected`);
      }
      return {
        p99: percentile(result.rtts, 99),
        max: Math.max(...result.rtts),
        samples: result.rtts.length,
        stall,
      };
    };

    floor = await FloorChain.start(files.path('floor'), 1);
    const p99 = { values: [] as number[], baselines: [] as number[], floors: [] as number[] };
    const stall = { values: [] as number[], baselines: [] as number[], floors: [] as number[] };
    const seconds: number[] = [];
    const alice = cluster.room('alice');
    for (let run = 0; run < config.runs; run += 1) {
      await restamp(source);
      const name = `latency-${run}.bin`;
      const fileId = await cluster.upload('alice', source, name);
      const idle = await window(() => sleep(config.latencyIdleMs));
      const beside = await window(async () => {
        await floor!.deliver(source, config.latencyBodySize);
      });
      let elapsed = 0;
      const busy = await window(async () => {
        const done = incomingDone(conn, name);
        const start = performance.now();
        await alice.conn.call('sendFile', { fileId, peerId: 'bob@files.local' });
        const event = await done;
        elapsed = secondsSince(start);
        await conn.call('deleteFileTransferFile', { fileId: Number(event.fileId) });
      });
      await alice.conn.call('deleteFileTransferFile', { fileId }).catch(() => undefined);
      p99.values.push(busy.p99);
      p99.baselines.push(idle.p99);
      stall.values.push(busy.stall);
      stall.baselines.push(idle.stall);
      p99.floors.push(beside.p99);
      stall.floors.push(beside.stall);
      seconds.push(elapsed);
      log(
        `latency run ${run + 1}: during ${fmt(elapsed)} s delivery p99 ${fmt(busy.p99)} ms (max ${fmt(busy.max)}, ` +
          `${busy.samples} samples), stall ${fmt(busy.stall)} ms; idle p99 ${fmt(idle.p99)} ms, stall ` +
          `${fmt(idle.stall)} ms; idle beside the floor chain p99 ${fmt(beside.p99)} ms, stall ${fmt(beside.stall)} ms`,
      );
    }
    return [
      makeRow({
        name: names.p99,
        unit: 'ms',
        ...p99,
        target: targets.p99,
        meets: (value) => value < 5,
        floorWhat,
        note:
          `deliveries took ${seconds.map(fmt).join(', ')} s; ${config.latencySamplers} samplers, one call each per ` +
          `${SAMPLE_INTERVAL_MS} ms`,
      }),
      makeRow({
        name: names.stall,
        unit: 'ms',
        ...stall,
        target: targets.stall,
        meets: (value) => value < 50,
        floorWhat,
        note: `monitorEventLoopDelay (resolution ${RESOLUTION_MS} ms) in the room's process; max reading − resolution`,
      }),
    ];
  } catch (error) {
    log(`FAILED row 7: ${error instanceof Error ? error.message : String(error)}`);
    return [
      failedRow(names.p99, 'ms', targets.p99, error),
      failedRow(names.stall, 'ms', targets.stall, error),
    ];
  } finally {
    histogram.disable();
    await floor?.stop();
    if (clients) {
      await clients.ask({ type: 'close' }, 'closed', 10_000).catch(() => undefined);
      await clients.stop();
    }
    bobConn?.close();
    await bob?.stop().catch(() => undefined);
    await cluster?.close();
  }
}
