import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { Accounts } from '../../src/hub/accounts.js';
import { DirectoryBlobStore } from '../../src/hub/directory-blob-store.js';
import { PostgresHubRepository } from '../../src/hub/postgres-repository.js';
import { SqliteHubRepository } from '../../src/hub/sqlite-repository.js';
import type { OfferRow, SendRow } from '../../src/hub/repository.js';
import { systemClock } from '../../src/common/clock.js';
import { TestBed } from '../helpers/harness.js';
import { runCli } from '../helpers/child.js';
import { postgresMissing, sharedPostgresDatabase } from '../helpers/postgres.js';
import { need } from '../helpers/system.js';

const bed = new TestBed();
after(() => bed.close());

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Every file under `dir` with its sha256 and mtime: what "the source is untouched" compares. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      const info = statSync(path);
      if (info.isDirectory()) walk(path);
      else out[relative(dir, path)] = `${sha(readFileSync(path))} ${info.mtimeMs}`;
    }
  };
  walk(dir);
  return out;
}

/** A body stored verified in a directory store, as a hub keeps one. */
async function storeBody(store: DirectoryBlobStore, body: Buffer, uploader = 'alice'): Promise<string> {
  const upload = { sha256: sha(body), uploader };
  await store.create(upload);
  await store.append(upload, 0, Readable.from([body]), () => undefined);
  await store.finish(upload);
  return upload.sha256;
}

function sendRow(sha256: string, changes: Partial<SendRow> = {}): SendRow {
  return {
    sendId: randomUUID(),
    sender: 'alice',
    senderDn: 'Alice',
    fileName: 'report.pdf',
    fileSize: 100,
    sha256,
    confId: null,
    createdAt: 1_700_000_000_000,
    expiresAt: 1_700_000_000_000 + 7 * 86_400_000,
    seenStatus: 2,
    uploaded: true,
    closed: false,
    closedReason: null,
    ...changes,
  };
}

function offerRow(send: SendRow, recipient: string, changes: Partial<OfferRow> = {}): OfferRow {
  return {
    offerId: randomUUID(),
    sendId: send.sendId,
    recipient,
    state: 'waiting',
    delivered: true,
    seenState: 'waiting',
    acceptedBy: null,
    updatedAt: 1_700_000_000_000,
    ...changes,
  };
}

/** A SQLite hub's data directory with accounts, conferences, sends, offers, two bodies and an upload under way. */
async function sourceHub(): Promise<{ data: string; bodies: Buffer[] }> {
  const data = bed.dir('hub-source-');
  const repo = new SqliteHubRepository(join(data, 'hub.db'));
  const accounts = new Accounts(repo, 'files.local', systemClock);
  await accounts.add('alice', 'pw-alice');
  await accounts.add('bob', 'pw-bob', { displayName: 'Bob Jones' });
  await accounts.add('carol', 'pw-carol', { fileTransfer: false });
  await accounts.update('carol', { locked: true });
  await repo.addConference({ cid: 'weekly', title: 'Weekly review', createdAt: 1 });
  await repo.setMeta('note', 'kept');
  const store = new DirectoryBlobStore(join(data, 'blobs'));
  const bodies = [randomBytes(300_000), randomBytes(5 * 1024 * 1024 + 3)];
  const shas = [];
  for (const body of bodies) shas.push(await storeBody(store, body));
  // An upload under way: not a body yet, so not copied (its sender uploads it again).
  const partial = { sha256: sha(randomBytes(10)), uploader: 'bob' };
  await store.create(partial);
  await store.append(partial, 0, Readable.from([Buffer.from('half')]), () => undefined);

  const one = sendRow(shas[0]);
  await repo.insertSend(one, [offerRow(one, 'bob'), offerRow(one, 'carol', { state: 'accepted' })]);
  const conference = sendRow(shas[1], { confId: 'weekly@files.local#vcs', fileSize: 5 * 1024 ** 3 });
  await repo.insertSend(conference, [offerRow(conference, 'bob', { state: 'done', seenState: 'done' })]);
  const waiting = sendRow(partial.sha256, { uploaded: false, sender: 'bob' });
  await repo.insertSend(waiting, [
    offerRow(waiting, 'alice', { state: 'accepted', acceptedBy: 'alice@x/1' }),
  ]);
  await repo.close();
  return { data, bodies };
}

/** Every row of a repository, in a stable order, for comparing two of them. */
async function allRows(repo: SqliteHubRepository | PostgresHubRepository) {
  const accounts = await repo.listAccounts();
  const sends = [];
  for (const account of accounts) {
    for (const send of await repo.sendsBySender(account.name)) {
      const offers = (await repo.offersOfSend(send.sendId)).sort((a, b) =>
        a.offerId.localeCompare(b.offerId),
      );
      sends.push({ send, offers });
    }
  }
  return { accounts, conferences: await repo.listConferences(), meta: await repo.getMeta('note'), sends };
}

test('hub migrate --to postgres:// --blobs DIR copies rows and bodies, checks them, leaves the source as it was', async (t) => {
  if (!need(t, postgresMissing())) return;
  const { data, bodies } = await sourceHub();
  const before = snapshot(data);
  const url = await sharedPostgresDatabase();
  const newData = bed.dir('hub-target-');

  const result = await runCli([
    'hub',
    'migrate',
    '--data',
    data,
    '--to',
    url,
    '--blobs',
    join(newData, 'blobs'),
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /migrated: 3 accounts, 1 conferences, 3 sends, 4 offers, 2 bodies/);
  assert.deepEqual(snapshot(data), before, 'not a byte nor a timestamp of the source changed');

  const target = new PostgresHubRepository({ url });
  const source = new SqliteHubRepository(join(data, 'hub.db'));
  try {
    assert.deepEqual(await allRows(target), await allRows(source));
  } finally {
    await source.close();
    await target.close();
  }
  const copied = new DirectoryBlobStore(join(newData, 'blobs'));
  assert.deepEqual(
    (await copied.list()).sort(),
    bodies.map(sha).sort(),
    'the verified bodies, not the upload',
  );

  // A hub on the copy: passwords, locks and bodies work as before.
  const hub = await bed.hub({ db: url, dataDir: newData });
  await hub.accounts.authenticate('bob', 'pw-bob');
  await assert.rejects(hub.accounts.authenticate('carol', 'pw-carol'));
  const read = [];
  for await (const chunk of copied.read({ sha256: sha(bodies[1]), uploader: 'bob' }, 0, Infinity)) {
    read.push(chunk);
  }
  assert.ok(Buffer.concat(read).equals(bodies[1]), 'byte-identical');
});

test('hub migrate refuses a target that holds a hub, and a source body that is not what its name says; nothing is copied', async (t) => {
  if (!need(t, postgresMissing())) return;
  const { data } = await sourceHub();
  const url = await sharedPostgresDatabase();

  // A body damaged on disk: the migration stops before writing a row.
  const blobs = join(data, 'blobs');
  const damaged = readdirSync(blobs).find((name) => /^[0-9a-f]{64}$/.test(name))!;
  const original = readFileSync(join(blobs, damaged));
  writeFileSync(join(blobs, damaged), Buffer.concat([original.subarray(1), Buffer.from('x')]));
  const corrupt = await runCli(['hub', 'migrate', '--data', data, '--to', url]);
  assert.equal(corrupt.code, 1, corrupt.stderr);
  assert.match(
    corrupt.stderr.trim(),
    new RegExp(`^roomfiles: the body ${damaged} in the source does not match its sha256`),
  );
  const target = new PostgresHubRepository({ url });
  try {
    assert.deepEqual(await target.rowCounts(), { accounts: 0, conferences: 0, meta: 0, sends: 0, offers: 0 });
    writeFileSync(join(blobs, damaged), original);

    const first = await runCli(['hub', 'migrate', '--data', data, '--to', url]);
    assert.equal(first.code, 0, first.stderr);
    const counts = await target.rowCounts();
    const again = await runCli(['hub', 'migrate', '--data', data, '--to', url]);
    assert.equal(again.code, 1);
    assert.match(
      again.stderr.trim(),
      /^roomfiles: the target database already holds a hub \(3 accounts, .*migrate into an empty database$/,
    );
    assert.deepEqual(await target.rowCounts(), counts, 'the second run changed nothing');
  } finally {
    await target.close();
  }

  const notPostgres = await runCli(['hub', 'migrate', '--data', data, '--to', 'sqlite:///tmp/x.db']);
  assert.equal(notPostgres.code, 2);
  assert.match(notPostgres.stderr, /--to|--db takes a PostgreSQL URL/);
});
