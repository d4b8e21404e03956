import { rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { BenchCluster, incomingDone } from './lib/fixture.js';
import { Timeline, describePhases, medianPhases, type Phases } from './lib/timeline.js';
import { startServer, BenchChild } from './lib/children.js';
import { FloorChain } from './lib/floor.js';
import { getDiscard, getToFile, postMultipart } from './lib/http-client.js';
import { BenchFiles, restamp } from './lib/files.js';
import { sizeLabel, type BenchConfig } from './lib/config.js';
import { MiB, secondsSince } from './lib/stats.js';
import { failedRow, makeRow, type BenchRow } from './report.js';
import { fmt, log } from './lib/log.js';
import { CpuMeter, describeCpu, medianCpu, type CpuSeconds } from './rss.js';

/**
 * Rows 1, 2, 3 and 6, on one hub with two rooms (alice, bob), each a separate process:
 * upload to a room, download from it (whole and the second half), delivery alice → hub → bob, and the Room API
 * request rate. Each run measures the room and its baseline one after the other, alternating which goes first.
 */
export async function pairRows(
  config: BenchConfig,
  files: BenchFiles,
  only: Set<number>,
): Promise<BenchRow[]> {
  const size = config.bodySize;
  const label = sizeLabel(size);
  const names = {
    upload: `1. upload ${label} to a room (multipart, sha256)`,
    download: `2a. download ${label} from a room`,
    range: `2b. Range read of the second half (${sizeLabel(size / 2)})`,
    delivery: `3. delivery ${label} alice → hub → bob`,
    rate: `6. API request rate (getFileRequestInfo, ${config.rateClients} clients)`,
  };
  const targets = {
    throughput: '≥ 0.7 × baseline',
    delivery: '≤ 1.5 × baseline time',
    rate: '≥ 0.5 × baseline',
  };
  const rows: BenchRow[] = [];
  let pair: BenchCluster | null = null;
  const servers: { stop(): Promise<void> }[] = [];
  try {
    const source = await files.file(size);
    pair = await BenchCluster.start(['alice', 'bob']);
    const uploaded: { fileId: number; name: string }[] = [];
    const sink = await startServer('baselines/http-sink', [files.dir]);
    servers.push(sink);
    const fileServer = await startServer('baselines/http-files', [source]);
    servers.push(fileServer);
    const alice = pair.room('alice');

    /** A body on alice with content the hub has not seen (uploaded raw, not timed) when row 1 left none. */
    const nextBody = async (run: number) => {
      if (uploaded[run]) return uploaded[run];
      await restamp(source);
      const name = `body-${run}.bin`;
      const fileId = await pair!.upload('alice', source, name);
      uploaded[run] = { fileId, name };
      return uploaded[run];
    };

    if (only.has(1)) {
      await attempt(rows, [names.upload], 'MiB/s', targets.throughput, async () => {
        const values: number[] = [];
        const baselines: number[] = [];
        const roomCpu: Record<string, CpuSeconds>[] = [];
        const baselineCpu: Record<string, CpuSeconds>[] = [];
        for (let run = 0; run < config.runs; run += 1) {
          await restamp(source);
          const name = `body-${run}.bin`;
          const room = async () => {
            const query = await pair!.query('alice');
            const cpu = new CpuMeter({ room: alice.proc.child.pid!, client: process.pid }).start();
            const start = performance.now();
            const reply = await postMultipart(alice.httpPort, `/files/${query}`, source, size, name);
            values.push(size / MiB / secondsSince(start));
            roomCpu.push(cpu.stop());
            const fileId = (JSON.parse(reply.text) as { fileId: number }).fileId;
            uploaded[run] = { fileId, name };
          };
          const baseline = async () => {
            const cpu = new CpuMeter({ server: sink.pid, client: process.pid }).start();
            const start = performance.now();
            const reply = await postMultipart(sink.port, '/files/', source, size, name);
            baselines.push(size / MiB / secondsSince(start));
            baselineCpu.push(cpu.stop());
            await rm((JSON.parse(reply.text) as { path: string }).path, { force: true });
          };
          await alternate(run, room, baseline);
          log(`upload run ${run + 1}: room ${fmt(values[run])} MiB/s, baseline ${fmt(baselines[run])} MiB/s`);
        }
        return [
          makeRow({
            name: names.upload,
            unit: 'MiB/s',
            values,
            baselines,
            target: targets.throughput,
            meets: (_v, ratio) => ratio !== null && ratio >= 0.7,
            note:
              `CPU seconds per upload (median): ${describeCpu(medianCpu(roomCpu))}; ` +
              `baseline: ${describeCpu(medianCpu(baselineCpu))}`,
          }),
        ];
      });
    }

    if (only.has(2)) {
      await attempt(rows, [names.download, names.range], 'MiB/s', targets.throughput, async () => {
        const { fileId } = await nextBody(0);
        const half = Math.floor(size / 2);
        const range = `bytes=${half}-`;
        const whole = { values: [] as number[], baselines: [] as number[] };
        const second = { values: [] as number[], baselines: [] as number[] };
        const timed = async (into: number[], bytes: number, read: () => Promise<number>) => {
          const start = performance.now();
          const got = await read();
          if (got !== bytes) throw new Error(`read ${got} bytes, expected ${bytes}`);
          into.push(bytes / MiB / secondsSince(start));
        };
        for (let run = 0; run < config.runs; run += 1) {
          await alternate(
            run,
            async () => {
              await timed(whole.values, size, () => pair!.download('alice', fileId));
              await timed(second.values, size - half, () => pair!.download('alice', fileId, range));
            },
            async () => {
              await timed(whole.baselines, size, () => getDiscard(fileServer.port, '/'));
              await timed(second.baselines, size - half, () => getDiscard(fileServer.port, '/', range));
            },
          );
          log(
            `download run ${run + 1}: room ${fmt(whole.values[run])} MiB/s (range ${fmt(second.values[run])}), ` +
              `baseline ${fmt(whole.baselines[run])} MiB/s (range ${fmt(second.baselines[run])})`,
          );
        }
        const meets = (_v: number, ratio: number | null) => ratio !== null && ratio >= 0.7;
        return [
          makeRow({ name: names.download, unit: 'MiB/s', ...whole, target: targets.throughput, meets }),
          makeRow({ name: names.range, unit: 'MiB/s', ...second, target: targets.throughput, meets }),
        ];
      });
    }

    if (only.has(3)) {
      await attempt(rows, [names.delivery], 's', targets.delivery, async () => {
        const values: number[] = [];
        const baselines: number[] = [];
        const received: number[] = [];
        const phases: Phases[] = [];
        const deliveryCpu: Record<string, CpuSeconds>[] = [];
        const copyCpu: Record<string, CpuSeconds>[] = [];
        const bob = pair!.room('bob');
        const copy = files.path('copy.bin');
        const floors: number[] = [];
        const floorCpu: Record<string, CpuSeconds>[] = [];
        const floor = await FloorChain.start(files.path('floor'), 1);
        servers.push({ stop: () => floor.stop() });
        for (let run = 0; run < config.runs; run += 1) {
          const body = await nextBody(run);
          const measured = await floor.deliver(source, size);
          floors.push(measured.seconds);
          floorCpu.push(measured.cpu);
          await alternate(
            run,
            async () => {
              const before = await pair!.hubStats();
              const done = incomingDone(bob.conn, body.name);
              const timeline = new Timeline(alice.conn, bob.conn, body.name);
              const cpu = new CpuMeter({
                hub: pair!.hubPid,
                alice: alice.proc.child.pid!,
                bob: bob.proc.child.pid!,
              }).start();
              const start = performance.now();
              await alice.conn.call('sendFile', { fileId: body.fileId, peerId: bob.peerId });
              const event = await done;
              values.push(secondsSince(start));
              deliveryCpu.push(cpu.stop());
              phases.push(timeline.phases(start));
              received.push((await pair!.hubStats()).bytesReceived - before.bytesReceived);
              await bob.conn.call('deleteFileTransferFile', { fileId: Number(event.fileId) });
            },
            async () => {
              const cpu = new CpuMeter({ server: fileServer.pid, client: process.pid }).start();
              const start = performance.now();
              await getToFile(fileServer.port, '/', copy);
              baselines.push(secondsSince(start));
              copyCpu.push(cpu.stop());
              await rm(copy, { force: true });
            },
          );
          log(
            `delivery run ${run + 1}: ${fmt(values[run])} s (hub received ${fmt(received[run] / MiB)} MiB), ` +
              `baseline copy ${fmt(baselines[run])} s; ${describePhases(phases[run])}; ` +
              `CPU s ${describeCpu(deliveryCpu[run])} (copy: ${describeCpu(copyCpu[run])}); ` +
              `floor ${fmt(floors[run])} s, CPU s ${describeCpu(floorCpu[run])}`,
          );
        }
        const throughput = size / MiB / Math.min(...values);
        return [
          makeRow({
            name: names.delivery,
            unit: 's',
            values,
            baselines,
            target: targets.delivery,
            meets: (_v, ratio) => ratio !== null && ratio <= 1.5,
            floors,
            note:
              `from sendFile to bob's status 3; best ${fmt(throughput)} MiB/s end to end; ` +
              `hub received ${received.map((b) => fmt(b / MiB)).join(', ')} MiB per run; ` +
              `median run: ${describePhases(medianPhases(phases))}; CPU seconds per delivery (median): ` +
              `${describeCpu(medianCpu(deliveryCpu))}; baseline copy: ${describeCpu(medianCpu(copyCpu))}; ` +
              `floor: ${describeCpu(medianCpu(floorCpu))}`,
          }),
        ];
      });
    }

    if (only.has(6)) {
      await attempt(rows, [names.rate], 'msg/s', targets.rate, async () => {
        const { fileId } = await nextBody(0);
        // Any request id of alice's will do; a send bob has not decided on is the cheapest to make.
        const outgoing = (await alice.conn.call('getOutgoingFilesRequests')).outgoingFilesRequests;
        const fileRequestId =
          outgoing[0]?.fileRequestId ??
          (await alice.conn.call('sendFile', { fileId, peerId: pair!.room('bob').peerId })).sentFileRequestId;
        const echo = await startServer('baselines/ws-echo');
        servers.push(echo);
        const values: number[] = [];
        const baselines: number[] = [];
        const load = new BenchChild('workers/ws-load');
        servers.push(load);
        await load.next('ready');
        const request = { method: 'getFileRequestInfo', fileRequestId };
        const measure = async (port: number, auth: boolean, into: number[]) => {
          const result = await load.ask<{ type: 'result'; rate: number; errors: number; messages: number }>(
            {
              type: 'run',
              url: `ws://127.0.0.1:${port}/`,
              clients: config.rateClients,
              warmupMs: config.rateWarmupMs,
              durationMs: config.rateDurationMs,
              auth,
              request,
            },
            'result',
          );
          if (result.errors > 0)
            throw new Error(`${result.errors} of the replies were errors or out of order`);
          into.push(result.rate);
        };
        for (let run = 0; run < config.runs; run += 1) {
          await alternate(
            run,
            () => measure(alice.apiPort, true, values),
            () => measure(echo.port, false, baselines),
          );
          log(
            `API rate run ${run + 1}: room ${fmt(values[run])} msg/s, ws echo ${fmt(baselines[run])} msg/s`,
          );
        }
        return [
          makeRow({
            name: names.rate,
            unit: 'msg/s',
            values,
            baselines,
            target: targets.rate,
            meets: (_v, ratio) => ratio !== null && ratio >= 0.5,
            note: 'request/reply round trips per second; load generator in its own process',
          }),
        ];
      });
    }
  } catch (error) {
    // The fixture itself failed: every row still to come is reported as failed.
    const missing: [number, string, string, string][] = [
      [1, names.upload, 'MiB/s', targets.throughput],
      [2, names.download, 'MiB/s', targets.throughput],
      [2, names.range, 'MiB/s', targets.throughput],
      [3, names.delivery, 's', targets.delivery],
      [6, names.rate, 'msg/s', targets.rate],
    ];
    for (const [row, name, unit, target] of missing) {
      if (only.has(row) && !rows.some((r) => r.name === name))
        rows.push(failedRow(name, unit, target, error));
    }
  } finally {
    for (const server of servers) await server.stop();
    await pair?.close();
  }
  return rows;
}

/** Runs the room and its baseline one after the other, the room first on even runs. */
export async function alternate(run: number, room: () => Promise<void>, baseline: () => Promise<void>) {
  if (run % 2 === 0) {
    await room();
    await baseline();
  } else {
    await baseline();
    await room();
  }
}

/** Runs one group of rows; a failure becomes failed rows with the reason, never an exception. */
export async function attempt(
  rows: BenchRow[],
  names: string[],
  unit: string,
  target: string,
  fn: () => Promise<BenchRow[]>,
): Promise<void> {
  try {
    rows.push(...(await fn()));
  } catch (error) {
    log(`FAILED ${names.join(', ')}: ${error instanceof Error ? error.message : String(error)}`);
    for (const name of names) rows.push(failedRow(name, unit, target, error));
  }
}
