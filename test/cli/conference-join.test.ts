import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { RoomClient } from '../../src/client/index.js';
import { TestBed } from '../helpers/harness.js';
import { EventLog, clientOf } from '../client/support.js';
import { assertFailure, assertPlain, cli, pair, type Pair } from './client-support.js';

/**
 * `roomfiles conference join <CID>` and `conference leave` (docs/cli.md): the room really enters the named
 * conference and leaves it again, as the room already in it sees.
 */

const bed = new TestBed();
after(() => bed.close());

let rooms: Pair;
/** alice's SDK client, and every event it receives. */
let alice: RoomClient;
let aliceLog: EventLog;
let bob: RoomClient;

before(async () => {
  rooms = await pair(bed);
  await rooms.hub.repo.addConference({ cid: 'weekly', title: 'Weekly review', createdAt: Date.now() });
  alice = await clientOf(bed, rooms.alice);
  aliceLog = new EventLog(alice);
  bob = await clientOf(bed, rooms.bob);
});

const BOB_INSTANCE = /^bob@files\.local\/[0-9a-f]{8}$/;

test('conference join weekly / leave: alice, already in it, sees bob join (event and participants), then leave', async () => {
  const aliceIn = alice.waitFor('conferenceCreated', () => true, 10_000);
  await alice.call({ peerId: '\\c\\weekly' });
  const { confId } = await aliceIn;
  assert.match(confId, /^[0-9a-f]{16}@files\.local#vcs$/);

  const mark = aliceLog.mark();
  const join = await cli(['conference', 'join', 'weekly', '--url', rooms.apiB]);
  assert.equal(join.code, 0, join.stderr);
  assert.equal(join.stdout, `joined the conference "Weekly review" (${confId})\n`);
  assertPlain(join.stdout + join.stderr, 'join output');
  const joined = await aliceLog.waitFor('newParticipantInConference', () => true, mark);
  assert.match(joined.peerId, BOB_INSTANCE);
  assert.equal(joined.peerDn, 'Bob');
  assert.equal(joined.confId, confId);
  assert.equal(joined.role, 1);
  const present = (await alice.getConferenceParticipants()).participants;
  assert.deepEqual(
    present.map((p) => p.peerId).sort(),
    [joined.peerId, expectInstance(present, 'alice')].sort(),
  );
  assert.equal(present.find((p) => p.peerId === joined.peerId)?.role, 1);
  // bob's room is in it (the command's connection is gone; the room stays in the conference).
  const bobConf = await bob.getConferences();
  assert.equal(bobConf.confId, confId);
  assert.equal(bobConf.id, 'weekly');
  assert.equal((await bob.getAppState()).appState, 5);

  const leaveMark = aliceLog.mark();
  const leave = await cli(['conference', 'leave', '--url', rooms.apiB]);
  assert.equal(leave.code, 0, leave.stderr);
  assert.equal(leave.stdout, `left the conference ${confId}\n`);
  const left = await aliceLog.waitFor('participantLeftConference', () => true, leaveMark);
  assert.deepEqual({ peerId: left.peerId, confId: left.confId }, { peerId: joined.peerId, confId });
  const remaining = (await alice.getConferenceParticipants()).participants;
  assert.equal(
    remaining.some((p) => p.peerId === joined.peerId),
    false,
  );
  assert.equal((await bob.getConferences()).confId, undefined);

  // The call-string form and --json: the same conference again, one JSON document each.
  const againMark = aliceLog.mark();
  const again = await cli(['conference', 'join', '\\c\\weekly', '--json', '--url', rooms.apiB]);
  assert.equal(again.code, 0, again.stderr);
  const document = JSON.parse(again.stdout) as Record<string, unknown>;
  assert.equal(document.confId, confId);
  assert.equal(document.confTitle, 'Weekly review');
  assert.equal(document.conferenceOwner, 'alice@files.local');
  const rejoined = await aliceLog.waitFor('newParticipantInConference', () => true, againMark);
  assert.match(rejoined.peerId, BOB_INSTANCE);
  const leaveJson = await cli(['conference', 'leave', '--json', '--url', rooms.apiB]);
  assert.equal(leaveJson.code, 0, leaveJson.stderr);
  assert.deepEqual(JSON.parse(leaveJson.stdout), { left: true, confId, forAll: false });
  await aliceLog.waitFor('participantLeftConference', () => true, againMark);

  const aliceOut = alice.waitFor('conferenceDeleted', () => true, 10_000);
  await alice.hangUp({ forAll: false });
  await aliceOut;
});

test('an ad-hoc conference (createConference) cannot be joined by its confId: exit 1, bob stays out', async () => {
  const created = alice.waitFor('conferenceCreated', () => true, 10_000);
  await alice.createConference({ title: 'Ad hoc', confType: 'symmetric', inviteList: [] });
  const { confId } = await created;
  const mark = aliceLog.mark();
  const join = await cli(['conference', 'join', confId, '--url', rooms.apiB]);
  assertFailure(
    join,
    1,
    /^roomfiles: cannot join .*: there is no such conference on the server \(asked the room at (?:ws|http):\/\/127\.0\.0\.1:\d+\)$/,
  );
  assert.equal((await bob.getConferences()).confId, undefined);
  assert.equal((await alice.getConferenceParticipants()).participants.length, 1);
  assert.deepEqual(aliceLog.of('newParticipantInConference', mark), []);
  const aliceOut = alice.waitFor('conferenceDeleted', () => true, 10_000);
  await alice.hangUp({ forAll: true });
  await aliceOut;
});

/** The InstanceId of `name` among the participants. */
function expectInstance(participants: { peerId: string }[], name: string): string {
  const found = participants.find((p) => p.peerId.startsWith(`${name}@files.local/`));
  assert.ok(found, `${name} among ${JSON.stringify(participants)}`);
  return found.peerId;
}
