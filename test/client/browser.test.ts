import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The browser entry of the SDK: it type-checks against the DOM alone (no Node types), and nothing on its import
 * path is Node-only (`node:*`, a Node built-in, `ws`).
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const BROWSER_SAFE = [
  'src/client/client.ts',
  'src/client/connection.ts',
  'src/client/errors.ts',
  'src/client/transfer-helpers.ts',
  'src/client/browser.ts',
];
/** Packages the browser build may use. */
const ALLOWED_PACKAGES = new Set(['@sinclair/typebox']);

/** Every `import … from` / `export … from` / `import(…)` specifier of a TypeScript source. */
function specifiers(path: string): { specifier: string; typeOnly: boolean }[] {
  const text = readFileSync(path, 'utf8');
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const statement = /(?:^|\n)\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*['"]([^'"]+)['"]/g;
  for (const match of text.matchAll(statement))
    found.push({ specifier: match[4], typeOnly: Boolean(match[2]) });
  for (const match of text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) {
    found.push({ specifier: match[1], typeOnly: false });
  }
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push({ specifier: match[1], typeOnly: false });
  }
  return found;
}

function isNodeOnly(specifier: string): boolean {
  if (specifier.startsWith('node:')) return true;
  if (builtinModules.includes(specifier) || builtinModules.includes(specifier.split('/')[0])) return true;
  return specifier === 'ws' || specifier.startsWith('ws/');
}

/** The source files reachable from `entry` through relative imports, with the packages they import. */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const queue = [resolve(root, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    const key = relative(root, file);
    if (graph.has(key)) continue;
    const packages: string[] = [];
    graph.set(key, packages);
    for (const { specifier } of specifiers(file)) {
      if (specifier.startsWith('.')) queue.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else packages.push(specifier);
    }
  }
  return graph;
}

test('the checker sees Node-only imports where there are some (node-files.ts, node.ts, index.ts)', () => {
  for (const file of ['src/client/node-files.ts', 'src/client/node.ts', 'src/client/index.ts']) {
    const nodeOnly = specifiers(join(root, file)).filter((s) => isNodeOnly(s.specifier));
    assert.ok(nodeOnly.length > 0, `${file}: the import check found nothing, so it checks nothing`);
  }
});

test('client.ts, connection.ts, errors.ts, transfer-helpers.ts, browser.ts and all they import are browser-safe', () => {
  for (const file of BROWSER_SAFE) {
    const bad = specifiers(join(root, file)).filter((s) => isNodeOnly(s.specifier));
    assert.deepEqual(bad, [], `${file} imports Node-only modules`);
  }
  const graph = importGraph('src/client/browser.ts');
  for (const file of BROWSER_SAFE) assert.ok(graph.has(file) || file === 'src/client/browser.ts');
  for (const [file, packages] of graph) {
    assert.ok(!file.startsWith('..'), `${file} is outside the project`);
    const bad = packages.filter((p) => isNodeOnly(p) || !ALLOWED_PACKAGES.has(p));
    assert.deepEqual(bad, [], `${file} (on the browser entry's import path) imports ${bad.join(', ')}`);
  }
  // The path reaches the contract's tables (the typed methods are installed from them) but not the room.
  assert.ok(graph.has('src/protocol/methods.ts'));
  assert.ok(![...graph.keys()].some((f) => f.startsWith('src/room/') || f.startsWith('src/hub/')));
  // The packages it uses resolve to code that does not need Node either.
  const require = createRequire(join(root, 'package.json'));
  assert.ok(require.resolve('@sinclair/typebox'));
});

test('npx tsc -p tsconfig.browser.json type-checks the browser entry (DOM, no Node types) and exits 0', async () => {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.browser.json'], { cwd: root });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  assert.equal(code, 0, output);
  // It checks the file with the DOM library and without Node's types.
  const config = JSON.parse(readFileSync(join(root, 'tsconfig.browser.json'), 'utf8')) as {
    include: string[];
    compilerOptions: { lib: string[]; types: string[] };
  };
  assert.deepEqual(config.include, ['src/client/browser.ts']);
  assert.ok(config.compilerOptions.lib.includes('DOM'));
  assert.deepEqual(config.compilerOptions.types, []);
});
