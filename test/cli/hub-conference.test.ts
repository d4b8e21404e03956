import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { runCli } from '../helpers/child.js';

const bed = new TestBed();
after(() => bed.close());

test('hub conference add|list|remove manage named conferences that rooms join with \\c\\<CID>', async () => {
  const dataDir = bed.dir('hub-conf-');
  const hub = await bed.hub({ dataDir, accounts: ['alice', 'bob'] });

  const added = await runCli([
    'hub',
    'conference',
    'add',
    'weekly',
    '--title',
    'Weekly review',
    '--data',
    dataDir,
  ]);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /created conference weekly/);
  const duplicate = await runCli(['hub', 'conference', 'add', 'weekly', '--data', dataDir]);
  assert.equal(duplicate.code, 1);
  assert.match(duplicate.stderr, /already exists/);
  assert.doesNotMatch(duplicate.stderr, /\n\s+at /, 'no stack trace');
  const invalid = await runCli(['hub', 'conference', 'add', '../x', '--data', dataDir]);
  assert.equal(invalid.code, 2);

  const listed = await runCli(['hub', 'conference', 'list', '--json', '--data', dataDir]);
  assert.deepEqual(
    (JSON.parse(listed.stdout) as { cid: string; title: string }[]).map((c) => [c.cid, c.title]),
    [['weekly', 'Weekly review']],
  );

  // The running hub sees the conference the CLI added: alice joins it, then bob, who sees alice in it.
  const alice = await bed.room({ hub, as: 'alice' });
  const bob = await bed.room({ hub, as: 'bob' });
  await Promise.all([loggedIn(alice), loggedIn(bob)]);
  const a = await bed.connect(alice);
  const b = await bed.connect(bob);
  const created = a.waitFor('conferenceCreated');
  await a.call('call', { peerId: '\\c\\weekly' });
  const conference = await created;
  assert.equal(conference.confTitle, 'Weekly review');
  assert.match(conference.confId, /^[0-9a-f]{16}@files\.local#vcs$/);
  const joined = a.waitFor('newParticipantInConference');
  const bobCreated = b.waitFor('conferenceCreated');
  await b.call('call', { peerId: '\\c\\weekly' });
  assert.equal((await bobCreated).confId, conference.confId);
  assert.match((await joined).peerId, /^bob@files\.local\/[0-9a-f]{8}$/);
  const participants = await b.call('getConferenceParticipants');
  assert.equal(participants.participants.length, 2);

  const removed = await runCli(['hub', 'conference', 'remove', 'weekly', '--data', dataDir]);
  assert.equal(removed.code, 0);
  const empty = await runCli(['hub', 'conference', 'list', '--data', dataDir]);
  assert.match(empty.stdout, /no conferences/);
  const missing = await runCli(['hub', 'conference', 'remove', 'weekly', '--data', dataDir]);
  assert.equal(missing.code, 1);
  const help = await runCli(['hub', 'conference', 'add', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Example:/);
});
