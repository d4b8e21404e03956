import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type {
  AccountRow,
  ConferenceMemberRow,
  HubQueries,
  HubRepository,
  OfferRow,
  RunningConferenceRow,
  SendRow,
} from '../../src/hub/repository.js';
import { need } from '../helpers/system.js';

/**
 * What every hub repository must do (src/hub/repository.ts), whatever holds the rows: SQLite now, PostgreSQL
 * later. A test file calls `repositoryContract` with a factory for its implementation.
 */
export interface RepositoryUnderTest {
  /** A repository on empty storage of its own. */
  repo: HubRepository;
  /** Another connection to the same storage, as a second process would open it (closed by `dispose`). */
  connectAgain(): Promise<HubRepository>;
  /** Closes every connection opened and removes the storage. */
  dispose(): Promise<void>;
}

export type RepositoryFactory = () => Promise<RepositoryUnderTest>;

const DAY = 24 * 60 * 60_000;
const T0 = 1_700_000_000_000;

function account(name: string, changes: Partial<AccountRow> = {}): AccountRow {
  return {
    name,
    displayName: name.toUpperCase(),
    passwordHash: `scrypt$hash-of-${name}`,
    fileTransfer: true,
    locked: false,
    createdAt: T0,
    ...changes,
  };
}

function send(changes: Partial<SendRow> = {}): SendRow {
  return {
    sendId: randomUUID(),
    sender: 'alice',
    senderDn: 'Alice',
    fileName: 'report.pdf',
    fileSize: 1000,
    sha256: 'a'.repeat(64),
    confId: null,
    createdAt: T0,
    expiresAt: T0 + 7 * DAY,
    seenStatus: 1,
    uploaded: false,
    closed: false,
    closedReason: null,
    ...changes,
  };
}

function offer(of: SendRow, changes: Partial<OfferRow> = {}): OfferRow {
  return {
    offerId: randomUUID(),
    sendId: of.sendId,
    recipient: 'bob',
    state: 'waiting',
    delivered: false,
    seenState: null,
    acceptedBy: null,
    updatedAt: T0,
    ...changes,
  };
}

function running(confId: string, cid: string | null = null): RunningConferenceRow {
  return { confId, title: `Title ${confId}`, confType: 1, ownerPeerId: 'alice@d', cid, startedAt: T0 };
}

function member(
  instanceId: string,
  confId: string,
  changes: Partial<ConferenceMemberRow> = {},
): ConferenceMemberRow {
  return {
    instanceId,
    confId,
    peerId: instanceId.slice(0, instanceId.indexOf('/')),
    account: instanceId.slice(0, instanceId.indexOf('@')),
    peerDn: instanceId.slice(0, instanceId.indexOf('@')).toUpperCase(),
    role: 1,
    process: 'p1',
    link: 'p1/7',
    joinedAt: T0,
    seenAt: T0,
    ...changes,
  };
}

/** A promise and the function that settles it: lets a test hold a transaction open at a point of its choosing. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * `missing` names what the implementation needs and the machine lacks (a PostgreSQL server), or null: each test
 * is then skipped with that reason (failed in CI, see test/helpers/system.ts).
 */
export function repositoryContract(
  name: string,
  factory: RepositoryFactory,
  missing: () => string | null = () => null,
): void {
  describe(`hub repository contract: ${name}`, () => {
    /** Runs `body` against a fresh repository and disposes of it whatever happens. */
    const withRepo =
      (body: (repo: HubRepository, under: RepositoryUnderTest) => Promise<void>) =>
      async (t: TestContext) => {
        if (!need(t, missing())) return;
        const under = await factory();
        try {
          await body(under.repo, under);
        } finally {
          await under.dispose();
        }
      };

    test(
      'meta values are stored, read back and overwritten',
      withRepo(async (repo) => {
        assert.equal(await repo.getMeta('schema'), undefined);
        await repo.setMeta('schema', '1');
        await repo.setMeta('schema', '2');
        assert.equal(await repo.getMeta('schema'), '2');
      }),
    );

    test(
      'accounts: added once, read back field by field, listed by name, changed in part, removed',
      withRepo(async (repo) => {
        assert.equal(await repo.addAccount(account('carol', { fileTransfer: false, locked: true })), true);
        assert.equal(await repo.addAccount(account('alice')), true);
        assert.equal(await repo.addAccount(account('alice', { displayName: 'Other' })), false);
        assert.deepEqual(
          await repo.getAccount('carol'),
          account('carol', { fileTransfer: false, locked: true }),
        );
        assert.equal((await repo.getAccount('alice'))?.displayName, 'ALICE', 'the duplicate changed nothing');
        assert.equal(await repo.getAccount('nobody'), undefined);
        assert.deepEqual(
          (await repo.listAccounts()).map((row) => row.name),
          ['alice', 'carol'],
        );

        assert.equal(await repo.updateAccount('carol', { locked: false, displayName: 'Caroline' }), true);
        assert.deepEqual(
          await repo.getAccount('carol'),
          account('carol', { fileTransfer: false, locked: false, displayName: 'Caroline' }),
        );
        assert.equal(await repo.updateAccount('carol', {}), true, 'no change to an existing account');
        assert.equal(await repo.updateAccount('nobody', {}), false);
        assert.equal(await repo.updateAccount('nobody', { locked: true }), false);

        assert.equal(await repo.removeAccount('carol'), true);
        assert.equal(await repo.removeAccount('carol'), false);
        assert.equal(await repo.getAccount('carol'), undefined);
      }),
    );

    test(
      'sends and offers round-trip every field, sizes past 4 GiB included',
      withRepo(async (repo) => {
        const big = send({ fileSize: 5 * 1024 ** 3 + 7, confId: 'c1@files.local#vcs', seenStatus: 2 });
        const bigOffers = [offer(big), offer(big, { recipient: 'carol' })];
        await repo.insertSend(big, bigOffers);
        const later = send({
          createdAt: T0 + 1,
          sha256: 'b'.repeat(64),
          closedReason: 'expired',
          closed: true,
        });
        await repo.insertSend(later, [
          offer(later, { state: 'expired', seenState: 'expired', delivered: true }),
        ]);
        const other = send({ sender: 'bob', createdAt: T0 - 1 });
        await repo.insertSend(other, []);

        assert.deepEqual(await repo.getSend(big.sendId), big);
        assert.deepEqual(await repo.getSend(later.sendId), later);
        assert.equal(await repo.getSend(randomUUID()), undefined);
        assert.deepEqual(
          (await repo.sendsBySender('alice')).map((row) => row.sendId),
          [big.sendId, later.sendId],
          'ordered by creation',
        );
        assert.deepEqual(
          (await repo.sendsBySha('a'.repeat(64))).map((row) => row.sendId).sort(),
          [big.sendId, other.sendId].sort(),
        );

        const byId = (rows: OfferRow[]) => [...rows].sort((a, b) => a.offerId.localeCompare(b.offerId));
        assert.deepEqual(byId(await repo.offersOfSend(big.sendId)), byId(bigOffers));
        assert.deepEqual(await repo.getOffer(bigOffers[1].offerId), bigOffers[1]);
        assert.equal(await repo.getOffer(randomUUID()), undefined);
        assert.deepEqual(
          byId(await repo.offersForRecipient('bob')).map((row) => row.offerId),
          byId([bigOffers[0], ...(await repo.offersOfSend(later.sendId))]).map((row) => row.offerId),
        );
      }),
    );

    test(
      'a send is stored with all of its offers or not at all',
      withRepo(async (repo) => {
        const row = send();
        const first = offer(row);
        await assert.rejects(repo.insertSend(row, [first, { ...offer(row), offerId: first.offerId }]));
        assert.equal(await repo.getSend(row.sendId), undefined);
        assert.deepEqual(await repo.offersForRecipient('bob'), []);
      }),
    );

    test(
      'updateSend changes only the fields given',
      withRepo(async (repo) => {
        const row = send();
        await repo.insertSend(row, []);
        await repo.updateSend(row.sendId, { closed: true, closedReason: 'failed' });
        await repo.updateSend(row.sendId, {});
        assert.deepEqual(await repo.getSend(row.sendId), { ...row, closed: true, closedReason: 'failed' });
        await repo.updateSend(row.sendId, { seenStatus: 0, uploaded: true });
        assert.deepEqual(await repo.getSend(row.sendId), {
          ...row,
          closed: true,
          closedReason: 'failed',
          seenStatus: 0,
          uploaded: true,
        });
      }),
    );

    test(
      'transitionOffer is a compare-and-set: of two rooms accepting at once exactly one wins',
      withRepo(async (repo) => {
        const row = send();
        const first = offer(row);
        await repo.insertSend(row, [first]);
        assert.equal(await repo.transitionOffer(first.offerId, ['accepted'], 'done', {}, T0 + 1), false);
        assert.equal((await repo.getOffer(first.offerId))?.state, 'waiting');

        const results = await Promise.all(
          ['bob@files.local/0000000a', 'bob@files.local/0000000b'].map((by) =>
            repo.transitionOffer(first.offerId, ['waiting'], 'accepted', { acceptedBy: by }, T0 + 2),
          ),
        );
        assert.deepEqual([...results].sort(), [false, true]);
        const accepted = (await repo.getOffer(first.offerId))!;
        assert.equal(accepted.state, 'accepted');
        assert.equal(accepted.updatedAt, T0 + 2);
        assert.equal(
          accepted.acceptedBy,
          results[0] ? 'bob@files.local/0000000a' : 'bob@files.local/0000000b',
        );

        assert.equal(
          await repo.transitionOffer(first.offerId, ['waiting', 'accepted'], 'failed', {}, T0 + 3),
          true,
        );
        assert.equal((await repo.getOffer(first.offerId))?.acceptedBy, accepted.acceptedBy, 'kept');
      }),
    );

    test(
      'delivery and the state a room confirmed are recorded',
      withRepo(async (repo) => {
        const row = send();
        const [one, two] = [offer(row), offer(row, { recipient: 'carol' })];
        await repo.insertSend(row, [one, two]);
        await repo.markOfferDelivered(one.offerId);
        await repo.markOfferSeen(two.offerId, 'rejected');
        assert.deepEqual(await repo.getOffer(one.offerId), { ...one, delivered: true });
        assert.deepEqual(await repo.getOffer(two.offerId), {
          ...two,
          delivered: true,
          seenState: 'rejected',
        });
      }),
    );

    test(
      'expiredSends: past their time and with something still open',
      withRepo(async (repo) => {
        const now = T0 + 7 * DAY;
        const notYet = send({ expiresAt: now + 1 });
        const uploading = send({ expiresAt: now });
        const accepted = send({ expiresAt: now - 1, uploaded: true });
        const over = send({ expiresAt: now - 1, uploaded: true });
        const closed = send({ expiresAt: now - 1, closed: true, closedReason: 'expired' });
        await repo.insertSend(notYet, [offer(notYet)]);
        await repo.insertSend(uploading, []);
        await repo.insertSend(accepted, [
          offer(accepted, { state: 'done' }),
          offer(accepted, { state: 'accepted' }),
        ]);
        await repo.insertSend(over, [offer(over, { state: 'done' })]);
        await repo.insertSend(closed, [offer(closed, { state: 'expired' })]);
        assert.deepEqual(
          (await repo.expiredSends(now)).map((row) => row.sendId).sort(),
          [uploading.sendId, accepted.sendId].sort(),
        );
      }),
    );

    test(
      'pruneFinished removes the sends over and confirmed on every side, with their offers, and nothing else',
      withRepo(async (repo) => {
        const confirmed = send({ uploaded: true, seenStatus: 3 });
        const failedConfirmed = send({ closed: true, closedReason: 'expired', seenStatus: 0 });
        const senderNotConfirmed = send({ uploaded: true, seenStatus: 2 });
        const recipientNotConfirmed = send({ uploaded: true, seenStatus: 3 });
        const stillOpen = send({ uploaded: true, seenStatus: 3 });
        const conference = send({ uploaded: true, seenStatus: 3, confId: 'c@files.local#vcs' });
        await repo.insertSend(confirmed, [offer(confirmed, { state: 'done', seenState: 'done' })]);
        await repo.insertSend(failedConfirmed, [
          offer(failedConfirmed, { state: 'expired', seenState: 'expired' }),
        ]);
        await repo.insertSend(senderNotConfirmed, [
          offer(senderNotConfirmed, { state: 'done', seenState: 'done' }),
        ]);
        await repo.insertSend(recipientNotConfirmed, [
          offer(recipientNotConfirmed, { state: 'failed', seenState: 'accepted' }),
        ]);
        await repo.insertSend(stillOpen, [offer(stillOpen, { state: 'accepted', seenState: 'accepted' })]);
        await repo.insertSend(conference, []);

        assert.equal(await repo.pruneFinished(), 3);
        for (const gone of [confirmed, failedConfirmed, conference]) {
          assert.equal(await repo.getSend(gone.sendId), undefined);
          assert.deepEqual(await repo.offersOfSend(gone.sendId), []);
        }
        for (const kept of [senderNotConfirmed, recipientNotConfirmed, stillOpen]) {
          assert.deepEqual(await repo.getSend(kept.sendId), kept);
          assert.equal((await repo.offersOfSend(kept.sendId)).length, 1);
        }
        assert.equal(await repo.pruneFinished(), 0);
      }),
    );

    test(
      'named conferences: added once, listed by CID, removed',
      withRepo(async (repo) => {
        assert.equal(await repo.addConference({ cid: 'weekly', title: 'Weekly', createdAt: T0 }), true);
        assert.equal(await repo.addConference({ cid: 'daily', title: 'Daily', createdAt: T0 + 1 }), true);
        assert.equal(await repo.addConference({ cid: 'weekly', title: 'Other', createdAt: T0 }), false);
        assert.deepEqual(await repo.getConference('weekly'), {
          cid: 'weekly',
          title: 'Weekly',
          createdAt: T0,
        });
        assert.deepEqual(
          (await repo.listConferences()).map((row) => row.cid),
          ['daily', 'weekly'],
        );
        assert.equal(await repo.removeConference('weekly'), true);
        assert.equal(await repo.removeConference('weekly'), false);
        assert.equal(await repo.getConference('weekly'), undefined);
      }),
    );

    test(
      'running conferences: started once per confId and per CID, read back, removed with members and invitations',
      withRepo(async (repo) => {
        const adHoc = running('c1');
        assert.equal(await repo.startConference(adHoc), true);
        assert.equal(await repo.startConference({ ...adHoc, title: 'Other' }), false, 'same confId');
        assert.equal(await repo.startConference(running('c2', 'weekly')), true);
        assert.equal(await repo.startConference(running('c3', 'weekly')), false, 'one session per CID');
        assert.equal(await repo.startConference(running('c4')), true, 'ad-hoc ones have no CID to share');
        assert.deepEqual(await repo.getRunningConference('c1'), adHoc);
        assert.deepEqual(await repo.runningConferenceOf('weekly'), running('c2', 'weekly'));
        assert.equal(await repo.runningConferenceOf('daily'), undefined);
        assert.equal(await repo.getRunningConference('c3'), undefined);

        assert.equal(await repo.joinConference(member('alice@d/1', 'c1', { role: 2 })), true);
        await repo.inviteToConference({ confId: 'c1', peerId: 'bob@d', by: 'alice@d/1' });
        assert.equal(await repo.joinConference(member('carol@d/1', 'c2')), true);
        assert.equal(await repo.removeRunningConference('c1'), true);
        assert.equal(await repo.removeRunningConference('c1'), false);
        assert.equal(await repo.getRunningConference('c1'), undefined);
        assert.equal(await repo.conferenceMemberOf('alice@d/1'), undefined, 'its members went with it');
        assert.deepEqual(await repo.conferenceInvitations('c1'), []);
        assert.equal(await repo.takeConferenceInvitation('c1', 'bob@d'), undefined);
        assert.equal(
          (await repo.conferenceMemberOf('carol@d/1'))?.confId,
          'c2',
          'other conferences untouched',
        );
      }),
    );

    test(
      'conference members: a room is in one conference at most, listed in join order, removed only as asked',
      withRepo(async (repo) => {
        await repo.startConference(running('c1'));
        await repo.startConference(running('c2'));
        const alice = member('alice@d/1', 'c1', { role: 2, joinedAt: T0 });
        assert.equal(await repo.joinConference(alice), true);
        assert.equal(await repo.joinConference(member('alice@d/1', 'c2')), false, 'already in c1');
        assert.equal(await repo.joinConference(member('bob@d/2', 'c1', { joinedAt: T0 + 2 })), true);
        // Same millisecond: by InstanceId, by code point ('B' before 'a').
        assert.equal(await repo.joinConference(member('alice@d/B', 'c1', { joinedAt: T0 + 1 })), true);
        assert.equal(await repo.joinConference(member('alice@d/a', 'c1', { joinedAt: T0 + 1 })), true);
        assert.deepEqual(await repo.conferenceMemberOf('alice@d/1'), alice);
        assert.deepEqual(
          (await repo.conferenceMembers('c1')).map((m) => m.instanceId),
          ['alice@d/1', 'alice@d/B', 'alice@d/a', 'bob@d/2'],
        );
        assert.deepEqual(await repo.conferenceMembers('c2'), []);

        // Only that link's membership: a later link of the same room is not taken out by the old one closing.
        assert.equal(await repo.removeConferenceMember('bob@d/2', { link: 'p1/99' }), undefined);
        assert.deepEqual(
          await repo.removeConferenceMember('bob@d/2', { link: 'p1/7' }),
          member('bob@d/2', 'c1', { joinedAt: T0 + 2 }),
        );
        assert.equal(await repo.removeConferenceMember('bob@d/2'), undefined, 'gone already');
        assert.equal((await repo.removeConferenceMember('alice@d/B'))?.instanceId, 'alice@d/B');
        assert.equal(await repo.joinConference(member('alice@d/B', 'c2')), true, 'free to join another');
      }),
    );

    test(
      'conference presence: each process renews its own rows; rows not renewed are stale and removed only while stale',
      withRepo(async (repo) => {
        await repo.startConference(running('c1'));
        await repo.joinConference(member('alice@d/1', 'c1', { process: 'p1', seenAt: T0 }));
        await repo.joinConference(member('bob@d/1', 'c1', { process: 'p2', seenAt: T0 }));
        await repo.joinConference(member('carol@d/1', 'c1', { process: 'p2', seenAt: T0 }));
        assert.equal(await repo.renewConferencePresence('p1', T0 + 30_000), 1);
        assert.equal(await repo.renewConferencePresence('p3', T0 + 30_000), 0);
        assert.deepEqual((await repo.staleConferenceMembers(T0 + 10_000)).map((m) => m.instanceId).sort(), [
          'bob@d/1',
          'carol@d/1',
        ]);
        assert.equal((await repo.conferenceMemberOf('alice@d/1'))?.seenAt, T0 + 30_000);
        // p2 came back before the sweep reached carol: her row is no longer stale and stays.
        assert.equal(
          (await repo.removeConferenceMember('bob@d/1', { seenBefore: T0 + 10_000 }))?.process,
          'p2',
        );
        assert.equal(await repo.renewConferencePresence('p2', T0 + 31_000), 1);
        assert.equal(await repo.removeConferenceMember('carol@d/1', { seenBefore: T0 + 10_000 }), undefined);
        assert.deepEqual(
          (await repo.conferenceMembers('c1')).map((m) => m.instanceId),
          ['alice@d/1', 'carol@d/1'],
        );
        assert.deepEqual(await repo.staleConferenceMembers(T0 + 10_000), []);
      }),
    );

    test(
      'conference invitations: one per account and conference (the latest inviter kept), taken once, dropped per account',
      withRepo(async (repo) => {
        await repo.startConference(running('c1'));
        await repo.startConference(running('c2'));
        await repo.inviteToConference({ confId: 'c1', peerId: 'carol@d', by: 'alice@d/1' });
        await repo.inviteToConference({ confId: 'c1', peerId: 'bob@d', by: 'alice@d/1' });
        await repo.inviteToConference({ confId: 'c1', peerId: 'bob@d', by: 'alice@d/2' });
        await repo.inviteToConference({ confId: 'c2', peerId: 'bob@d', by: 'dave@d/1' });
        assert.deepEqual(await repo.conferenceInvitations('c1'), [
          { confId: 'c1', peerId: 'bob@d', by: 'alice@d/2' },
          { confId: 'c1', peerId: 'carol@d', by: 'alice@d/1' },
        ]);
        assert.deepEqual(await repo.takeConferenceInvitation('c1', 'carol@d'), {
          confId: 'c1',
          peerId: 'carol@d',
          by: 'alice@d/1',
        });
        assert.equal(await repo.takeConferenceInvitation('c1', 'carol@d'), undefined, 'taken once');
        assert.equal(await repo.dropConferenceInvitationsOf('bob@d'), 2);
        assert.deepEqual(await repo.conferenceInvitations('c1'), []);
        assert.deepEqual(await repo.conferenceInvitations('c2'), []);
      }),
    );

    test(
      'two transactions changing one conference at once: the lock of its row puts them one after the other, so the last to leave sees it empty',
      withRepo(async (repo) => {
        await repo.startConference(running('c1'));
        await repo.joinConference(member('alice@d/1', 'c1'));
        await repo.joinConference(member('bob@d/1', 'c1'));
        // On PostgreSQL each transaction has a connection of its own, as two processes would.
        const leave = (instanceId: string, hold?: Promise<void>, held?: () => void) =>
          repo.transaction(async (tx) => {
            assert.ok(await tx.lockRunningConference('c1'));
            await tx.removeConferenceMember(instanceId);
            held?.();
            await hold;
            return (await tx.conferenceMembers('c1')).length;
          });
        const first = gate();
        const locked = gate();
        const alice = leave('alice@d/1', first.opened, locked.open);
        await locked.opened;
        const bob = leave('bob@d/1');
        first.open();
        // Exactly one of them finds itself the last one (whichever ran second).
        assert.deepEqual([await alice, await bob].sort(), [0, 1]);
        assert.equal(await repo.lockRunningConference('nope'), undefined);
      }),
    );

    test(
      'a transaction commits every write made through it and returns what its work returned',
      withRepo(async (repo) => {
        const row = send();
        const first = offer(row);
        await repo.insertSend(row, [first]);
        const result = await repo.transaction(async (tx) => {
          await tx.updateSend(row.sendId, { closed: true, closedReason: 'failed' });
          const changed = await tx.transitionOffer(first.offerId, ['waiting'], 'failed', {}, T0 + 1);
          assert.equal((await tx.getSend(row.sendId))?.closed, true, 'its own writes are visible inside');
          return changed;
        });
        assert.equal(result, true);
        assert.equal((await repo.getSend(row.sendId))?.closedReason, 'failed');
        assert.equal((await repo.getOffer(first.offerId))?.state, 'failed');
      }),
    );

    test(
      'a transaction whose work throws leaves no write behind, and the error comes out',
      withRepo(async (repo) => {
        const row = send();
        const first = offer(row);
        await repo.insertSend(row, [first]);
        const failure = new Error('half way');
        await assert.rejects(
          repo.transaction(async (tx) => {
            await tx.updateSend(row.sendId, { closed: true, closedReason: 'failed' });
            await tx.transitionOffer(first.offerId, ['waiting'], 'failed', {}, T0 + 1);
            await tx.addConference({ cid: 'inside', title: 'Inside', createdAt: T0 });
            throw failure;
          }),
          (error) => error === failure,
        );
        assert.deepEqual(await repo.getSend(row.sendId), row);
        assert.deepEqual(await repo.getOffer(first.offerId), first);
        assert.equal(await repo.getConference('inside'), undefined);
      }),
    );

    test(
      'a write made outside a transaction while it is open is not rolled back with it',
      withRepo(async (repo) => {
        const held = gate();
        const started = gate();
        const rolledBack = repo.transaction(async (tx) => {
          await tx.setMeta('inside', 'x');
          started.open();
          await held.opened;
          throw new Error('rolled back');
        });
        await started.opened;
        const outside = repo.setMeta('outside', 'y');
        held.open();
        await assert.rejects(rolledBack, /rolled back/);
        await outside;
        assert.equal(await repo.getMeta('outside'), 'y');
        assert.equal(await repo.getMeta('inside'), undefined);
      }),
    );

    test(
      'concurrent transactions each see one outcome of a compare-and-set: one accepts, the other finds it taken',
      withRepo(async (repo) => {
        const row = send();
        const first = offer(row);
        await repo.insertSend(row, [first]);
        const attempt = (by: string) =>
          repo.transaction(async (tx: HubQueries) => {
            if (!(await tx.transitionOffer(first.offerId, ['waiting'], 'accepted', { acceptedBy: by }, T0))) {
              return false;
            }
            await tx.updateSend(row.sendId, { seenStatus: 2 });
            return true;
          });
        const results = await Promise.all([attempt('one'), attempt('two')]);
        assert.deepEqual([...results].sort(), [false, true]);
        assert.equal((await repo.getOffer(first.offerId))?.acceptedBy, results[0] ? 'one' : 'two');
        assert.equal((await repo.getSend(row.sendId))?.seenStatus, 2);
      }),
    );

    test(
      'the queries of a transaction that ended are refused',
      withRepo(async (repo) => {
        let leaked: HubQueries | undefined;
        await repo.transaction(async (tx) => {
          leaked = tx;
        });
        await assert.rejects(leaked!.setMeta('late', 'x'));
        assert.equal(await repo.getMeta('late'), undefined);
      }),
    );

    test(
      'a repository that declares external changes reports a commit made through another connection',
      withRepo(async (repo, under) => {
        if (!repo.watchExternalChanges) return;
        await repo.addAccount(account('alice'));
        // The deadline also keeps the process alive while the repository's own watch lets it exit.
        let deadline: NodeJS.Timeout | undefined;
        const noticed = new Promise<void>((resolve, reject) => {
          deadline = setTimeout(() => reject(new Error('the change was not reported within 10 s')), 10_000);
          const stop = repo.watchExternalChanges!(() => {
            stop();
            resolve();
          });
        }).finally(() => clearTimeout(deadline));
        const other = await under.connectAgain();
        await other.updateAccount('alice', { locked: true });
        await noticed;
        assert.equal((await repo.getAccount('alice'))?.locked, true);
      }),
    );
  });
}
