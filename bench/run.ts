import { transferMemory } from './transfer-memory.js';
import { printTable, writeResults, type BenchRow } from './report.js';

/**
 * `npm run bench` (full sizes) or `npm run bench -- --quick` (reduced sizes, a quick check after a change).
 * Benchmarks measure; they never fail a test run. The exit code is 0 even when a target is not met: the table
 * says so, and bench/results/latest.json keeps the figures.
 */
const quick = process.argv.includes('--quick');
const GiB = 1024 ** 3;

const rows: BenchRow[] = [];
console.log(`roomfiles benchmarks (${quick ? 'quick' : 'full'})\n`);
rows.push(...(await transferMemory(quick ? GiB / 8 : GiB, 100)));
console.log('');
printTable(rows);
console.log(`\nwritten to ${writeResults(rows)}`);
