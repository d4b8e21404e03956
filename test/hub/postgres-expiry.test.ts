import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { EXPIRY_JOB } from '../../src/hub/offer-expiry.js';
import { PostgresHubRepository } from '../../src/hub/postgres-repository.js';
import { TestBed } from '../helpers/harness.js';
import { postgresMissing, sharedPostgresDatabase } from '../helpers/postgres.js';
import { need } from '../helpers/system.js';
import { parties, randomBody, upload } from '../transfer/support.js';

/** Expiry on a database that several hub processes share: one process at a time runs it. */

const bed = new TestBed();
after(() => bed.close());

const DAY = 24 * 60 * 60_000;

/** Holds `name` through `repo.exclusively` until the returned release is called. */
async function hold(
  repo: PostgresHubRepository,
  name: string,
): Promise<{ ran: Promise<boolean>; release: () => void }> {
  let release!: () => void;
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const ran = repo.exclusively(name, async () => {
    entered();
    await released;
  });
  await inside;
  return { ran, release };
}

test('exclusively: while one process runs a job, another one does not run it, and runs it once the first is done', async (t) => {
  if (!need(t, postgresMissing())) return;
  const url = await sharedPostgresDatabase();
  const one = new PostgresHubRepository({ url });
  const two = new PostgresHubRepository({ url });
  bed.defer(() => one.close());
  bed.defer(() => two.close());

  const held = await hold(one, 'job');
  bed.defer(held.release);
  let ranOnTwo = false;
  assert.equal(await two.exclusively('job', async () => void (ranOnTwo = true)), false);
  assert.equal(ranOnTwo, false);
  assert.equal(await two.exclusively('another job', async () => undefined), true, 'other names are free');
  held.release();
  assert.equal(await held.ran, true);
  assert.equal(await two.exclusively('job', async () => void (ranOnTwo = true)), true);
  assert.equal(ranOnTwo, true);
});

test('offer expiry skips its pass while another hub process sharing the database runs one, and expires on the next', async (t) => {
  if (!need(t, postgresMissing())) return;
  const url = await sharedPostgresDatabase();
  const clock = new ManualClock();
  const hub = await bed.hub({ db: url, clock, accounts: ['alice', 'bob'] });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const file = await upload(alice.room, alice.conn, 'late.bin', randomBody(1000));
  await alice.conn.call('sendFile', { fileId: file.fileId, peerId: 'bob' });
  const requestId = String((await bob.rec.waitFor('receivedFileRequest')).fileRequestId);
  const [{ offerId }] = await hub.repo.offersForRecipient('bob');

  // Another process (a repository of its own on the same database) is in the middle of its expiry pass.
  const otherProcess = new PostgresHubRepository({ url });
  bed.defer(() => otherProcess.close());
  const held = await hold(otherProcess, EXPIRY_JOB);
  bed.defer(held.release); // before the repository closes, should an assertion fail while it is held
  clock.advance(7 * DAY + 1000);
  await hub.expiry.expire();
  assert.equal((await hub.repo.getOffer(offerId))?.state, 'waiting', 'this process left it to the other');

  held.release();
  await held.ran;
  await hub.expiry.expire();
  // Expired — or already pruned: once both rooms have acknowledged the end, the hub drops the rows (pruneFinished).
  const after = (await hub.repo.getOffer(offerId))?.state;
  assert.ok(after === 'expired' || after === undefined, `the offer is ${after}`);
  await bob.rec.waitFor('fileRequestStatusChanged', (m) => m.fileRequestId === requestId && m.status === 0);
  assert.deepEqual(bob.rec.statuses(requestId), [0], 'one expiry, announced once');
});
