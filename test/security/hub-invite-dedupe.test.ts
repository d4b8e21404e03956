import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestBed } from '../helpers/harness.js';
import { RawLink } from './hub-support.js';

const bed = new TestBed();
after(() => bed.close());

test('conf.create invites each account once, however often and however spelled the invite list names it', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob', 'carol'] });
  const links = ['alice', 'bob', 'carol'].map(() => {
    const link = new RawLink(hub.port);
    bed.defer(() => link.close());
    return link;
  });
  const [alice, bob, carol] = links;
  for (const [i, name] of ['alice', 'bob', 'carol'].entries()) {
    const reply = await links[i].login(name, `pw-${name}`);
    assert.equal(reply.ok, true, JSON.stringify(reply));
  }
  const created = await alice.call('conf.create', {
    title: 'Repeated',
    confType: 1,
    invite: ['bob', 'bob@files.local', 'BOB@FILES.LOCAL', 'bob', 'carol', 'carol', 'alice', 'nobody'],
  });
  assert.equal(created.ok, true, JSON.stringify(created));
  // Ending the conference withdraws the invitations: the withdrawal comes after every invitation on each link.
  assert.equal((await alice.call('conf.leave', { forAll: true })).ok, true);
  await bob.until('conf.uninvite', () => bob.pushesNamed('conf.uninvite').length > 0);
  await carol.until('conf.uninvite', () => carol.pushesNamed('conf.uninvite').length > 0);
  assert.equal(bob.pushesNamed('conf.invite').length, 1, 'bob is invited once');
  assert.equal(carol.pushesNamed('conf.invite').length, 1, 'carol is invited once');
  assert.equal(alice.pushesNamed('conf.invite').length, 0, 'the owner is not invited to her own conference');
});
