import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { RoomApiError } from '../../src/client/index.js';

const bed = new TestBed();
after(() => bed.close());

test('an invitation to a conference that ends before it is answered is withdrawn', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const alice = await bed.room({ hub, as: 'alice' });
  const bob = await bed.room({ hub, as: 'bob' });
  await Promise.all([loggedIn(alice), loggedIn(bob)]);
  const a = await bed.connect(alice);
  const b = await bed.connect(bob);

  const invited = b.waitFor('inviteReceived');
  const calling = b.waitFor('appStateChanged', (e) => e.appState === 4);
  await a.call('createConference', { title: 'Short', inviteList: ['bob@files.local'] });
  await Promise.all([invited, calling]);

  // Alice, alone in it, leaves: the conference ends and bob is no longer being called.
  const withdrawn = b.waitFor('appStateChanged', (e) => e.appState === 3);
  await a.call('hangUp', { forAll: false });
  await withdrawn;
  assert.equal((await b.call('getAppState')).appState, 3);
  await assert.rejects(b.call('accept'), (error) => error instanceof RoomApiError && error.errorCode === 409);
});
