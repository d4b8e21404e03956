import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TestBed } from '../helpers/harness.js';
import { download, parties, randomBody } from '../transfer/support.js';

/**
 * End to end with a Python client of the project's own (test/legacy/legacy_client.py, not TrueConf's library): it
 * sends and accepts a file with the legacy names only, through Debian's python3-websocket and python3-requests.
 */

const bed = new TestBed();
after(() => bed.close());

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SCRIPT = join(root, 'test', 'legacy', 'legacy_client.py');
// Debian's interpreter, where python3-websocket and python3-requests are installed (a python3 on PATH may lack them).
const PYTHON = '/usr/bin/python3';

/** Why the test cannot run here, or null when it can. */
async function missingPython(): Promise<string | null> {
  try {
    await run(PYTHON, ['-c', 'import websocket, requests'], { timeout: 30_000 });
    return null;
  } catch (error) {
    const reason =
      (error as { code?: string; stderr?: string }).code === 'ENOENT' ? 'not found' : 'no modules';
    return `${PYTHON} with python3-websocket and python3-requests is not available (${reason}: ${
      ((error as { stderr?: string }).stderr ?? String(error)).trim().split('\n').at(-1) ?? ''
    })`;
  }
}

test('a Python client of our own sends and accepts a file with the legacy names', async (t) => {
  const missing = await missingPython();
  if (missing) {
    // In CI the interpreter is part of the environment: its absence is a failure, not a skip.
    if (process.env.CI === 'true') assert.fail(missing);
    console.log(`skipped: ${missing}`);
    t.skip(missing);
    return;
  }
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const body = randomBody(300 * 1024 + 11);
  const path = join(bed.dir('python-'), 'minutes.txt');
  writeFileSync(path, body);
  const aMark = alice.rec.mark();
  const bMark = bob.rec.mark();

  const { stdout } = await run(
    PYTHON,
    [SCRIPT, String(alice.room.webPort), String(bob.room.webPort), bob.peerId, path],
    { timeout: 60_000 },
  );
  const result = JSON.parse(stdout.trim()) as Record<string, unknown>;
  assert.equal(result.fileName, 'minutes.txt');
  assert.equal(result.size, body.length);
  assert.equal(result.sha256, createHash('sha256').update(body).digest('hex'));

  // What the version-2 connections of both rooms saw: the ordinary transfer, under the same request.
  const done = await bob.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3, 15_000, bMark);
  assert.equal(done.fileId, result.fileId);
  assert.equal(Buffer.compare(await download(bob.room, bob.conn, result.fileId as number), body), 0);
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3, 15_000, aMark);
  const legacy = await bob.conn.call('getFileInfo', { id: result.receivedId as number });
  assert.equal(legacy.fileRequestId, done.fileRequestId);
});
