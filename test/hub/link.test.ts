import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { waitFor, withTimeout } from '../helpers/wait.js';
import { LINK_PATH, LINK_SUBPROTOCOL, type LinkResult } from '../../src/protocol/hub-link.js';
import type { Hub } from '../../src/hub/hub.js';

/**
 * Issue 2, the room↔hub link (docs/hub-protocol.md, "Transport and version"): the version is the subprotocol and a
 * hub refuses any other with HTTP 426; a peer that stops answering pings is dropped after two missed pongs.
 */

const bed = new TestBed();
after(() => bed.close());

const linkUrl = (hub: Hub) => `ws://127.0.0.1:${hub.port}${LINK_PATH}`;

interface Refusal {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** Tries to open a link offering `protocols`; resolves with the HTTP answer when the hub refuses the upgrade. */
function refusedUpgrade(hub: Hub, protocols: string[] | undefined): Promise<Refusal> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(linkUrl(hub), protocols);
    ws.on('open', () => {
      ws.terminate();
      reject(new Error(`the hub accepted a link offering ${JSON.stringify(protocols)} (${ws.protocol})`));
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    ws.on('error', (error) => reject(error));
  });
}

/** A bare link client speaking the protocol by hand, as src/room/hub-link.ts does, with control over its pongs. */
class RawLink {
  readonly ws: WebSocket;
  /** Answer the hub's pings (by hand: the socket is opened with autoPong off). */
  answering = true;
  answered = 0;
  unanswered = 0;
  private nextId = 1;
  private readonly replies = new Map<number, (reply: Record<string, unknown>) => void>();
  private readonly pushes: Record<string, unknown>[] = [];
  private readonly waiters = new Set<() => void>();
  readonly closed: Promise<{ code: number; at: number }>;

  constructor(url: string) {
    this.ws = new WebSocket(url, LINK_SUBPROTOCOL, { autoPong: false, perMessageDeflate: false });
    this.ws.on('ping', (data) => {
      if (this.answering) {
        this.ws.pong(data);
        this.answered += 1;
      } else {
        this.unanswered += 1;
      }
      this.notify();
    });
    this.ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      if (typeof message.re === 'number') this.replies.get(message.re)?.(message);
      else if (typeof message.push === 'string') this.pushes.push(message);
      this.notify();
    });
    this.ws.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code) => resolve({ code, at: performance.now() })),
    );
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode}`)),
      );
      this.ws.once('error', reject);
    });
  }

  async request(op: string, args: object = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const reply = new Promise<Record<string, unknown>>((resolve) => this.replies.set(id, resolve));
    this.ws.send(JSON.stringify({ id, op, ...args }));
    const message = await reply;
    this.replies.delete(id);
    assert.equal(message.ok, true, `${op} failed: ${JSON.stringify(message)}`);
    return message;
  }

  /** Resolves when `ready()` holds (checked at once and on every ping, push and reply). */
  async until(what: string, ready: () => boolean, timeoutMs = 10_000): Promise<void> {
    await waitFor(`${what} on the raw link`, () => (ready() ? true : undefined), {
      wake: this.waiters,
      timeoutMs,
    });
  }

  async push(name: string): Promise<Record<string, unknown>> {
    await this.until(`push ${name}`, () => this.pushes.some((p) => p.push === name));
    return this.pushes.find((p) => p.push === name)!;
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

function rawLink(hub: Hub): RawLink {
  const link = new RawLink(linkUrl(hub));
  bed.defer(() => link.ws.terminate());
  return link;
}

test('the hub refuses a link that offers no subprotocol or another version, with HTTP 426 naming its own', async () => {
  const hub = await bed.hub();
  for (const protocols of [
    undefined,
    ['roomfiles-link.2'],
    ['roomfiles-link.0', 'roomfiles-link.2'],
    ['link.1'],
  ]) {
    const refusal = await refusedUpgrade(hub, protocols);
    assert.equal(refusal.status, 426, `offering ${JSON.stringify(protocols)}`);
    assert.match(String(refusal.headers['content-type']), /^application\/json/);
    assert.equal(refusal.headers.upgrade, 'websocket');
    assert.equal(refusal.headers['sec-websocket-protocol'], LINK_SUBPROTOCOL);
    assert.deepEqual(JSON.parse(refusal.body), {
      error: `this hub speaks ${LINK_SUBPROTOCOL}`,
      errorCode: 426,
    });
    assert.equal(hub.links.sessions.size, 0, 'a refused upgrade makes no link session');
  }

  // Offering the right version among others is accepted, and the hub picks it.
  const link = rawLink(hub);
  await link.opened();
  assert.equal(link.ws.protocol, LINK_SUBPROTOCOL);
  const mixed = new WebSocket(linkUrl(hub), ['roomfiles-link.2', LINK_SUBPROTOCOL]);
  bed.defer(() => mixed.terminate());
  await new Promise<void>((resolve, reject) => {
    mixed.once('open', () => resolve());
    mixed.once('error', reject);
  });
  assert.equal(mixed.protocol, LINK_SUBPROTOCOL);
  const hello = await link.request('hello', { room: 'raw', instance: '0badc0de', software: 'test' });
  assert.deepEqual([hello.domain, hello.hubId], [hub.domain, hub.hubId]);
  assert.equal(hub.links.sessions.size, 2);
});

test('a logged-in link that stops answering pings is dropped after two missed pongs; its presence goes with it', async () => {
  const heartbeatMs = 300;
  const hub = await bed.hub({ accounts: ['alice', 'bob'], heartbeatMs });

  // bob: a real room, whose link answers pings (it must outlive alice's under the same short heartbeat).
  const bobRoom = await bed.room({ hub, as: 'bob' });
  await loggedIn(bobRoom);
  const bob = await bed.connect(bobRoom);

  // alice: a bare link client that logs in as a room does (hello, then login), answering pings for now.
  const alice = rawLink(hub);
  await alice.opened();
  await alice.request('hello', { room: 'raw-alice', instance: '0123abcd', software: 'roomfiles-test' });
  const login = (await alice.request('login', {
    login: 'alice',
    password: 'pw-alice',
  })) as unknown as LinkResult<'login'>;
  const aliceInstance = 'alice@files.local/0123abcd';
  assert.equal(login.instanceId, aliceInstance);
  const session = hub.links.sessionByInstance(aliceInstance);
  assert.ok(session, 'the hub has alice present');
  assert.equal(hub.links.sessionByToken(login.session), session);
  // When the hub's side closes: the time, and how many pongs the hub had counted as missed by then.
  const hubSideClosed = new Promise<{ at: number; missedPongs: number }>((resolve) =>
    session.socket.once('close', () => resolve({ at: performance.now(), missedPongs: session.missedPongs })),
  );

  // Both in one conference, so bob's room shows alice's presence as a participant.
  const joined = bob.waitFor('newParticipantInConference', (e) => e.peerId === aliceInstance);
  await bob.call('createConference', {
    title: 'Heartbeat',
    confType: 'symmetric',
    inviteList: ['alice@files.local'],
  });
  const invite = await alice.push('conf.invite');
  await alice.request('conf.accept', { confId: invite.confId });
  const confId = (await joined).confId;

  // While it answers, the link lives well past the time a silent one is dropped in (three intervals).
  const answeredBefore = alice.answered;
  await alice.until('four more pings', () => alice.answered >= answeredBefore + 4);
  assert.equal(alice.unanswered, 0);
  assert.ok(hub.links.sessions.has(session), 'a link that answers its pings is kept');

  // Now silent: the hub pings, gets no pong, and drops the link after two missed pongs.
  const left = bob.waitFor('participantLeftConference', (e) => e.peerId === aliceInstance, 15_000);
  alice.answering = false;
  const silentFrom = performance.now();
  const dropped = await withTimeout(hubSideClosed, 'drop of the silent link by the hub', 10_000);
  assert.equal(dropped.missedPongs, 2, 'dropped for two missed pongs, as docs/hub-protocol.md says');
  // Two pings go unanswered (three if the last pong reached the hub only after its next tick).
  assert.ok(
    alice.unanswered >= 2 && alice.unanswered <= 3,
    `${alice.unanswered} pings unanswered before the drop`,
  );
  // The last answered ping may have left one pong owed (dropped after 1–2 intervals) or none (2–3 intervals).
  const elapsed = dropped.at - silentFrom;
  assert.ok(elapsed > heartbeatMs - 20, `dropped after ${Math.round(elapsed)} ms: not before a missed pong`);
  assert.ok(
    elapsed <= 3 * heartbeatMs + 1000,
    `dropped after ${Math.round(elapsed)} ms: within three ${heartbeatMs} ms intervals (+ slack)`,
  );
  assert.equal((await alice.closed).code, 1006, 'terminated, not closed politely');

  // Presence: the hub no longer has alice, her body-route token is dead, and bob's room sees her leave.
  assert.equal(hub.links.sessionByInstance(aliceInstance), undefined);
  assert.deepEqual(hub.links.sessionsOf('alice@files.local'), []);
  assert.equal(hub.links.sessionByToken(login.session), undefined);
  assert.deepEqual(await left, {
    method: 'event',
    event: 'participantLeftConference',
    peerId: aliceInstance,
    confId,
  });
  const participants = await bob.call('getConferenceParticipants');
  assert.deepEqual(
    (participants.participants as { peerId: string }[]).map((p) => p.peerId),
    [`bob@files.local/${bobRoom.instance}`],
  );

  // bob, who answers, is still there and still logged in.
  assert.equal(hub.links.sessionsOf('bob@files.local').length, 1);
  assert.equal((await bob.call('getLogin')).isLoggedIn, true);
});
