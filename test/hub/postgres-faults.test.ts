import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PostgresHubRepository } from '../../src/hub/postgres-repository.js';
import type { OfferRow, SendRow } from '../../src/hub/repository.js';
import { TestBed } from '../helpers/harness.js';
import { postgresMissing, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { need } from '../helpers/system.js';
import { download, parties, randomBody, upload } from '../transfer/support.js';

/** PostgreSQL going away under a running hub: /health says so, and nothing is half-applied. */

const bed = new TestBed();
after(() => bed.close());

/** A cluster of this test's own (it is restarted), stopped with the bed. */
async function ownCluster(): Promise<PgCluster> {
  const cluster = await startPostgres(bed.dir('roomfiles-pg-'));
  bed.defer(() => cluster.stop());
  return cluster;
}

async function health(port: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${port}/health`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('/health reports whether the database is reachable: 503 while PostgreSQL is down, 200 again after', async (t) => {
  if (!need(t, postgresMissing())) return;
  const cluster = await ownCluster();
  cluster.createDatabase('hub');
  const hub = await bed.hub({ db: cluster.url('hub') });

  const up = await health(hub.port);
  assert.equal(up.status, 200);
  assert.deepEqual(up.body, {
    ok: true,
    hubId: hub.hubId,
    domain: hub.domain,
    database: { reachable: true },
  });

  await cluster.restart(async () => {
    // Answers within the probe's one-second cache: wait for a fresh one.
    for (;;) {
      const down = await health(hub.port);
      if (down.status === 503) {
        assert.deepEqual(down.body, {
          ok: false,
          hubId: hub.hubId,
          domain: hub.domain,
          database: { reachable: false },
        });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
  for (;;) {
    const again = await health(hub.port);
    if (again.status === 200) {
      assert.deepEqual(again.body.database, { reachable: true });
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});

const OFFERS_PER_SEND = 20;

function sendWithOffers(): { send: SendRow; offers: OfferRow[] } {
  const sendId = randomUUID();
  const send: SendRow = {
    sendId,
    sender: 'alice',
    senderDn: 'Alice',
    fileName: 'a.bin',
    fileSize: 1,
    sha256: 'a'.repeat(64),
    confId: 'c@files.local#vcs',
    createdAt: 1,
    expiresAt: 2,
    seenStatus: 1,
    uploaded: false,
    closed: false,
    closedReason: null,
  };
  const offers = Array.from({ length: OFFERS_PER_SEND }, (_, i) => ({
    offerId: randomUUID(),
    sendId,
    recipient: `user${i}`,
    state: 'waiting' as const,
    delivered: false,
    seenState: null,
    acceptedBy: null,
    updatedAt: 1,
  }));
  return { send, offers };
}

test('PostgreSQL restarted under a stream of multi-row writes: each fails with a clear error or is whole, none half-applied', async (t) => {
  if (!need(t, postgresMissing())) return;
  const cluster = await ownCluster();
  cluster.createDatabase('hub');
  // A short retry window, so that some writes do fail while the server is away.
  const repo = new PostgresHubRepository({ url: cluster.url('hub'), connectRetryMs: 200 });
  bed.defer(() => repo.close());
  await repo.ready();

  const outcomes: { sendId: string; ok: boolean; error?: Error }[] = [];
  let writing = true;
  const writers = Array.from({ length: 4 }, async () => {
    while (writing) {
      const { send, offers } = sendWithOffers();
      try {
        await repo.insertSend(send, offers);
        outcomes.push({ sendId: send.sendId, ok: true });
      } catch (error) {
        outcomes.push({ sendId: send.sendId, ok: false, error: error as Error });
      }
    }
  });
  // Writes were landing before the restart, and land again after it.
  const landed = () => outcomes.filter((o) => o.ok).length;
  while (landed() < 20) await new Promise((resolve) => setTimeout(resolve, 20));
  let failedWhileDown = 0;
  await cluster.restart(async () => {
    const before = outcomes.length;
    while (outcomes.length < before + 4) await new Promise((resolve) => setTimeout(resolve, 20));
    failedWhileDown = outcomes.slice(before).filter((o) => !o.ok).length;
  });
  const afterRestart = landed();
  while (landed() < afterRestart + 20) await new Promise((resolve) => setTimeout(resolve, 20));
  writing = false;
  await Promise.all(writers);

  assert.ok(failedWhileDown > 0, 'writes made while the server was down failed');
  for (const outcome of outcomes.filter((o) => !o.ok)) {
    assert.match(outcome.error!.message, /^the hub's database is unreachable: /, outcome.error!.stack);
  }
  for (const outcome of outcomes) {
    const send = await repo.getSend(outcome.sendId);
    const offers = await repo.offersOfSend(outcome.sendId);
    if (outcome.ok) {
      assert.ok(send, 'a write that succeeded is there');
      assert.equal(offers.length, OFFERS_PER_SEND, 'with all of its offers');
    } else {
      // A failed write is there whole (its COMMIT went through as the connection dropped) or not at all.
      assert.ok(
        send ? offers.length === OFFERS_PER_SEND : offers.length === 0,
        `send ${outcome.sendId}: ${send ? 'present' : 'absent'} with ${offers.length} offers`,
      );
    }
  }
});

test('PostgreSQL restarted mid-transfer: the hub reconnects, the body arrives whole, one history entry per side', async (t) => {
  if (!need(t, postgresMissing())) return;
  const cluster = await ownCluster();
  cluster.createDatabase('hub');
  const hub = await bed.hub({ db: cluster.url('hub'), accounts: ['alice', 'bob'] });
  // alice uploads at 1 MiB/s, so that the restart falls in the middle of the transfer.
  const [alice] = await parties(bed, hub, ['alice'], { maxRateBytes: 1024 * 1024 });
  const [bob] = await parties(bed, hub, ['bob']);
  const body = randomBody(4 * 1024 * 1024);
  const file = await upload(alice.room, alice.conn, 'during-restart.bin', body);
  const { sentFileRequestId: sendId } = await alice.conn.call('sendFile', {
    fileId: file.fileId,
    peerId: 'bob',
  });
  const received = await bob.rec.waitFor('receivedFileRequest');
  const offerId = String(received.fileRequestId);
  await bob.conn.call('acceptIncomingFileRequest', { fileRequestId: offerId });
  await bob.rec.waitFor(
    'incomingFileRequestDownloadingProgress',
    (m) => (m.processedPercents as number) >= 20,
    30_000,
  );
  await cluster.restart();
  assert.ok(!bob.rec.statuses(offerId).includes(3), 'the restart fell in the middle of the transfer');

  const bobDone = await bob.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3, 45_000);
  await alice.rec.waitFor('fileRequestStatusChanged', (m) => m.status === 3, 45_000);
  assert.ok(body.equals(await download(bob.room, bob.conn, bobDone.fileId as number)), 'byte-identical');
  assert.deepEqual(
    bob.rec.statuses(offerId).filter((status) => status === 0),
    [],
    'the recipient never saw it fail',
  );
  assert.deepEqual(
    alice.rec.statuses(sendId).filter((status) => status === 0),
    [],
  );
  const aliceHistory = (await alice.conn.call('getFileTransferHistory')).filesRequests;
  const bobHistory = (await bob.conn.call('getFileTransferHistory')).filesRequests;
  assert.equal(aliceHistory.length, 1);
  assert.equal(bobHistory.length, 1);
  // Done on both sides: the hub has pruned it, or holds it as done.
  const offer = await hub.repo.getOffer(offerId);
  assert.ok(offer === undefined || offer.state === 'done', `offer ${JSON.stringify(offer)}`);
});

test('a request made while PostgreSQL stays away fails with a clear error, and the same request works once it is back', async (t) => {
  if (!need(t, postgresMissing())) return;
  const cluster = await ownCluster();
  cluster.createDatabase('hub');
  // A retry window shorter than the outage: the request cannot wait it out.
  const repository = new PostgresHubRepository({ url: cluster.url('hub'), connectRetryMs: 300 });
  const hub = await bed.hub({ repository, accounts: ['alice', 'bob'] });
  const [alice, bob] = await parties(bed, hub, ['alice', 'bob']);
  const file = await upload(alice.room, alice.conn, 'later.bin', randomBody(1024));

  await cluster.restart(async () => {
    const refused = await alice.conn.call('sendFile', { fileId: file.fileId, peerId: 'bob' }).then(
      () => assert.fail('sendFile succeeded without a database'),
      (error: Error) => error,
    );
    assert.match(refused.message, /the hub's database is unavailable, try again/);
  });
  assert.deepEqual(await hub.repo.sendsBySender('alice'), [], 'nothing of it was stored');
  await alice.conn.call('sendFile', { fileId: file.fileId, peerId: 'bob' });
  await bob.rec.waitFor('receivedFileRequest');
  assert.equal((await hub.repo.sendsBySender('alice')).length, 1);
});
