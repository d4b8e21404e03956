import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { BenchCluster, incomingDone } from './lib/fixture.js';
import { getSha256 } from './lib/http-client.js';
import { BenchFiles, restamp } from './lib/files.js';
import { sizeLabel, type BenchConfig } from './lib/config.js';
import { median, MiB, secondsSince } from './lib/stats.js';
import { FloorChain } from './lib/floor.js';
import { failedRow, makeRow, type BenchRow } from './report.js';
import { attempt } from './pair.js';
import { fmt, log } from './lib/log.js';
import { CpuMeter, describeCpu, medianCpu, type CpuSeconds } from './rss.js';
import { PEER_TARGETS } from './peers.js';
import { fanoutName, fanoutRow } from './peer-fanout.js';

const CID = 'bench';

/** Runs `fn` over `items`, at most `limit` at a time. */
async function inBatches<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await fn(items[index], index);
      }
    }),
  );
  return results;
}

/**
 * Rows 5, 4 and 12, on one hub with many rooms (each a separate process): many concurrent transfers between rooms,
 * then a conference send to every other room of a named conference next to the same body sent to one user, and
 * the same conference send next to the tus peer's one upload and downloads (`peer-fanout.ts`).
 */
export async function manyRows(
  config: BenchConfig,
  files: BenchFiles,
  only: Set<number>,
): Promise<BenchRow[]> {
  const senderName = 'sender';
  const participants = Array.from({ length: config.participants }, (_, i) => `p${i + 1}`);
  const names = [senderName, ...participants];
  const between = names.slice(0, Math.max(2, Math.min(config.transferRooms, names.length)));
  const confLabel = sizeLabel(config.conferenceSize);
  const rowNames = {
    total: `5a. ${config.transfers} concurrent ${sizeLabel(config.transferSize)} transfers between ${between.length} rooms: total time`,
    aggregate: `5b. the same: aggregate throughput`,
    conference: `4a. conference send of ${confLabel} to ${config.participants}: all done`,
    hubBytes: `4b. conference send: bytes the hub received`,
    fanout: fanoutName(config),
  };
  const rows: BenchRow[] = [];
  let cluster: BenchCluster | null = null;
  let joined = false;
  /** Every room joins the named conference (rows 4 and 12 send in it), once. */
  const joinConference = async () => {
    if (joined) return;
    for (const name of names) {
      const conn = cluster!.room(name).conn;
      const created = conn.waitFor('conferenceCreated', () => true, 30_000);
      await conn.call('call', { peerId: `\\c\\${CID}` });
      await created;
    }
    joined = true;
  };
  try {
    cluster = await BenchCluster.start(names, { conferences: [CID] });
    log(`many: hub and ${names.length} rooms up`);

    if (only.has(5)) {
      await attempt(
        rows,
        [rowNames.total, rowNames.aggregate],
        's',
        'all complete, sha256 equal',
        async () => {
          const base = await readFile(await files.file(config.transferSize));
          const totals: number[] = [];
          const rates: number[] = [];
          for (let run = 0; run < config.runs; run += 1) {
            // Every transfer a body of its own (the hub would not upload one it already holds), uploaded untimed.
            const plan = await inBatches(
              Array.from({ length: config.transfers }, (_, i) => i),
              4,
              async (i) => {
                const from = between[i % between.length];
                const to =
                  between[(i + 1 + (Math.floor(i / between.length) % (between.length - 1))) % between.length];
                const body = Buffer.from(base);
                randomBytes(32).copy(body, 0);
                const sha256 = createHash('sha256').update(body).digest('hex');
                const name = `t${run}-${i}.bin`;
                const fileId = await cluster!.upload(from, body, name);
                return { from, to, name, sha256, fileId };
              },
            );
            const start = performance.now();
            const received = await Promise.all(
              plan.map(async (t) => {
                const done = incomingDone(cluster!.room(t.to).conn, t.name);
                await cluster!
                  .room(t.from)
                  .conn.call('sendFile', { fileId: t.fileId, peerId: cluster!.room(t.to).peerId });
                return Number((await done).fileId);
              }),
            );
            const seconds = secondsSince(start);
            const hashes = await inBatches(plan, 4, async (t, i) =>
              getSha256(cluster!.room(t.to).httpPort, `/files/${received[i]}${await cluster!.query(t.to)}`),
            );
            const wrong = plan.filter((t, i) => hashes[i] !== t.sha256).length;
            if (wrong > 0)
              throw new Error(`${wrong} of ${plan.length} received bodies have the wrong sha256`);
            totals.push(seconds);
            rates.push((config.transfers * config.transferSize) / MiB / seconds);
            log(
              `concurrent run ${run + 1}: ${plan.length} transfers in ${fmt(seconds)} s, ${fmt(rates[run])} MiB/s, all sha256 equal`,
            );
            await Promise.all(between.map((name) => cluster!.clear(name)));
          }
          const target = 'all complete, sha256 equal';
          const note = `${config.runs} × ${config.transfers} transfers complete, every body downloaded from its recipient and its sha256 checked`;
          return [
            makeRow({ name: rowNames.total, unit: 's', values: totals, target, meets: () => true, note }),
            makeRow({ name: rowNames.aggregate, unit: 'MiB/s', values: rates, target, meets: () => true }),
          ];
        },
      );
    }

    if (only.has(4)) {
      await attempt(rows, [rowNames.conference, rowNames.hubBytes], 's', '≤ 3 × baseline time', async () => {
        const source = await files.file(config.conferenceSize);
        await joinConference();
        const sender = cluster!.room(senderName);
        const values: number[] = [];
        const baselines: number[] = [];
        const hubBytes: number[] = [];
        const conferenceCpu: Record<string, CpuSeconds>[] = [];
        const singleCpu: Record<string, CpuSeconds>[] = [];
        const pids = () => ({
          hub: cluster!.hubPid,
          sender: cluster!.pidOf(senderName),
          ...Object.fromEntries(participants.map((p) => [p, cluster!.pidOf(p)])),
        });
        /** hub, sender, and the participants' CPU seconds added up. */
        const summed = (used: Record<string, CpuSeconds>) => ({
          hub: used.hub,
          sender: used.sender,
          participants: {
            total: participants.reduce((sum, p) => sum + used[p].total, 0),
            sys: participants.reduce((sum, p) => sum + used[p].sys, 0),
          },
        });
        // The least program doing the same work (lib/floor.ts), to all participants and to one.
        const floor = await FloorChain.start(files.path('floor'), participants.length);
        const floors: number[] = [];
        const floorSingles: number[] = [];
        const floorCpu: Record<string, CpuSeconds>[] = [];
        /** The floor's relay, sender, and its recipients' CPU seconds added up. */
        const summedFloor = (used: Record<string, CpuSeconds>) => {
          const recipients = Object.entries(used).filter(([name]) => name.startsWith('recipient'));
          return {
            relay: used.relay,
            sender: used.sender,
            recipients: {
              total: recipients.reduce((sum, [, cpu]) => sum + cpu.total, 0),
              sys: recipients.reduce((sum, [, cpu]) => sum + cpu.sys, 0),
            },
          };
        };
        for (let run = 0; run < config.runs; run += 1) {
          const floorRun = async () => {
            const all = await floor.deliver(source, config.conferenceSize);
            floors.push(all.seconds);
            floorCpu.push(summedFloor(all.cpu));
            floorSingles.push((await floor.deliver(source, config.conferenceSize, 1)).seconds);
          };
          const conference = async () => {
            await restamp(source);
            const name = `conf-${run}.bin`;
            const fileId = await cluster!.upload(senderName, source, name);
            const before = await cluster!.hubStats();
            const done = participants.map((p) => incomingDone(cluster!.room(p).conn, name));
            const cpu = new CpuMeter(pids()).start();
            const start = performance.now();
            await sender.conn.call('sendFileToConference', { fileId });
            await Promise.all(done);
            values.push(secondsSince(start));
            conferenceCpu.push(summed(cpu.stop()));
            hubBytes.push(((await cluster!.hubStats()).bytesReceived - before.bytesReceived) / MiB);
          };
          const single = async () => {
            await restamp(source);
            const name = `single-${run}.bin`;
            const fileId = await cluster!.upload(senderName, source, name);
            const to = cluster!.room(participants[0]);
            const done = incomingDone(to.conn, name);
            const cpu = new CpuMeter(pids()).start();
            const start = performance.now();
            await sender.conn.call('sendFile', { fileId, peerId: to.peerId });
            await done;
            baselines.push(secondsSince(start));
            singleCpu.push(summed(cpu.stop()));
          };
          await floorRun();
          if (run % 2 === 0) {
            await conference();
            await single();
          } else {
            await single();
            await conference();
          }
          log(
            `conference run ${run + 1}: ${config.participants} done in ${fmt(values[run])} s ` +
              `(hub received ${fmt(hubBytes[run])} MiB, CPU s ${describeCpu(conferenceCpu[run])}); ` +
              `one user ${fmt(baselines[run])} s (CPU s ${describeCpu(singleCpu[run])}); floor: ` +
              `${config.participants} in ${fmt(floors[run])} s (CPU s ${describeCpu(floorCpu[run])}), ` +
              `one in ${fmt(floorSingles[run])} s`,
          );
          await Promise.all(names.map((name) => cluster!.clear(name)));
        }
        await floor.stop();
        const size = config.conferenceSize / MiB;
        return [
          makeRow({
            name: rowNames.conference,
            unit: 's',
            values,
            baselines,
            target: '≤ 3 × baseline time (same body to one user)',
            meets: (_v, ratio) => ratio !== null && ratio <= 3,
            floors,
            floorWhat: `the same work by the least program that does it (bench/lib/floor.ts), to ${config.participants}`,
            note:
              `from sendFileToConference until all ${config.participants} participants have status 3 (each accepts ` +
              `on arrival); CPU seconds (median): ${describeCpu(medianCpu(conferenceCpu))}; ` +
              `to one user: ${describeCpu(medianCpu(singleCpu))}; floor to ${config.participants}: ` +
              `${describeCpu(medianCpu(floorCpu))}, ${fmt(median(floors) / median(floorSingles))} × the floor to ` +
              `one (${fmt(median(floorSingles))} s)`,
          }),
          makeRow({
            name: rowNames.hubBytes,
            unit: 'MiB',
            values: hubBytes,
            baselines: hubBytes.map(() => size),
            target: 'received once (= file size)',
            meets: () => hubBytes.every((b) => Math.abs(b - size) < 0.01 * size),
          }),
        ];
      });
    }
    if (only.has(12)) {
      await attempt(rows, [rowNames.fanout], 's', PEER_TARGETS.delivery.text, async () => {
        await joinConference();
        return [await fanoutRow(config, files, cluster!, senderName, participants)];
      });
    }
  } catch (error) {
    for (const [row, name, unit, target] of [
      [5, rowNames.total, 's', 'all complete, sha256 equal'],
      [5, rowNames.aggregate, 'MiB/s', 'all complete, sha256 equal'],
      [4, rowNames.conference, 's', '≤ 3 × baseline time'],
      [4, rowNames.hubBytes, 'MiB', 'received once'],
      [12, rowNames.fanout, 's', PEER_TARGETS.delivery.text],
    ] as const) {
      if (only.has(row) && !rows.some((r) => r.name === name))
        rows.push(failedRow(name, unit, target, error));
    }
  } finally {
    await cluster?.close();
  }
  return rows;
}
