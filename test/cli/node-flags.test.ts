import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { NODE_ENV_WORDS, NODE_FLAGS } from '../../src/cli/node-flags.js';
import { CLI_MAIN } from '../helpers/child.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

test('the bin shebang, npm start and npm run bench (whose latency row runs a room in-process) use the same V8 flags and malloc tunables', () => {
  const launch = [...NODE_ENV_WORDS, 'node', ...NODE_FLAGS].join(' ');
  const shebang = readFileSync(CLI_MAIN, 'utf8').split('\n')[0];
  assert.equal(shebang, `#!/usr/bin/env -S ${launch}`);
  const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.start, `${launch} dist/src/cli/main.js up`);
  assert.equal(pkg.scripts.bench, `npm run build && ${launch} dist/bench/run.js`);
});

test('the bin runs through its shebang', async () => {
  // npm marks a bin executable when it links it; the compiled file in a fresh clone may not be yet.
  if ((statSync(CLI_MAIN).mode & 0o111) === 0) chmodSync(CLI_MAIN, 0o755);
  const { stdout } = await run(CLI_MAIN, ['--version']);
  assert.match(stdout, /^\d+\.\d+\.\d+/);
});
