import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { methods } from '../../src/protocol/methods.js';
import { eventSchemas } from '../../src/protocol/events.js';
import { legacyEventSchemas } from '../../src/protocol/legacy-events.js';
import { ErrorCode } from '../../src/protocol/errors.js';

/** The checkout (this file runs as dist/test/docs/room-api-doc.test.js). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

test('docs/room-api.md is what `npm run docs:room-api` generates from the protocol tables (no drift)', () => {
  const check = spawnSync(process.execPath, ['scripts/room-api-doc.mjs', '--check'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
});

test('docs/room-api.md has every method with its parameters, every event, legacy event and error code', () => {
  const doc = readFileSync(`${ROOT}docs/room-api.md`, 'utf8');
  for (const [name, spec] of Object.entries(methods)) {
    const section = doc.split(`### \`${name}\`\n`)[1]?.split('\n### ')[0];
    assert.ok(section, `a section for the method ${name}`);
    for (const field of Object.keys(spec.params.properties)) {
      assert.match(section, new RegExp(`\\| \`${field}\` `), `${name}: its parameter ${field}`);
    }
  }
  for (const name of [...Object.keys(eventSchemas), ...Object.keys(legacyEventSchemas)]) {
    assert.ok(doc.includes(`### \`${name}\`\n`), `a section for the event ${name}`);
  }
  for (const code of Object.values(ErrorCode)) assert.match(doc, new RegExp(`^\\| ${code} +\\|`, 'm'));
});
