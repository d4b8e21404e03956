import { BenchCluster, incomingDone } from './lib/fixture.js';
import { RssSampler } from './rss.js';
import { BenchFiles } from './lib/files.js';
import { sizeLabel, type BenchConfig } from './lib/config.js';
import { MiB } from './lib/stats.js';
import { failedRow, makeRow, type BenchRow } from './report.js';
import { fmt, log } from './lib/log.js';

const PROCESSES = ['hub', 'alice', 'bob'] as const;

/**
 * Row 8: memory during one large transfer alice → hub → bob, all three as separate processes: the growth of each
 * process's RSS over its RSS at rest (sampled every 50 ms, from before the upload to alice until bob has it) must
 * stay under the limit whatever the file size (bodies are streamed). Every run starts fresh processes, so that
 * "at rest" means just started and logged in.
 */
export async function memoryRows(config: BenchConfig, files: BenchFiles): Promise<BenchRow[]> {
  const label = sizeLabel(config.memorySize);
  const limit = config.memoryLimitMiB;
  const target = `< ${limit} MiB growth over RSS at rest`;
  const nameOf = (proc: string) =>
    `8. memory: RSS growth of ${proc === 'hub' ? 'the hub' : `${proc}'s room`} during a ${label} transfer`;
  try {
    const source = await files.file(config.memorySize);
    const growth = new Map<string, number[]>(PROCESSES.map((p) => [p, []]));
    const atRest = new Map<string, number[]>(PROCESSES.map((p) => [p, []]));
    for (let run = 0; run < config.runs; run += 1) {
      const cluster = await BenchCluster.start(['alice', 'bob']);
      try {
        const sampler = new RssSampler({
          hub: cluster.hubPid,
          alice: cluster.pidOf('alice'),
          bob: cluster.pidOf('bob'),
        });
        const rest = sampler.sample();
        sampler.start(50);
        const name = 'body.bin';
        const fileId = await cluster.upload('alice', source, name);
        const done = incomingDone(cluster.room('bob').conn, name);
        await cluster.room('alice').conn.call('sendFile', { fileId, peerId: 'bob@files.local' });
        await done;
        sampler.stop();
        for (const proc of PROCESSES) {
          growth.get(proc)!.push(((sampler.peak.get(proc) ?? rest[proc]) - rest[proc]) / MiB);
          atRest.get(proc)!.push(rest[proc] / MiB);
        }
        log(
          `memory run ${run + 1}: growth ` +
            PROCESSES.map(
              (p) => `${p} ${fmt(growth.get(p)![run])} MiB (at rest ${fmt(atRest.get(p)![run])})`,
            ).join(', '),
        );
      } finally {
        await cluster.close();
      }
    }
    return PROCESSES.map((proc) => {
      const row = makeRow({
        name: nameOf(proc),
        unit: 'MiB',
        values: growth.get(proc)!,
        baselines: atRest.get(proc)!,
        target,
        meets: (value) => value < limit,
        ...(proc === 'hub'
          ? { note: 'baseline: RSS at rest; the window covers the upload to alice and the delivery' }
          : {}),
      });
      return { ...row, ratio: null };
    });
  } catch (error) {
    log(`FAILED row 8: ${error instanceof Error ? error.message : String(error)}`);
    return PROCESSES.map((proc) => failedRow(nameOf(proc), 'MiB', target, error));
  }
}
