import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Accounts } from '../../src/hub/accounts.js';
import { SqliteHubRepository } from '../../src/hub/sqlite-repository.js';
import { systemClock } from '../../src/common/clock.js';
import { TestBed } from '../helpers/harness.js';
import { runCli, type RunResult } from '../helpers/child.js';

const bed = new TestBed();
after(() => bed.close());

/** Asserts a failed command: non-zero exit, one line on stderr naming the problem, no stack trace. */
function assertCleanFailure(result: RunResult, pattern: RegExp) {
  assert.notEqual(result.code, 0, `exit code of a failure; stdout: ${result.stdout}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(result.stderr, /Error:/, 'no error class names');
}

async function listJson(data: string) {
  const result = await runCli(['hub', 'user', 'list', '--json', '--data', data]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as {
    peerId: string;
    name: string;
    displayName: string;
    fileTransfer: boolean;
    locked: boolean;
  }[];
}

/** Checks a password against the account database directly. */
async function passwordWorks(data: string, name: string, password: string): Promise<boolean> {
  const repo = new SqliteHubRepository(join(data, 'hub.db'));
  try {
    await new Accounts(repo, 'files.local', systemClock).authenticate(name, password);
    return true;
  } catch {
    return false;
  } finally {
    await repo.close();
  }
}

test('hub user add, list, passwd, set and remove manage the accounts of a data directory', async () => {
  const data = bed.dir('cli-hub-');
  const add = await runCli(['hub', 'user', 'add', 'alice', '--password', 'x', '--data', data]);
  assert.equal(add.code, 0, add.stderr);
  assert.equal(add.stdout.trim(), 'created alice@files.local (Alice)');
  assert.ok(await passwordWorks(data, 'alice', 'x'));

  const bob = await runCli(
    ['hub', 'user', 'add', 'bob', '--display-name', 'Bob Jones', '--no-file-transfer', '--data', data],
    { env: { ROOMFILES_ACCOUNT_PASSWORD: 'from-env' } },
  );
  assert.equal(bob.code, 0, bob.stderr);
  assert.ok(await passwordWorks(data, 'bob', 'from-env'));
  const carol = await runCli(['hub', 'user', 'add', 'carol', '--data', data], { input: 'from-stdin\n' });
  assert.equal(carol.code, 0, carol.stderr);
  assert.ok(await passwordWorks(data, 'carol', 'from-stdin'));

  const list = await runCli(['hub', 'user', 'list', '--data', data]);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(list.stdout.trim().split('\n'), [
    'alice@files.local\tAlice',
    'bob@files.local\tBob Jones\t(file transfer forbidden)',
    'carol@files.local\tCarol',
  ]);
  const json = await listJson(data);
  assert.deepEqual(
    json.map((a) => [a.peerId, a.name, a.displayName, a.fileTransfer, a.locked]),
    [
      ['alice@files.local', 'alice', 'Alice', true, false],
      ['bob@files.local', 'bob', 'Bob Jones', false, false],
      ['carol@files.local', 'carol', 'Carol', true, false],
    ],
  );
  assert.ok(!JSON.stringify(json).includes('scrypt'), 'no password hashes in the listing');

  const passwd = await runCli(['hub', 'user', 'passwd', 'alice', '--password', 'y', '--data', data]);
  assert.equal(passwd.code, 0, passwd.stderr);
  assert.match(passwd.stdout, /alice@files\.local/);
  assert.equal(await passwordWorks(data, 'alice', 'x'), false);
  assert.ok(await passwordWorks(data, 'alice', 'y'));

  const forbid = await runCli(['hub', 'user', 'set', 'alice', '--no-file-transfer', '--data', data]);
  assert.equal(forbid.code, 0, forbid.stderr);
  assert.match(forbid.stdout, /file transfer forbidden/);
  assert.equal((await listJson(data))[0].fileTransfer, false);
  const lock = await runCli(['hub', 'user', 'set', 'alice@files.local', '--lock', '--data', data]);
  assert.equal(lock.code, 0, lock.stderr);
  assert.match(lock.stdout, /locked/);
  assert.deepEqual(
    (await listJson(data)).map((a) => [a.name, a.fileTransfer, a.locked]),
    [
      ['alice', false, true],
      ['bob', false, false],
      ['carol', true, false],
    ],
  );
  assert.equal(await passwordWorks(data, 'alice', 'y'), false, 'a locked account cannot log in');
  const listed = await runCli(['hub', 'user', 'list', '--data', data]);
  assert.match(listed.stdout, /alice@files\.local\tAlice\t\(file transfer forbidden, locked\)/);
  const unlock = await runCli([
    'hub',
    'user',
    'set',
    'alice',
    '--unlock',
    '--file-transfer',
    '--display-name',
    'Alice A.',
    '--data',
    data,
  ]);
  assert.equal(unlock.code, 0, unlock.stderr);
  assert.deepEqual(
    (await listJson(data)).map((a) => [a.name, a.displayName, a.fileTransfer, a.locked]).slice(0, 1),
    [['alice', 'Alice A.', true, false]],
  );

  const remove = await runCli(['hub', 'user', 'remove', 'bob', '--data', data]);
  assert.equal(remove.code, 0, remove.stderr);
  assert.deepEqual(
    (await listJson(data)).map((a) => a.name),
    ['alice', 'carol'],
  );
});

test('--data and --domain also work before `user` and from the environment', async () => {
  const data = bed.dir('cli-hub-');
  const add = await runCli([
    'hub',
    '--data',
    data,
    '--domain',
    'example.org',
    'user',
    'add',
    'dan',
    '--password',
    'p',
  ]);
  assert.equal(add.code, 0, add.stderr);
  assert.equal(add.stdout.trim(), 'created dan@example.org (Dan)');
  const list = await runCli(['hub', 'user', 'list', '--json'], {
    env: { ROOMFILES_HUB_DATA: data, ROOMFILES_DOMAIN: 'example.org' },
  });
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(
    (JSON.parse(list.stdout) as { peerId: string }[]).map((a) => a.peerId),
    ['dan@example.org'],
  );
  const empty = await runCli(['hub', 'user', 'list', '--data', bed.dir('cli-empty-')]);
  assertCleanFailure(empty, /no hub database/);
});

test('account commands fail with one sentence and a non-zero exit, never a stack trace', async () => {
  const data = bed.dir('cli-hub-');
  assert.equal((await runCli(['hub', 'user', 'add', 'alice', '--password', 'x', '--data', data])).code, 0);

  assertCleanFailure(
    await runCli(['hub', 'user', 'add', 'alice', '--password', 'x', '--data', data]),
    /^roomfiles: account alice@files\.local already exists$/,
  );
  assertCleanFailure(
    await runCli(['hub', 'user', 'add', 'Not Valid', '--password', 'x', '--data', data]),
    /is not a valid account name/,
  );
  assertCleanFailure(
    await runCli(['hub', 'user', 'add', 'erin', '--password', '', '--data', data]),
    /password must not be empty/,
  );
  assertCleanFailure(await runCli(['hub', 'user', 'add', 'erin', '--data', data]), /no password given/);
  assertCleanFailure(
    await runCli(['hub', 'user', 'remove', 'nobody', '--data', data]),
    /account nobody does not exist/,
  );
  assertCleanFailure(
    await runCli(['hub', 'user', 'passwd', 'nobody', '--password', 'x', '--data', data]),
    /account nobody does not exist/,
  );
  assertCleanFailure(
    await runCli(['hub', 'user', 'set', 'nobody', '--lock', '--data', data]),
    /account nobody does not exist/,
  );
  assertCleanFailure(
    await runCli(['hub', 'user', 'set', 'alice', '--lock', '--data', bed.dir('cli-empty-')]),
    /no hub database at .*hub\.db/,
  );
  assertCleanFailure(
    await runCli(['hub', 'user', 'list', '--bogus', '--data', data]),
    /unknown option '--bogus'/,
  );
  assertCleanFailure(
    await runCli(['hub', 'user', 'add', '--data', data]),
    /missing required argument 'name'/,
  );
  assertCleanFailure(await runCli(['hub', '--listen', '127.0.0.1:99999']), /not a port number/);
  assertCleanFailure(
    await runCli(['hub', '--listen', '127.0.0.1:0', '--offer-ttl', 'soon']),
    /not a duration/,
  );
  // --debug is accepted after the subcommand too.
  assertCleanFailure(
    await runCli(['hub', 'user', 'remove', 'nobody', '--data', data, '--debug']),
    /account nobody does not exist/,
  );
  // Nothing was created where no --data pointed.
  assert.equal((await listJson(data)).length, 1);
});
