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
  note?: string;
}

export function makeRow(spec: RowSpec): BenchRow {
  const runs = summarize(spec.values);
  const baselineRuns = spec.baselines && spec.baselines.length > 0 ? summarize(spec.baselines) : undefined;
  const baseline = baselineRuns ? baselineRuns.median : null;
  const ratio = baseline !== null && baseline !== 0 ? runs.median / baseline : null;
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
    row.met ? 'met' : 'NOT MET',
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
  const remarks = rows.filter((row) => row.note || row.error);
  if (remarks.length > 0) console.log('');
  for (const row of remarks) {
    if (row.error) console.log(`- ${row.name}: FAILED: ${row.error}`);
    else console.log(`- ${row.name}: ${row.note}`);
  }
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
      `| ${row.name} | ${value} | ${baseline} | ${ratio} | ${row.target} | ${row.met ? 'met' : 'NOT MET'} | ${runs} |`,
    );
  }
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
