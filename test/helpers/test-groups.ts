import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Runs the tests of the test file `file` (a URL or path of a compiled test) whose names start with one of
 * `names` ("5b." …) in a child test process with `env` added; resolves to its exit code and output.
 */
export function runTestGroup(
  file: URL | string,
  names: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const path = file instanceof URL ? fileURLToPath(file) : file;
  const pattern = `^(${names.map(escape).join('|')})\\. `;
  // The child is a test run of its own, not a subtest of this one: node marks its children by this variable.
  const { NODE_TEST_CONTEXT: _parent, ...inherited } = process.env;
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--test', '--test-reporter=spec', `--test-name-pattern=${pattern}`, path],
      { env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

const summary = (output: string, key: string) => Number(new RegExp(`ℹ ${key} (\\d+)`).exec(output)?.[1]);

/**
 * Checks a group's run: it passed, every named test ran and passed (a renamed test must not make it pass by
 * running nothing), and none of the group was skipped.
 */
export function assertGroupPassed(run: { code: number | null; output: string }, count: number): void {
  const { code, output } = run;
  assert.equal(code, 0, output);
  assert.equal(summary(output, 'pass'), count, output);
  assert.equal(summary(output, 'fail'), 0, output);
  // Tests outside the group are reported as skipped ("does not match pattern"); none of the group may be.
  const skippedInGroup = output
    .split('\n')
    .filter((line) => line.includes('﹣') && !line.includes('does not match pattern'));
  assert.deepEqual(skippedInGroup, [], output);
}
