import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/child.js';
import {
  formatSize,
  formatTime,
  statusText,
  table,
  appStateText,
  loginResultText,
} from '../../src/cli/client/format.js';
import { findById } from '../../src/cli/client/ids.js';
import { PlainBoard, renderBar } from '../../src/cli/client/output.js';
import { roomUrl } from '../../src/cli/client/connection.js';
import { describeEvent } from '../../src/cli/client/watch-command.js';
import type { EventMessage } from '../../src/client/index.js';

const COMMANDS = [
  ['send'],
  ['inbox'],
  ['outbox'],
  ['accept'],
  ['reject'],
  ['get'],
  ['history'],
  ['files'],
  ['rm'],
  ['clear'],
  ['watch'],
  ['status'],
  ['login'],
  ['logout'],
  ['connect'],
  ['conference'],
  ['conference', 'create'],
  ['conference', 'join'],
  ['conference', 'leave'],
  ['conference', 'accept'],
  ['conference', 'reject'],
  ['conference', 'invite'],
  ['conference', 'show'],
];

test('--help on every client command: exit 0, the connection options and an example', async () => {
  await Promise.all(
    COMMANDS.map(async (command) => {
      const result = await runCli([...command, '--help']);
      const name = command.join(' ');
      assert.equal(result.code, 0, `${name}: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(`^Usage: roomfiles ${name}`, 'm'));
      assert.match(result.stdout, /^Examples?:$/m, `${name} has an example`);
      assert.match(result.stdout, new RegExp(`roomfiles ${command[0]}`), `${name}'s example runs it`);
      if (command.length > 1 || command[0] !== 'conference') {
        assert.match(result.stdout, /--url <url>/, `${name} takes --url`);
        assert.match(result.stdout, /--json/, `${name} takes --json`);
      }
    }),
  );
  const top = await runCli(['--help']);
  for (const [command] of COMMANDS) assert.match(top.stdout, new RegExp(`^  ${command}\\b`, 'm'));
});

test('client commands load the SDK lazily and never the room or the hub', () => {
  const dir = fileURLToPath(new URL('../../src/cli/client/', import.meta.url));
  for (const name of readdirSync(dir).filter((file) => file.endsWith('.js'))) {
    const source = readFileSync(join(dir, name), 'utf8');
    assert.doesNotMatch(source, /from ['"][./]*\/(room|hub)\//, `${name} imports no room or hub module`);
    assert.doesNotMatch(
      source,
      /^import .* from ['"][./]*\/client\/index\.js['"]/m,
      `${name}: the SDK is imported lazily`,
    );
    assert.doesNotMatch(
      source,
      /^import .* from ['"]cli-progress['"]/m,
      `${name}: cli-progress is imported lazily`,
    );
  }
});

test('sizes in binary units, times in local time, statuses in words', () => {
  assert.deepEqual(
    [0, 512, 1024, 1536, 1024 ** 2 * 2.4, 1024 ** 3, 1024 ** 4 * 3, 1024 * 1024 - 1].map(formatSize),
    ['0 B', '512 B', '1.0 KiB', '1.5 KiB', '2.4 MiB', '1.0 GiB', '3.0 TiB', '1.0 MiB'],
  );
  const local = new Date(2024, 4, 1, 14, 3, 22).getTime();
  assert.equal(formatTime(local), '2024-05-01 14:03:22');
  assert.deepEqual(
    [
      statusText(1),
      statusText(2),
      statusText(2, undefined, 40),
      statusText(3),
      statusText(0),
      statusText(0, 'rejected'),
    ],
    ['waiting', 'transferring', 'transferring 40%', 'done', 'failed', 'failed: rejected'],
  );
  assert.equal(appStateText(3), 'logged in');
  assert.equal(loginResultText(3), 'wrong login or password');
  assert.equal(
    table(
      [
        { a: 'x', b: 1 },
        { a: 'longer\u001b[2J', b: 22 },
      ],
      [
        { title: 'NAME', value: (r) => r.a },
        { title: 'N', value: (r) => String(r.b), right: true },
      ],
    ),
    'NAME         N\nx            1\nlonger?[2J  22',
  );
});

test('short ids: the whole id or a unique prefix; none or several is a sentence', () => {
  const items = [{ id: '3f2a91c4-aaaa' }, { id: '3f2b0000-bbbb' }, { id: 'abcd' }];
  assert.equal(findById(items, (i) => i.id, '3F2A', 'request').id, '3f2a91c4-aaaa');
  assert.equal(findById(items, (i) => i.id, 'abcd', 'request').id, 'abcd');
  assert.throws(
    () => findById(items, (i) => i.id, '3f2', 'request'),
    /^Error: 3f2 is ambiguous: it starts 2 request ids/,
  );
  assert.throws(() => findById(items, (i) => i.id, 'ffff', 'request'), /there is no request ffff/);
});

test('room URLs: API port, web port, no scheme means the web port; others are usage errors', () => {
  assert.equal(roomUrl({ url: 'ws://127.0.0.1:8765/' }), 'ws://127.0.0.1:8765');
  assert.equal(roomUrl({ url: 'http://127.0.0.1:8764' }), 'http://127.0.0.1:8764');
  assert.equal(roomUrl({ url: '127.0.0.1:9000' }), 'http://127.0.0.1:9000');
  assert.equal(roomUrl({}), 'http://127.0.0.1:8764');
  assert.throws(() => roomUrl({ url: 'ftp://x' }), /is not a room URL/);
});

test('progress without a terminal: a few plain lines; with one, a bar with speed and ETA', () => {
  const lines: string[] = [];
  const board = new PlainBoard((line) => lines.push(line));
  const task = board.task('big.iso');
  task.phase('upload to the room', 1000);
  for (let bytes = 0; bytes <= 1000; bytes += 10) task.update(bytes);
  task.state('waiting for bob to accept');
  task.state('waiting for bob to accept');
  task.finish('done');
  assert.deepEqual(
    lines.map((line) => line.replace(/, [\d.]+ \S+\/s\)/, ')')),
    [
      'big.iso: upload to the room (1000 B)',
      'big.iso: upload to the room 25% (250 B of 1000 B)',
      'big.iso: upload to the room 50% (500 B of 1000 B)',
      'big.iso: upload to the room 75% (750 B of 1000 B)',
      'big.iso: upload to the room 100% (1000 B of 1000 B)',
      'big.iso: waiting for bob to accept',
      'big.iso: done',
    ],
  );
  const bar = renderBar(512 * 1024, 1024 * 1024, {
    label: 'big.iso',
    phase: 'to bob',
    state: '',
    speed: 256 * 1024,
    waiting: false,
  });
  assert.match(
    bar,
    /^big\.iso {2}to bob █{12}░{12} {2}50% {2}512\.0 KiB of 1\.0 MiB {2}256\.0 KiB\/s {2}ETA 2s$/,
  );
});

test('watch lines: each event of a transfer in words', () => {
  const event = (fields: Record<string, unknown>) => fields as unknown as EventMessage;
  const base = {
    fileRequestId: '3f2a91c4-0000',
    fileName: 'a.pdf',
    fileSize: 2048,
    peerId: 'bob@files.local',
  };
  assert.equal(
    describeEvent(event({ event: 'receivedFileRequest', ...base, peerDn: 'Bob', timestamp: 1 })),
    '[3f2a91c4] bob@files.local offers a.pdf (2.0 KiB)',
  );
  assert.equal(
    describeEvent(
      event({
        event: 'fileRequestStatusChanged',
        ...base,
        status: 0,
        statusReason: 'rejected',
        directionType: 1,
      }),
    ),
    '[3f2a91c4] a.pdf to bob@files.local: failed: rejected',
  );
  assert.equal(
    describeEvent(event({ event: 'login', result: 0, peerId: 'alice@files.local', peerDn: 'Alice' })),
    'logged in as alice@files.local (Alice)',
  );
  assert.equal(describeEvent(event({ event: 'somethingNew', x: 1 })), 'somethingNew {"x":1}');
});

test('docs/cli.md describes every client command and the environment variables', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/cli.md', import.meta.url)), 'utf8');
  for (const command of COMMANDS) {
    const name = command.join(' ');
    assert.ok(doc.includes(`\`${name}`) || doc.includes(`\`${command[0]}`), `docs/cli.md names ${name}`);
  }
  for (const variable of [
    'ROOMFILES_URL',
    'ROOMFILES_PIN',
    'ROOMFILES_ROOM_PASSWORD',
    'ROOMFILES_LOGIN_PASSWORD',
  ]) {
    assert.ok(doc.includes(variable), `docs/cli.md names ${variable}`);
  }
  assert.match(doc, /## Exit codes/);
});
