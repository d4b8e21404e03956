import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { CliProcess, runCli, type RunResult } from '../helpers/child.js';
import { postgresMissing, sharedPostgresDatabase } from '../helpers/postgres.js';
import { need } from '../helpers/system.js';

const bed = new TestBed();
after(() => bed.close());

function assertOneLineFailure(result: RunResult, code: number, pattern: RegExp) {
  assert.equal(result.code, code, `exit code; stderr: ${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0], pattern);
}

test('roomfiles hub --db: accounts and conferences made with --db / ROOMFILES_DB, a room logs in to the hub on PostgreSQL', async (t) => {
  if (!need(t, postgresMissing())) return;
  const db = await sharedPostgresDatabase();
  const data = bed.dir('hub-pg-');

  const add = await runCli([
    'hub',
    'user',
    'add',
    'alice',
    '--password',
    'pw-alice',
    '--db',
    db,
    '--data',
    data,
  ]);
  assert.equal(add.code, 0, add.stderr);
  const conference = await runCli(['hub', 'conference', 'add', 'weekly', '--data', data], {
    env: { ROOMFILES_DB: db },
  });
  assert.equal(conference.code, 0, conference.stderr);
  const list = await runCli(['hub', 'user', 'list', '--json', '--data', data], { env: { ROOMFILES_DB: db } });
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(
    (JSON.parse(list.stdout) as { name: string }[]).map((row) => row.name),
    ['alice'],
  );
  // Nothing went to the SQLite file of the data directory.
  const sqliteList = await runCli(['hub', 'user', 'list', '--json', '--data', data]);
  assert.notEqual(sqliteList.code, 0, 'no hub.db was created');

  const hub = new CliProcess(['hub', '--listen', '127.0.0.1:0', '--data', data], {
    env: { ROOMFILES_DB: db },
  });
  bed.defer(() => hub.kill());
  const ready = await hub.waitForLine(/roomfiles hub listening on 127\.0\.0\.1:(\d+)/);
  const port = Number(ready[1]);

  const room = await bed.room({
    name: 'alice',
    server: { host: '127.0.0.1', port },
    login: { login: 'alice@files.local', password: 'pw-alice' },
  });
  await loggedIn(room, 20_000);
  const conferences = await runCli(['hub', 'conference', 'list', '--json', '--db', db, '--data', data]);
  assert.deepEqual(
    (JSON.parse(conferences.stdout) as { cid: string }[]).map((row) => row.cid),
    ['weekly'],
  );
});

test('roomfiles hub --db refuses what is not a PostgreSQL URL, and names an unreachable database in one line', async (t) => {
  if (!need(t, postgresMissing())) return;
  const data = bed.dir('hub-pg-');
  const wrong = await runCli([
    'hub',
    '--db',
    'mysql://localhost/hub',
    '--data',
    data,
    '--listen',
    '127.0.0.1:0',
  ]);
  assertOneLineFailure(wrong, 2, /--db takes a PostgreSQL URL/);

  // Port 1: nothing listens, connections are refused at once.
  const unreachable = await runCli(['hub', 'user', 'list', '--db', 'postgres://roomfiles@127.0.0.1:1/hub']);
  assertOneLineFailure(unreachable, 1, /the hub's database is unreachable/);
});
