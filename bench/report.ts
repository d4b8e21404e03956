import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { summarize, type Summary } from './lib/stats.js';

export { median, MiB } from './lib/stats.js';

/** One row of the benchmark table and of bench/results/latest.json. */
export interface BenchRow {
  name: string;
  /** The median of the runs (NaN, written as null, when the scenario failed). */
  value: number;
  unit: string;
  /** The same-run baseline the value is compared with (null when the row has none). */
  baseline: number | null;
  /** value / baseline (null without a baseline). */
  ratio: number | null;
  /** The target, in words. */
  target: string;
  met: boolean;
  /** min / median / max of the value over the runs. */
  runs?: Summary;
  /** min / median / max of the baseline over the same runs. */
  baselineRuns?: Summary;
  /**
   * The same work done by the least program that can do it (`lib/floor.ts`), measured in the same runs: what it
   * is, its min / median / max, its median over the baseline's, and whether it meets the row's target. A target
   * the floor misses is out of reach of any program on this machine.
   */
  floor?: Summary & { what: string; ratio: number | null; met: boolean };
  /** What else the scenario observed (bytes the hub received, the slowest run, …). */
  note?: string;
  /** Why the scenario produced no figure. */
  error?: string;
}

export interface RowSpec {
  name: string;
  unit: string;
  /** One value per run; the row's value is their median. */
  values: number[];
  /** One baseline per run, measured next to the values (none: the row has no baseline). */
  baselines?: number[];
  target: string;
  /** Whether the target is met, given the median value and the ratio of the medians. */
  meets: (value: number, ratio: number | null) => boolean;
  /** One measurement of the floor (`lib/floor.ts`) per run, in the value's unit, and what it measures. */
  floors?: number[];
  floorWhat?: string;
  note?: string;
}

export function makeRow(spec: RowSpec): BenchRow {
  const runs = summarize(spec.values);
  const baselineRuns = spec.baselines && spec.baselines.length > 0 ? summarize(spec.baselines) : undefined;
  const baseline = baselineRuns ? baselineRuns.median : null;
  const ratio = baseline !== null && baseline !== 0 ? runs.median / baseline : null;
  const floor = spec.floors && spec.floors.length > 0 ? summarize(spec.floors) : undefined;
  return {
    name: spec.name,
    value: runs.median,
    unit: spec.unit,
    baseline,
    ratio,
    target: spec.target,
    met: Number.isFinite(runs.median) && spec.meets(runs.median, ratio),
    runs,
    ...(baselineRuns ? { baselineRuns } : {}),
    ...(floor ? { floor: floorOf(spec, floor, baseline) } : {}),
    ...(spec.note ? { note: spec.note } : {}),
  };
}

/** The row of a scenario that could not be measured: reported, never thrown. */
export function failedRow(name: string, unit: string, target: string, error: unknown): BenchRow {
  const message = error instanceof Error ? error.message : String(error);
  return { name, value: NaN, unit, baseline: null, ratio: null, target, met: false, error: message };
}

/** Three significant-ish digits: 1234, 123.4, 12.34, 1.23, 0.123. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  if (abs >= 1000) return String(Math.round(n));
  if (abs >= 100) return n.toFixed(1);
  if (abs >= 1) return n.toFixed(2);
  return n.toPrecision(3);
}

export function printTable(rows: BenchRow[]): void {
  const lines = rows.map((row) => [
    row.name,
    Number.isFinite(row.value) ? `${formatNumber(row.value)} ${row.unit}` : 'failed',
    row.baseline === null ? '—' : `${formatNumber(row.baseline)} ${row.unit}`,
    row.ratio === null ? '—' : row.ratio.toFixed(2),
    row.target,
    verdictOf(row),
    row.runs && Number.isFinite(row.runs.median)
      ? [row.runs.min, row.runs.median, row.runs.max].map(formatNumber).join(' / ')
      : '',
  ]);
  const header = ['scenario', 'figure', 'baseline', 'ratio', 'target', '', 'min / median / max'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
  const remarks = rows.filter((row) => row.note || row.error || row.floor);
  if (remarks.length > 0) console.log('');
  for (const row of remarks) {
    if (row.error) console.log(`- ${row.name}: FAILED: ${row.error}`);
    else {
      if (row.floor) console.log(`- ${row.name}: ${describeFloor(row)}`);
      if (row.note) console.log(`- ${row.name}: ${row.note}`);
    }
  }
}

/** met, NOT MET, or NOT MET (floor too) when the least program doing the same work misses the target as well. */
function verdictOf(row: BenchRow): string {
  if (row.met) return 'met';
  return row.floor && !row.floor.met ? 'NOT MET (floor too)' : 'NOT MET';
}

function floorOf(spec: RowSpec, floor: Summary, baseline: number | null): BenchRow['floor'] {
  const ratio = baseline ? floor.median / baseline : null;
  return {
    what: spec.floorWhat ?? 'the same work by the least program that does it (bench/lib/floor.ts)',
    ...floor,
    ratio,
    met: Number.isFinite(floor.median) && spec.meets(floor.median, ratio),
  };
}

/** The floor of a row in words: what the least program doing the same work took, next to the baseline. */
export function describeFloor(row: BenchRow): string {
  const floor = row.floor!;
  const runs = [floor.min, floor.median, floor.max].map(formatNumber).join(' / ');
  const ratio = floor.ratio === null ? '' : `, ${floor.ratio.toFixed(2)} × baseline`;
  const verdict = floor.met ? 'meets the target' : 'misses the target too';
  return `floor, ${floor.what}: ${formatNumber(floor.median)} ${row.unit}${ratio} (${runs}); ${verdict}`;
}

/** A Markdown version of the table (for the README). */
export function markdownTable(rows: BenchRow[]): string {
  const out = [
    '| scenario | figure | baseline (same run) | ratio | target | met | min / median / max |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    const value = Number.isFinite(row.value) ? `${formatNumber(row.value)} ${row.unit}` : 'failed';
    const baseline = row.baseline === null ? '—' : `${formatNumber(row.baseline)} ${row.unit}`;
    const ratio = row.ratio === null ? '—' : row.ratio.toFixed(2);
    const runs =
      row.runs && Number.isFinite(row.runs.median)
        ? [row.runs.min, row.runs.median, row.runs.max].map(formatNumber).join(' / ')
        : '';
    out.push(
      `| ${row.name} | ${value} | ${baseline} | ${ratio} | ${row.target} | ${verdictOf(row)} | ${runs} |`,
    );
  }
  const floors = rows.filter((row) => row.floor);
  if (floors.length > 0) out.push('');
  for (const row of floors) out.push(`- ${row.name}: ${describeFloor(row)}`);
  return out.join('\n');
}

export function resultsDir(): string {
  return fileURLToPath(new URL('../../bench/results/', import.meta.url));
}

/** Writes the rows to bench/results/latest.json (and the Markdown table next to it); returns the JSON path. */
export function writeResults(rows: BenchRow[], meta: { mode: string; seconds: number }): string {
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const path = `${dir}latest.json`;
  writeFileSync(path, `${JSON.stringify(rows, null, 2)}\n`);
  writeFileSync(
    `${dir}latest.md`,
    `${markdownTable(rows)}\n\n${meta.mode} run, ${Math.round(meta.seconds)} s, ${new Date().toISOString()}\n`,
  );
  return path;
}
