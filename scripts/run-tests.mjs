#!/usr/bin/env node
// Runs every compiled test file with node's own test runner, which prints the summary line
// ("ℹ tests N … ℹ pass N ℹ fail N"). Arguments narrow the run to files whose path contains one of them.
//
// Wall time: the runner keeps ROOMFILES_TEST_CONCURRENCY files (default 4) running side by side; most tests wait on
// sockets and child processes rather than on the CPU, so more files than cores pay off on a 2-core machine. The
// slowest files start first, so that no long file starts last and runs alone: each run records how long each file
// took (dist/test-durations.json, by scripts/durations-reporter.mjs) and the next run orders by it; files it has no
// record of are ordered by the estimates below, then by name.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const testRoot = join(root, 'dist', 'test');
const durationsFile = join(root, 'dist', 'test-durations.json');

/** Seconds, roughly, on the 2-core development machine: the order of a first run, before any record exists. */
const ESTIMATES = {
  'dist/test/cli/client-files.test.js': 40,
  'dist/test/cli/client-transfer.test.js': 35,
  'dist/test/cli/client-download.test.js': 30,
  'dist/test/cli/client-session.test.js': 30,
  'dist/test/cli/client-login.test.js': 30,
  'dist/test/cli/hub-cli.test.js': 25,
  'dist/test/cli/hub-serve.test.js': 20,
  'dist/test/web/details.test.js': 35,
  'dist/test/transfer/crash-hub-restart.test.js': 30,
  'dist/test/transfer/crash-hub-kill.test.js': 30,
  'dist/test/transfer/crash-recipient.test.js': 30,
  'dist/test/transfer/crash-sender.test.js': 25,
  'dist/test/cli/up.test.js': 25,
  'dist/test/web/transfer.test.js': 12,
  'dist/test/web/conference.test.js': 10,
  'dist/test/web/signin.test.js': 10,
  'dist/test/transfer/sequences.test.js': 9,
  'dist/test/room/session.test.js': 8,
  'dist/test/cli/up-defaults.test.js': 8,
  'dist/test/transfer/conference.test.js': 8,
  'dist/test/client/browser.test.js': 7,
  'dist/test/infra/system-parts.test.js': 6,
};

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'helpers' ? [] : find(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

/**
 * tsc never deletes what it compiled: a test file renamed or removed in test/ leaves its old .js in dist/test,
 * which must not run (it would test code that no longer exists, or run a test twice under two names).
 */
function hasSource(file) {
  const source = join(root, relative(join(root, 'dist'), file)).replace(/\.js$/, '');
  return existsSync(`${source}.ts`) || existsSync(`${source}.tsx`);
}

function readDurations() {
  try {
    return JSON.parse(readFileSync(durationsFile, 'utf8'));
  } catch {
    return {};
  }
}

const filters = process.argv.slice(2);
const found = find(testRoot).filter(
  (file) => filters.length === 0 || filters.some((f) => relative(root, file).includes(f)),
);
const stale = found.filter((file) => !hasSource(file));
for (const file of stale)
  console.error(`skipped ${relative(root, file)}: its source is gone (stale build output)`);

const known = readDurations();
const expected = (file) => {
  const name = relative(root, file);
  return known[name] ?? (ESTIMATES[name] ?? 0) * 1000;
};
const files = found.filter(hasSource).sort((a, b) => expected(b) - expected(a) || a.localeCompare(b));
if (files.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}

const concurrency = process.env.ROOMFILES_TEST_CONCURRENCY ?? '4';
const record = join(tmpdir(), `roomfiles-test-durations-${process.pid}.json`);
const cpuDirectory = process.env.ROOMFILES_TEST_CPU
  ? mkdtempSync(join(tmpdir(), 'roomfiles-test-cpu-'))
  : null;
const child = spawn(
  process.execPath,
  [
    ...(cpuDirectory ? ['--import', join(root, 'scripts', 'cpu-record.mjs')] : []),
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts', 'durations-reporter.mjs')}`,
    `--test-reporter-destination=${record}`,
    ...files,
  ],
  {
    stdio: 'inherit',
    cwd: root,
    env: cpuDirectory ? { ...process.env, ROOMFILES_TEST_CPU: cpuDirectory } : process.env,
  },
);

/** The CPU table of ROOMFILES_TEST_CPU=1: seconds of user and system time per file, the costliest first. */
function printCpu(directory) {
  const rows = readdirSync(directory).map((name) => JSON.parse(readFileSync(join(directory, name), 'utf8')));
  rows.sort((a, b) => b.user + b.sys - (a.user + a.sys));
  const total = rows.reduce((sum, row) => ({ user: sum.user + row.user, sys: sum.sys + row.sys }), {
    user: 0,
    sys: 0,
  });
  const line = (cpu, name) =>
    `${(cpu.user + cpu.sys).toFixed(1).padStart(7)} s cpu ${cpu.user.toFixed(1).padStart(7)} user ${cpu.sys.toFixed(1).padStart(6)} sys  ${name}`;
  console.log('\nCPU seconds per test file (its own and its child processes):');
  for (const row of rows) console.log(line(row, relative(root, row.file)));
  console.log(line(total, `total of ${rows.length} files`));
}

child.on('exit', (code, signal) => {
  try {
    const measured = JSON.parse(readFileSync(record, 'utf8'));
    const merged = { ...readDurations() };
    for (const [file, ms] of Object.entries(measured)) merged[relative(root, file)] = Math.round(ms);
    writeFileSync(durationsFile, `${JSON.stringify(merged, null, 2)}\n`);
  } catch {
    // No record (the run was interrupted): the next run orders as this one did.
  } finally {
    rmSync(record, { force: true });
  }
  if (cpuDirectory) {
    try {
      printCpu(cpuDirectory);
    } finally {
      rmSync(cpuDirectory, { recursive: true, force: true });
    }
  }
  process.exit(code ?? (signal ? 1 : 0));
});
