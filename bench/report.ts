import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One row of the benchmark table and of bench/results/latest.json. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** The same-run baseline the value is compared with (null when the row has none). */
  baseline: number | null;
  ratio: number | null;
  target: string;
  met: boolean;
  runs?: { min: number; median: number; max: number };
}

export const MiB = 1024 * 1024;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round = (n: number) => Math.round(n * 100) / 100;

export function printTable(rows: BenchRow[]): void {
  const lines = rows.map((row) => [
    row.name,
    `${round(row.value)} ${row.unit}`,
    row.baseline === null ? '—' : `${round(row.baseline)} ${row.unit}`,
    row.ratio === null ? '—' : String(round(row.ratio)),
    row.target,
    row.met ? 'met' : 'NOT MET',
    row.runs ? `${round(row.runs.min)} / ${round(row.runs.median)} / ${round(row.runs.max)}` : '',
  ]);
  const header = ['scenario', 'figure', 'baseline', 'ratio', 'target', '', 'min / median / max'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
}

export function writeResults(rows: BenchRow[]): string {
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const path = `${dir}latest.json`;
  writeFileSync(path, `${JSON.stringify(rows, null, 2)}\n`);
  return path;
}
