import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HUB_DB_ENV, postgresMissing } from '../helpers/postgres.js';
import { need } from '../helpers/system.js';

/**
 * The transfer and conference sequence tests, unchanged, through a hub whose rows are in PostgreSQL: each runs in
 * a child test process with ROOMFILES_TEST_HUB_DB=postgres, which makes every TestBed hub use a fresh database
 * of a throwaway cluster. The files are split in groups so that each test here stays well under a minute.
 */
const GROUPS: { file: string; names: string[] }[] = [
  { file: 'sequences.test.js', names: ['1', '2', '2b', '3a'] },
  { file: 'sequences.test.js', names: ['3b', '5', '5b', '5c'] },
  { file: 'sequences.test.js', names: ['6', '11', '12'] },
  { file: 'conference.test.js', names: ['4', '4b'] },
  { file: 'conference.test.js', names: ['10'] },
];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Runs the tests of `file` whose names start with one of the `names` ("5b." …); resolves to their summary. */
function runGroup(file: string, names: string[]): Promise<{ code: number | null; output: string }> {
  const path = fileURLToPath(new URL(file, import.meta.url));
  const pattern = `^(${names.map(escape).join('|')})\\. `;
  // The child is a test run of its own, not a subtest of this one: node marks its children by this variable.
  const { NODE_TEST_CONTEXT: _parent, ...env } = process.env;
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--test', '--test-reporter=spec', `--test-name-pattern=${pattern}`, path],
      { env: { ...env, [HUB_DB_ENV]: 'postgres' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

const summary = (output: string, key: string) => Number(new RegExp(`ℹ ${key} (\\d+)`).exec(output)?.[1]);

for (const { file, names } of GROUPS) {
  test(`${file.replace('.test.js', '')} ${names.join(', ')} pass through a hub on PostgreSQL`, async (t) => {
    if (!need(t, postgresMissing())) return;
    const { code, output } = await runGroup(file, names);
    assert.equal(code, 0, output);
    // Every named test ran and passed: a renamed test must not make this pass by running nothing.
    assert.equal(summary(output, 'pass'), names.length, output);
    assert.equal(summary(output, 'fail'), 0, output);
    // Tests outside the group are reported as skipped ("does not match pattern"); none of the group may be.
    const skippedInGroup = output
      .split('\n')
      .filter((line) => line.includes('﹣') && !line.includes('does not match pattern'));
    assert.deepEqual(skippedInGroup, [], output);
  });
}
