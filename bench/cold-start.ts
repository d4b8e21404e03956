import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CliProcess } from '../test/helpers/child.js';
import { trackChild } from './lib/cleanup.js';
import { BenchFiles } from './lib/files.js';
import type { BenchConfig } from './lib/config.js';
import { failedRow, makeRow, type BenchRow } from './report.js';
import { fmt, log } from './lib/log.js';

/** Milliseconds from spawning `node -e …` until it prints its line: what any Node program pays to start. */
function bareNode(): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, ['-e', 'process.stdout.write("ready\\n")'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    trackChild(child);
    child.stdout.once('data', () => resolve(performance.now() - start));
    child.once('error', reject);
  });
}

/**
 * Row 9: `roomfiles up` on a fresh data directory (accounts to create, databases to make), as right after
 * install, on free ports: time from spawning the process until its ready line (both rooms logged in).
 * Baseline: a bare `node` process printing a line.
 */
export async function coldStartRows(config: BenchConfig, files: BenchFiles): Promise<BenchRow[]> {
  const name = '9. cold start of `roomfiles up` until ready';
  const target = `< ${config.coldStartLimitMs / 1000} s`;
  try {
    const values: number[] = [];
    const baselines: number[] = [];
    const reported: number[] = [];
    for (let run = 0; run < (config.mode === 'full' ? Math.max(config.runs, 5) : config.runs); run += 1) {
      const data = join(files.dir, `up-${run}`);
      const start = performance.now();
      const proc = new CliProcess(['up', '--data', data, '--hub-port', '0', '--port-base', '0']);
      const untrack = trackChild(proc.child);
      try {
        const match = await proc.waitForLine(/ready in (\d+) ms/, 30_000);
        values.push(performance.now() - start);
        reported.push(Number(match[1]));
      } finally {
        await proc.stop('SIGINT').catch(() => proc.kill());
        untrack();
      }
      baselines.push(await bareNode());
      log(
        `cold start run ${run + 1}: ready after ${fmt(values[run])} ms (it reports ${reported[run]} ms); bare node ${fmt(baselines[run])} ms`,
      );
    }
    return [
      makeRow({
        name,
        unit: 'ms',
        values,
        baselines,
        target,
        meets: (value) => value < config.coldStartLimitMs,
        note: `from spawn to the ready line; the process itself reports ${reported.join(', ')} ms after its code loaded`,
      }),
    ];
  } catch (error) {
    log(`FAILED row 9: ${error instanceof Error ? error.message : String(error)}`);
    return [failedRow(name, 'ms', target, error)];
  }
}
