import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestBed } from '../helpers/harness.js';

/**
 * The package as a user gets it: `npm pack`, the tarball installed in an empty directory, its three entries
 * imported (and type-checked) by a program of that directory, and `npx roomfiles up` run there to a transfer.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const bed = new TestBed();
after(() => bed.close());

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(result.status, 0, `${command} ${args.join(' ')}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Resolves with stdout once `pattern` appears in it; rejects when the child exits first or time runs out. */
function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}\n${err}`)),
      timeoutMs,
    );
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before ${pattern}:\n${out}\n${err}`));
    });
  });
}

const CONSUMER_JS = `
import { RoomClient } from 'roomfiles/client';
import { methods, eventSchemas } from 'roomfiles/protocol';
import { startHub, startRoom } from 'roomfiles';

const [aliceUrl, bobUrl, file, out] = process.argv.slice(2);
const alice = await RoomClient.connect({ url: aliceUrl, reconnect: false });
const bob = await RoomClient.connect({ url: bobUrl, reconnect: false });
bob.on('receivedFileRequest', (offer) => void bob.acceptIncomingFileRequest({ fileRequestId: offer.fileRequestId }));
const received = bob.waitFor('fileRequestStatusChanged', (e) => e.status === 3 && e.directionType === 0, 60_000);
await alice.sendFileTo('bob', file, { timeoutMs: 60_000 });
const saved = await bob.download((await received).fileId, { to: out });
alice.close();
bob.close();
console.log(JSON.stringify({
  sha256: saved.sha256,
  embedding: [typeof startHub, typeof startRoom],
  methods: Object.keys(methods).length,
  events: Object.keys(eventSchemas).length,
}));
`;

/** Type-checked against the installed declarations: the entries are typed for a TypeScript user too. */
const CONSUMER_TS = `
import { startHub, startRoom, type RunningHub, type RunningRoom } from 'roomfiles';
import { RoomClient } from 'roomfiles/client';
import type { MethodName } from 'roomfiles/protocol';

export async function demo(): Promise<[RunningHub, RunningRoom, MethodName]> {
  const hub = await startHub({ dataDir: 'hub', port: 0 });
  const room = await startRoom({ name: 'a', dataDir: 'a', ports: { web: 0 }, hub });
  const client = await RoomClient.connect({ url: room.urls.web });
  const state: number = (await client.getAppState()).appState;
  void state;
  return [hub, room, 'sendFile'];
}
`;

test(
  'npm pack, install the tarball elsewhere, import roomfiles, /client and /protocol, npx roomfiles up, a transfer',
  { timeout: 240_000 },
  async () => {
    const dir = bed.dir('roomfiles-pack-');
    const packed = JSON.parse(
      run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT),
    ) as { filename: string; files: { path: string }[] }[];
    const files = packed[0].files.map((file) => file.path);
    assert.ok(
      files.includes('dist/src/index.js') && files.includes('dist/src/index.d.ts'),
      'the root export is packed',
    );
    assert.ok(files.includes('LICENSE'), 'the licence is packed');
    assert.deepEqual(
      files.filter((file) => file.endsWith('.map')),
      [],
      'no source maps pointing at unshipped sources',
    );

    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    // From npm's cache where it has them (the checkout's own install filled it). The native module's build step is
    // skipped and the checkout's binary of the same version copied in: compiling better-sqlite3 again would take
    // minutes and test the compiler, not roomfiles (npm ci in CI compiles it).
    run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        join(dir, packed[0].filename),
      ],
      app,
    );
    const version = (path: string) =>
      (JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as { version: string }).version;
    const ours = join(ROOT, 'node_modules/better-sqlite3');
    const theirs = join(app, 'node_modules/better-sqlite3');
    if (version(ours) === version(theirs))
      cpSync(join(ours, 'build'), join(theirs, 'build'), { recursive: true });
    else run('npm', ['rebuild', 'better-sqlite3'], app, { npm_config_build_from_source: 'true' });

    writeFileSync(join(app, 'consumer.ts'), CONSUMER_TS);
    run(
      process.execPath,
      [
        join(ROOT, 'node_modules/typescript/bin/tsc'),
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        'consumer.ts',
      ],
      app,
    );

    const up = spawn('npx', ['roomfiles', 'up', '--data', './data', '--hub-port', '0', '--port-base', '0'], {
      cwd: app,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    bed.defer(() => {
      try {
        process.kill(-up.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    });
    const ready = await waitForOutput(up, /^ready in \d+ ms/m, 60_000);
    const webs = [...ready.matchAll(/^ {4}web +(http:\/\/127\.0\.0\.1:\d+)\/$/gm)].map((match) => match[1]);
    assert.equal(webs.length, 2, ready);

    const source = join(app, 'report.bin');
    const bytes = Buffer.alloc(1_000_000);
    for (let i = 0; i < bytes.length; i += 1) bytes[i] = (i * 31) % 251;
    writeFileSync(source, bytes);
    writeFileSync(join(app, 'consumer.mjs'), CONSUMER_JS);
    const result = JSON.parse(
      run(process.execPath, ['consumer.mjs', webs[0], webs[1], source, join(app, 'received.bin')], app),
    ) as { sha256: string; embedding: string[]; methods: number; events: number };
    assert.equal(result.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.deepEqual(readFileSync(join(app, 'received.bin')), bytes);
    assert.deepEqual(result.embedding, ['function', 'function']);
    assert.ok(result.methods > 40 && result.events > 20);
  },
);
