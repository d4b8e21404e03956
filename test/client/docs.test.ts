import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { methods } from '../../src/protocol/methods.js';
import { eventSchemas } from '../../src/protocol/events.js';
import { tempDir } from '../helpers/harness.js';

/** The API reference (`npm run docs:api`, TypeDoc) lists every typed method and every event. */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

test('TypeDoc generates the API reference with every method of RoomClient and every event of RoomEvents', async () => {
  const out = tempDir('roomfiles-docs-');
  try {
    const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
    const child = spawn(process.execPath, [typedoc, '--options', 'typedoc.json', '--out', out.path], {
      cwd: root,
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    assert.equal(code, 0, output);
    assert.doesNotMatch(output, /\[error\]/);

    const text = (page: string) =>
      readFileSync(join(out.path, page), 'utf8')
        .replace(/<[^>]+>/g, ' ')
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&')
        .replace(/\s+/g, ' ');
    const client = text('classes/RoomClient.html');
    for (const name of Object.keys(methods))
      assert.match(client, new RegExp(`\\b${name} :`), `method ${name}`);
    for (const name of [
      'connect',
      'upload',
      'download',
      'sendFileTo',
      'on',
      'waitFor',
      'httpToken',
      'close',
    ]) {
      assert.ok(client.includes(name), `RoomClient.${name}`);
    }
    // Replies are spelled out, not just named.
    assert.match(client, /getAppState : \(\s*params \?: \{\}[\s\S]*?appState : number/);
    const events = text('interfaces/RoomEvents.html');
    for (const name of Object.keys(eventSchemas))
      assert.match(events, new RegExp(`\\b${name} :`), `event ${name}`);
    assert.match(events, /fileRequestStatusChanged : \{[^}]*statusReason/);
  } finally {
    out.cleanup();
  }
});
