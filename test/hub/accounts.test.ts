import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Accounts, AccountError } from '../../src/hub/accounts.js';
import { hashPassword, verifyPassword } from '../../src/hub/passwords.js';
import { SqliteHubRepository } from '../../src/hub/sqlite-repository.js';
import { ManualClock } from '../../src/common/clock.js';
import { TestBed } from '../helpers/harness.js';

const bed = new TestBed();
after(() => bed.close());

function accounts(domain = 'files.local') {
  const repo = new SqliteHubRepository(join(bed.dir('accounts-'), 'hub.db'));
  bed.defer(() => repo.close());
  const clock = new ManualClock(1_700_000_000_000);
  return { accounts: new Accounts(repo, domain, clock), repo, clock };
}

async function failsWith(promise: Promise<unknown>, code: AccountError['code']) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AccountError, String(error));
    assert.equal(error.code, code, error.message);
    return true;
  });
}

test('passwords are scrypt hashes with their parameters and a random salt', async () => {
  const hash = await hashPassword('correct horse');
  const parts = hash.split('$');
  assert.equal(parts.length, 6);
  assert.deepEqual(parts.slice(0, 4), ['scrypt', '16384', '8', '1']);
  assert.equal(Buffer.from(parts[4], 'base64').length, 16, 'a 16-byte salt');
  assert.equal(Buffer.from(parts[5], 'base64').length, 32, 'a 32-byte key');
  assert.ok(!hash.includes('correct horse'));
  const again = await hashPassword('correct horse');
  assert.notEqual(again, hash, 'each hash has its own salt');

  assert.equal(await verifyPassword('correct horse', hash), true);
  assert.equal(await verifyPassword('correct horse', again), true);
  assert.equal(await verifyPassword('Correct horse', hash), false);
  assert.equal(await verifyPassword('', hash), false);
  assert.equal(await verifyPassword('correct horse', 'plain-text'), false, 'not a scrypt hash');
  assert.equal(await verifyPassword('correct horse', `bcrypt$${parts.slice(1).join('$')}`), false);
});

test('accounts store scrypt hashes, verify passwords and refuse wrong ones', async () => {
  const { accounts: a, repo } = accounts();
  const view = await a.add('alice', 's3cret');
  assert.deepEqual(
    { peerId: view.peerId, name: view.name, fileTransfer: view.fileTransfer, locked: view.locked },
    { peerId: 'alice@files.local', name: 'alice', fileTransfer: true, locked: false },
  );
  assert.equal(view.createdAt, 1_700_000_000_000);
  assert.equal('passwordHash' in view, false, 'views never carry the hash');
  const row = await repo.getAccount('alice');
  assert.match(row!.passwordHash, /^scrypt\$16384\$8\$1\$/);
  assert.ok(!row!.passwordHash.includes('s3cret'));

  assert.equal((await a.authenticate('alice', 's3cret')).name, 'alice');
  assert.equal((await a.authenticate('alice@files.local', 's3cret')).name, 'alice');
  await failsWith(a.authenticate('alice', 'S3cret'), 'wrong_password');
  await failsWith(a.authenticate('alice', ''), 'wrong_password');
  await failsWith(a.authenticate('nobody', 's3cret'), 'not_found');

  await a.update('alice', { password: 'n3w' });
  await failsWith(a.authenticate('alice', 's3cret'), 'wrong_password');
  assert.equal((await a.authenticate('alice', 'n3w')).name, 'alice');
  await failsWith(a.update('alice', { password: '' }), 'bad_request');
  assert.equal((await a.authenticate('alice', 'n3w')).name, 'alice', 'a refused change changes nothing');
});

test('nameOf: a bare name, any case, and only the hub domain name an account', async () => {
  const { accounts: a } = accounts('Example.ORG');
  assert.equal(a.nameOf('alice'), 'alice');
  assert.equal(a.nameOf('  Alice '), 'alice');
  assert.equal(a.nameOf('alice@example.org'), 'alice');
  assert.equal(a.nameOf('ALICE@EXAMPLE.ORG'), 'alice');
  assert.equal(a.nameOf('alice@files.local'), null);
  assert.equal(a.nameOf('alice@'), null);
  assert.equal(a.nameOf('alice@example.org.evil'), null);
  assert.equal(a.peerIdOf('alice'), 'alice@Example.ORG');

  await a.add('Bob@example.org', 'pw');
  assert.ok(await a.find('bob'));
  assert.ok(await a.find('BOB@Example.Org'));
  assert.equal(await a.find('bob@elsewhere.net'), undefined);
  await failsWith(a.authenticate('bob@elsewhere.net', 'pw'), 'not_found');
  await failsWith(a.add('carol@elsewhere.net', 'pw'), 'bad_request');
});

test('account names are checked; display names default to the capitalised name', async () => {
  const { accounts: a } = accounts();
  assert.equal((await a.add('alice', 'pw')).displayName, 'Alice');
  assert.equal((await a.add('bob', 'pw', { displayName: '  Bob Jones ' })).displayName, 'Bob Jones');
  assert.equal((await a.add('carol', 'pw', { displayName: '   ' })).displayName, 'Carol');
  assert.equal((await a.add('d.e-f_1', 'pw')).peerId, 'd.e-f_1@files.local');
  for (const bad of ['', 'has space', '-dash', '.dot', 'a/b', 'é', 'x'.repeat(65)]) {
    await failsWith(a.add(bad, 'pw'), 'bad_request');
  }
  await failsWith(a.add('erin', ''), 'bad_request');

  assert.equal((await a.update('bob', { displayName: 'Robert' })).displayName, 'Robert');
  await failsWith(a.update('bob', { displayName: '  ' }), 'bad_request');
  assert.equal((await a.find('bob'))!.displayName, 'Robert');
  await failsWith(a.update('nobody', { displayName: 'X' }), 'not_found');

  const list = await a.list();
  assert.deepEqual(
    list.map((v) => [v.peerId, v.displayName]),
    [
      ['alice@files.local', 'Alice'],
      ['bob@files.local', 'Robert'],
      ['carol@files.local', 'Carol'],
      ['d.e-f_1@files.local', 'D.e-f_1'],
    ],
  );
});

test('duplicate accounts are refused, whatever case or domain form names them', async () => {
  const { accounts: a } = accounts();
  await a.add('alice', 'first');
  await failsWith(a.add('alice', 'second'), 'conflict');
  await failsWith(a.add('ALICE', 'second'), 'conflict');
  await failsWith(a.add('alice@files.local', 'second'), 'conflict');
  assert.equal((await a.authenticate('alice', 'first')).name, 'alice', 'the first password still works');
  assert.equal((await a.list()).length, 1);

  await a.remove('alice@files.local');
  await failsWith(a.remove('alice'), 'not_found');
  await a.add('alice', 'again');
  assert.equal((await a.authenticate('alice', 'again')).name, 'alice');
});

test('policy flags: file transfer and lock', async () => {
  const { accounts: a } = accounts();
  assert.equal((await a.add('bob', 'pw', { fileTransfer: false })).fileTransfer, false);
  assert.equal((await a.update('bob', { fileTransfer: true })).fileTransfer, true);
  assert.equal((await a.update('bob', { locked: true })).locked, true);
  await failsWith(a.authenticate('bob', 'pw'), 'locked');
  await failsWith(a.authenticate('bob', 'wrong'), 'locked');
  assert.equal((await a.update('bob', { locked: false })).locked, false);
  assert.equal((await a.authenticate('bob', 'pw')).name, 'bob');
});

test('ten wrong passwords lock an account for ten minutes, even for the right password', async () => {
  const { accounts: a, clock } = accounts();
  await a.add('alice', 'right');
  await a.add('bob', 'other');
  for (let i = 0; i < 9; i += 1) await failsWith(a.authenticate('alice', `wrong-${i}`), 'wrong_password');
  // Nine failures: the right password still gets in, and a success clears the count.
  assert.equal((await a.authenticate('alice', 'right')).name, 'alice');
  for (let i = 0; i < 10; i += 1) await failsWith(a.authenticate('alice', `wrong-${i}`), 'wrong_password');
  await failsWith(a.authenticate('alice', 'right'), 'locked');
  await failsWith(a.authenticate('alice@files.local', 'right'), 'locked');
  assert.equal((await a.authenticate('bob', 'other')).name, 'bob', 'other accounts are not affected');
  assert.equal((await a.find('alice'))!.locked, false, 'a temporary lock is not the administrator lock');

  clock.advance(9 * 60_000);
  await failsWith(a.authenticate('alice', 'right'), 'locked');
  clock.advance(60_000 + 1);
  assert.equal((await a.authenticate('alice', 'right')).name, 'alice', 'unlocked after ten minutes');

  // Failures spread beyond the window do not add up.
  for (let i = 0; i < 9; i += 1) await failsWith(a.authenticate('alice', 'wrong'), 'wrong_password');
  clock.advance(10 * 60_000 + 1);
  await failsWith(a.authenticate('alice', 'wrong'), 'wrong_password');
  assert.equal((await a.authenticate('alice', 'right')).name, 'alice');

  // An administrator's unlock also clears a temporary lock.
  for (let i = 0; i < 10; i += 1) await failsWith(a.authenticate('alice', 'wrong'), 'wrong_password');
  await failsWith(a.authenticate('alice', 'right'), 'locked');
  await a.update('alice', { locked: false });
  assert.equal((await a.authenticate('alice', 'right')).name, 'alice');
});
