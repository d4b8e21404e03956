import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { installCleanup } from './lib/cleanup.js';
import { configFor } from './lib/config.js';
import { BenchFiles } from './lib/files.js';
import { log } from './lib/log.js';
import { pairRows } from './pair.js';
import { latencyRows } from './latency.js';
import { manyRows } from './many.js';
import { memoryRows } from './transfer-memory.js';
import { coldStartRows } from './cold-start.js';
import { peerRows } from './peers.js';
import { scaleRows } from './scale-out.js';
import { printTable, writeResults, type BenchRow } from './report.js';

/**
 * `npm run bench` (full sizes) or `npm run bench -- --quick` (reduced sizes, a quick check after a change).
 * `--only 1,3,7` runs some rows (numbers as in the table; the results are printed, not written); `--runs N` repeats each measurement N times (≥ 3);
 * `--profile DIR` writes a CPU profile of every hub and room process to DIR (summarize them with
 * `node dist/bench/lib/profile-summary.js DIR/*.cpuprofile`).
 *
 * Every figure is measured next to a baseline in the same run (this machine's disk speed varies several times from
 * run to run), on loopback, with the hub and the rooms as separate processes. Benchmarks measure; they never fail
 * a test run. The exit code is 0 even when a target is not met: the table says NOT MET, and
 * bench/results/latest.json keeps the figures.
 */
function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  if (index >= 0) return process.argv[index + 1];
  const inline = process.argv.find((arg) => arg.startsWith(`${name}=`));
  return inline?.slice(name.length + 1);
}

installCleanup();
const profileDir = option('--profile');
if (profileDir) {
  // Every roomfiles process started from here on records a CPU profile (lib/profile-preload.ts).
  const preload = new URL('./lib/profile-preload.js', import.meta.url).href;
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${preload}`.trim();
  process.env.BENCH_PROFILE_DIR = resolve(profileDir);
}
const quick = process.argv.includes('--quick');
const runs = option('--runs') ? Math.max(3, Number(option('--runs'))) : undefined;
/**
 * Rows 1–9 measure roomfiles against baselines (issue 6); 10–13 against the tus peer (issue 15); 14–16 several hub
 * processes on PostgreSQL and S3 (issue 16).
 */
const ROWS = 16;
const only = new Set(
  (option('--only') ?? Array.from({ length: ROWS }, (_, i) => i + 1).join(','))
    .split(',')
    .map(Number)
    .filter((n) => n >= 1 && n <= ROWS),
);
const config = configFor(quick, runs);
const started = performance.now();
console.log(`roomfiles benchmarks (${config.mode}, ${config.runs} runs of each)\n`);

const files = new BenchFiles();
const rows: BenchRow[] = [];
try {
  if ([1, 2, 3, 6].some((n) => only.has(n))) rows.push(...(await pairRows(config, files, only)));
  if (only.has(7)) rows.push(...(await latencyRows(config, files)));
  if ([4, 5, 12].some((n) => only.has(n))) rows.push(...(await manyRows(config, files, only)));
  if (only.has(8)) rows.push(...(await memoryRows(config, files)));
  if (only.has(9)) rows.push(...(await coldStartRows(config, files)));
  if ([10, 11, 13].some((n) => only.has(n))) rows.push(...(await peerRows(config, files, only)));
  if ([14, 15, 16].some((n) => only.has(n))) rows.push(...(await scaleRows(config, files, only)));
} finally {
  files.remove();
}

// In the order of the issue's table: by the row number each name starts with.
const order = (row: BenchRow) =>
  parseFloat(row.name) + (row.name.match(/^\d+([a-z])/)?.[1].charCodeAt(0) ?? 0) / 1000;
rows.sort((a, b) => order(a) - order(b));
const seconds = (performance.now() - started) / 1000;
console.log('');
printTable(rows);
if (only.size === ROWS) {
  const path = writeResults(rows, { mode: config.mode, seconds });
  console.log(`\n${config.mode} run took ${Math.round(seconds)} s; written to ${path}`);
} else {
  console.log(
    `\n${config.mode} run of rows ${[...only].join(', ')} took ${Math.round(seconds)} s (not written: --only)`,
  );
}
log('done');
process.exit(0);
