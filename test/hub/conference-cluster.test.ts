import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { CliProcess, freePort } from '../helpers/child.js';
import { tempDir } from '../helpers/harness.js';
import { postgresMissing, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { need } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';
import { LINK_PATH, LINK_SUBPROTOCOL } from '../../src/protocol/hub-link.js';
import { silentLogger } from '../../src/common/logger.js';
import { Hub } from '../../src/hub/hub.js';

/**
 * Running conferences across hub processes on one PostgreSQL database (issue 16): membership, invitations and
 * presence are rows every process sees, conference pushes reach the process holding each room's link, and the
 * rooms of a process that dies leave their conferences once its lease runs out. Hub A runs in this process
 * (with a short lease, to see it run out quickly); hub B is a real `roomfiles hub` process, killed with SIGKILL.
 */
const missing = postgresMissing();
const dir = tempDir('roomfiles-conf-cluster-');
let pg: PgCluster | null = null;
let databases = 0;

before(async () => {
  if (missing) return;
  pg = await startPostgres(dir.path);
});

after(async () => {
  await pg?.stop();
  dir.cleanup();
});

type Message = Record<string, unknown>;

interface RawLink {
  call(op: string, fields?: object): Promise<Message>;
  /** The first push of this name matching `where`, received already or still to come. */
  push(name: string, where?: (push: Message) => boolean, timeoutMs?: number): Promise<Message>;
  /** Everything received, replies (`{re…}`) and pushes, in order. */
  received: Message[];
  instanceId: string;
  close(): void;
}

/** A room's link spoken by hand: hello and login done. */
async function rawLink(t: TestContext, port: number, name: string): Promise<RawLink> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}${LINK_PATH}`, LINK_SUBPROTOCOL);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  t.after(() => socket.terminate());
  const received: Message[] = [];
  const wake = new Set<() => void>();
  const replies = new Map<number, (reply: Message) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as Message;
    received.push(message);
    if (typeof message.re === 'number') replies.get(message.re)?.(message);
    for (const waiter of [...wake]) waiter();
  });
  let next = 1;
  const call = (op: string, fields: object = {}) => {
    const id = next++;
    return new Promise<Message>((resolve) => {
      replies.set(id, resolve);
      socket.send(JSON.stringify({ id, op, ...fields }));
    });
  };
  const push = (pushName: string, where: (push: Message) => boolean = () => true, timeoutMs = 20_000) =>
    waitFor(`push ${pushName} to ${name}`, () => received.find((m) => m.push === pushName && where(m)), {
      wake,
      timeoutMs,
    });
  const instance = Math.floor(Math.random() * 0xffffffff)
    .toString(16)
    .padStart(8, '0');
  assert.equal((await call('hello', { room: name, instance, software: 'test' })).ok, true);
  const login = await call('login', { login: name, password: `pw-${name}` });
  assert.equal(login.ok, true, JSON.stringify(login));
  return {
    call,
    push,
    received,
    instanceId: String(login.instanceId),
    close: () => socket.close(),
  };
}

/** Hub A (in this process, lease renewed every 0.3 s and stale after 8 s) and hub B (a `roomfiles hub` process). */
async function twoHubs(t: TestContext) {
  if (!need(t, missing)) return null;
  const name = `conf${++databases}`;
  pg!.createDatabase(name);
  const db = pg!.url(name);
  const dataA = tempDir('roomfiles-conf-a-');
  const a = new Hub({
    dataDir: dataA.path,
    port: 0,
    logger: silentLogger,
    db,
    // Longer than B's renewal period (5 s): B's rooms are stale only once B stopped renewing them.
    presenceLease: { renewMs: 300, staleMs: 8000 },
  });
  for (const account of ['alice', 'bob', 'carol']) await a.accounts.add(account, `pw-${account}`);
  await a.start();
  t.after(async () => {
    await a.stop();
    dataA.cleanup();
  });
  const portB = await freePort();
  const b = new CliProcess([
    'hub',
    '--listen',
    `127.0.0.1:${portB}`,
    '--data',
    `${dataA.path}-b`,
    '--db',
    db,
  ]);
  t.after(() => b.kill());
  await b.waitForLine(/roomfiles hub listening/, 60_000);
  return { a, b, portB };
}

test(
  'a conference across two hub processes: the invitation, the joins, the view and a conference send cross over; pushes come after the reply',
  { timeout: 60_000 },
  async (t) => {
    const hubs = await twoHubs(t);
    if (!hubs) return;
    const { a, portB } = hubs;
    const alice = await rawLink(t, a.port, 'alice');
    const bob = await rawLink(t, portB, 'bob');
    const carol = await rawLink(t, portB, 'carol');

    const created = await alice.call('conf.create', { title: 'Plan', confType: 1, invite: ['bob', 'carol'] });
    assert.equal(created.ok, true, JSON.stringify(created));
    const confId = String(created.confId);
    for (const invitee of [bob, carol]) {
      const invite = await invitee.push('conf.invite');
      assert.deepEqual(invite, {
        push: 'conf.invite',
        confId,
        title: 'Plan',
        confType: 1,
        from: { peerId: 'alice@files.local', peerDn: 'Alice' },
      });
    }

    // Bob (on B) accepts: the view lists both; alice (on A) is told, after bob's reply.
    const accepted = await bob.call('conf.accept', { confId });
    assert.equal(accepted.ok, true, JSON.stringify(accepted));
    assert.deepEqual(accepted.participants, [
      { peerId: alice.instanceId, peerDn: 'Alice', role: 2 },
      { peerId: bob.instanceId, peerDn: 'Bob', role: 1 },
    ]);
    const joined = await alice.push('conf.joined');
    assert.deepEqual(joined, { push: 'conf.joined', confId, peerId: bob.instanceId, peerDn: 'Bob', role: 1 });

    // Carol (on B too) rejects: the inviting room (on A) hears of it; nobody else does.
    const rejected = await carol.call('conf.reject', { confId });
    assert.equal(rejected.ok, true);
    await alice.push('conf.rejected', (p) => p.peerId === 'carol@files.local');
    assert.equal((await carol.call('conf.accept', { confId })).code, 'not_found', 'the invitation is gone');

    // A conference send by bob (on B) goes to the accounts present: alice (on A).
    const sendId = randomUUID();
    const sent = await bob.call('offer.create', {
      sendId,
      conference: true,
      fileName: 'notes.txt',
      fileSize: 10,
      sha256: 'b'.repeat(64),
    });
    assert.equal(sent.ok, true, JSON.stringify(sent));
    assert.deepEqual(sent.offers, [
      { offerId: (sent.offers as Message[])[0].offerId, peerId: 'alice@files.local', peerDn: 'Alice' },
    ]);
    assert.equal(sent.confId, confId);
    await alice.push('offer', (p) => (p.offer as Message).confId === confId);

    // Both processes see one membership per room: a second conference for bob is refused on A's data too.
    assert.equal((await bob.call('conf.create', { title: 'x', confType: 1, invite: [] })).code, 'conflict');

    // Alice ends it for everyone: bob (on B) gets conf.ended after alice's reply.
    const mark = alice.received.length;
    const ended = await alice.call('conf.leave', { forAll: true });
    assert.deepEqual(ended, { re: ended.re, ok: true, confId });
    await bob.push('conf.ended', (p) => p.confId === confId);
    assert.deepEqual(
      alice.received.slice(mark).map((m) => m.push ?? 'reply'),
      ['reply'],
      'the owner gets its reply and no push of its own',
    );
    assert.deepEqual(await a.repo.conferenceMembers(confId), []);
    assert.equal(await a.repo.getRunningConference(confId), undefined);
  },
);

test(
  'the rooms of a hub process killed with SIGKILL leave their conferences once its lease runs out: the others are told, and the conference ends with its last one',
  { timeout: 60_000 },
  async (t) => {
    const hubs = await twoHubs(t);
    if (!hubs) return;
    const { a, b, portB } = hubs;
    const alice = await rawLink(t, a.port, 'alice');
    const bob = await rawLink(t, portB, 'bob');
    const carol = await rawLink(t, portB, 'carol');
    await a.repo.addConference({ cid: 'weekly', title: 'Weekly', createdAt: Date.now() });

    // Bob and carol (both on B) are in a named conference with alice (on A); another one has only bob and carol.
    const first = await bob.call('conf.join', { cid: 'weekly' });
    assert.equal(first.ok, true, JSON.stringify(first));
    assert.equal(first.owner, 'bob@files.local');
    const confId = String(first.confId);
    assert.equal(
      (await alice.call('conf.join', { cid: 'weekly' })).confId,
      confId,
      'the session running on B',
    );
    await bob.push('conf.joined', (p) => p.peerId === alice.instanceId);
    const invited = await carol.call('conf.create', { title: 'Side', confType: 1, invite: ['alice'] });
    const sideId = String(invited.confId);
    await alice.push('conf.invite', (p) => p.confId === sideId);

    const killedAt = Date.now();
    await b.kill();
    // Nothing tells A that B died but B's silence: its rows are taken out when they are 8 s old.
    const left = await alice.push('conf.left', (p) => p.peerId === bob.instanceId, 30_000);
    assert.deepEqual(left, { push: 'conf.left', confId, peerId: bob.instanceId });
    assert.ok(Date.now() - killedAt < 20_000, 'within the lease and a renewal period or two');
    // The side conference had only B's rooms: it ended, and its invitation to alice was withdrawn.
    await alice.push('conf.uninvite', (p) => p.confId === sideId, 30_000);
    assert.equal(await a.repo.getRunningConference(sideId), undefined);
    assert.deepEqual(
      (await a.repo.conferenceMembers(confId)).map((m) => m.instanceId),
      [alice.instanceId],
    );
    assert.deepEqual(await a.repo.staleConferenceMembers(Date.now() - 8000), [], 'alice is renewed by A');

    // Bob's room, back through A, starts outside any conference and may join again.
    const again = await rawLink(t, a.port, 'bob');
    const rejoined = await again.call('conf.join', { cid: 'weekly' });
    assert.equal(rejoined.confId, confId);
    assert.deepEqual(
      (rejoined.participants as Message[]).map((p) => p.peerId),
      [alice.instanceId, again.instanceId],
    );
  },
);
