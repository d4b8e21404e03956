import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { RawLink, restartRoom } from '../transfer/support.js';
import { ManualClock } from '../../src/common/clock.js';
import { LoginResult } from '../../src/protocol/session-methods.js';

/**
 * Issue 12 point 11: after the hub locked an account (login result 10), the room stayed at appState 2 for good.
 * Now a locked login is tried again with the reconnect backoff, so the room logs in by itself once the lock
 * window has passed; a wrong password is not tried again (it would only extend the lock).
 */
const bed = new TestBed();
after(() => bed.close());

/** The attack: wrong passwords for `name` over a raw link until the hub answers "locked" (bounded). */
async function lockOut(link: RawLink, name: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const reply = await link.request('login', { login: name, password: 'not-the-password' });
    if (reply.ok === false && reply.code === 'locked') return;
  }
  assert.fail(`the hub never locked ${name}`);
}

test('room: a login locked by an attacker is retried and succeeds once the lock window has passed', async () => {
  const clock = new ManualClock();
  const hub = await bed.hub({ accounts: ['alice'], clock });
  const dataDir = bed.dir('room-');
  const first = await bed.room({ hub, as: 'alice', dataDir });
  await loggedIn(first);
  await first.stop();

  const attacker = await RawLink.open(bed, hub);
  await attacker.request('hello', { room: 'attacker', instance: 'abcdef02', software: 'test' });
  await lockOut(attacker, 'alice');

  // The room starts with its saved credentials and is refused: locked.
  const { room, seen, waitFor } = await restartRoom(bed, dataDir, 'alice');
  const lockedReplies = () => seen.filter((m) => m.event === 'login' && m.result === LoginResult.Locked);
  await waitFor('login', (m) => m.result === LoginResult.Locked);
  assert.equal(room.session.identity, null);
  assert.equal(room.session.loginRetryPending, true, 'a locked login is tried again');
  // Still locked: the retries keep being refused, and the room keeps trying.
  await waitFor('login', () => lockedReplies().length >= 2);

  // The lock window passes (the hub's clock jumps past it): the next retry logs the room in, unattended.
  clock.advance(24 * 60 * 60_000);
  await loggedIn(room, 45_000);
  assert.equal(room.session.loginRetryPending, false);
  const state = await (await bed.connect(room)).call('getAppState');
  assert.equal(state.appState, 3);
});

test('room: a wrong password is not retried', async () => {
  const hub = await bed.hub({ accounts: ['bob'] });
  const room = await bed.room({ hub });
  const api = await bed.connect(room);
  const refused = api.waitFor('login', () => true, 15_000);
  await api.call('login', { login: `bob@${hub.domain}`, password: 'wrong' });
  assert.equal((await refused).result, LoginResult.WrongPassword);
  assert.equal(room.session.loginRetryPending, false, 'no retry after a wrong password');
  assert.equal(room.session.credentials, null, 'the wrong password is not kept either');
});
