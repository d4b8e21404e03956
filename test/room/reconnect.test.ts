import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../../src/common/backoff.js';
import type { EventMessage, RoomConnection } from '../../src/client/index.js';
import type { EventName } from '../../src/protocol/events.js';
import type { Hub } from '../../src/hub/hub.js';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { freePort } from '../helpers/child.js';
import { emitted, waitFor } from '../helpers/wait.js';

const bed = new TestBed();
after(() => bed.close());

/** Every event of a connection, in order, and a way to wait for one that came or is still to come. */
function recordEvents(api: RoomConnection) {
  const events: (Record<string, unknown> & { event: string })[] = [];
  const waiters = new Set<() => void>();
  api.onAny((event) => {
    events.push(event);
    for (const waiter of [...waiters]) waiter();
  });
  const next = <E extends EventName>(
    name: E,
    predicate: (event: EventMessage<E>) => boolean = () => true,
    from = 0,
    timeoutMs = 15_000,
  ): Promise<number> =>
    waitFor(
      () =>
        `"${name}" event; saw ${events
          .slice(from)
          .map((event) => event.event)
          .join(', ')}`,
      () => {
        const index = events.findIndex(
          (event, i) => i >= from && event.event === name && predicate(event as unknown as EventMessage<E>),
        );
        return index === -1 ? undefined : index;
      },
      { wake: waiters, timeoutMs },
    );
  return { events, next };
}

/** A hub on a fixed port and data directory (restarts of one hub keep both). */
function hubAt(port: number, dataDir: string, accounts: string[] = []): Promise<Hub> {
  return bed.hub({ port, dataDir, accounts });
}

test('a room whose hub stops reports it, retries, and logs in again by itself when the hub is back', async () => {
  const hubDir = bed.dir('hub-restart-');
  const first = await bed.hub({ accounts: ['alice'], dataDir: hubDir });
  const port = first.port;
  const room = await bed.room({ hub: first, as: 'alice' });
  await loggedIn(room);
  const api = await bed.connect(room);
  const { events, next } = recordEvents(api);

  await first.stop();
  const down = await next('serverDisconnected');
  assert.deepEqual(
    { ...events[down], method: undefined },
    { method: undefined, event: 'serverDisconnected', service: false, server: '127.0.0.1', port },
  );
  await next('appStateChanged', (e) => e.appState === 0, down);
  await next('fileTransferAvailabilityChanged', (e) => e.availability === 2, down);
  const state = await api.call('getAppState');
  assert.ok([0, 1].includes(state.appState), `appState while the hub is away: ${state.appState}`);
  assert.deepEqual(await loginState(api), { isLoggedIn: false });

  // The same hub comes back (same port, same data): no call from the client is needed.
  const mark = events.length;
  await hubAt(port, hubDir);
  const up = await next('serverConnected', (e) => e.port === port, mark);
  const login = await next('login', () => true, up);
  assert.equal(events[login].result, 0);
  assert.equal(events[login].peerId, 'alice@files.local');
  await next('appStateChanged', (e) => e.appState === 3, login);
  await next('fileTransferAvailabilityChanged', (e) => e.availability === 3, login);
  assert.deepEqual(await loginState(api), { isLoggedIn: true, peerId: 'alice@files.local', peerDn: 'Alice' });
  assert.equal((await api.call('getAppState')).appState, 3);
});

test('a room restarted on the same data connects and logs in from its saved server and credentials', async () => {
  const hub = await bed.hub({ accounts: ['bob'] });
  const dataDir = bed.dir('room-restart-');
  const room = await bed.room({ hub, as: 'bob', dataDir });
  await loggedIn(room);
  await room.stop();

  // No server and no login given this time: both come from the room's own store.
  const restarted = await bed.room({ dataDir, name: 'bob' });
  await loggedIn(restarted);
  const api = await bed.connect(restarted);
  assert.deepEqual(await loginState(api), { isLoggedIn: true, peerId: 'bob@files.local', peerDn: 'Bob' });
  const connected = await api.call('getConnected');
  assert.deepEqual(connected.serverInfo, {
    server: '127.0.0.1',
    service: false,
    port: hub.port,
    domain: 'files.local',
  });
  assert.equal(restarted.instance, room.instance, 'the instance id survives the restart');
});

test('a room started before its hub keeps trying and logs in once the hub listens', async () => {
  const port = await freePort();
  const room = await bed.room({
    server: { host: '127.0.0.1', port },
    login: { login: 'carol@files.local', password: 'pw-carol' },
  });
  const api = await bed.connect(room);
  const { next } = recordEvents(api);
  const state = await api.call('getAppState');
  assert.ok([0, 1].includes(state.appState), `appState before the hub exists: ${state.appState}`);
  await hubAt(port, bed.dir('hub-late-'), ['carol']);
  const login = await next('login', (e) => e.result === 0);
  await next('appStateChanged', (e) => e.appState === 3, login);
  assert.equal((await api.call('getLogin')).peerId, 'carol@files.local');
});

test('a room that switches servers reports the old one gone and starts logged out at the new one', async () => {
  const hubA = await bed.hub({ accounts: ['alice'] });
  const hubB = await bed.hub({ accounts: ['alice'], domain: 'b.example' });
  const room = await bed.room({ hub: hubA, as: 'alice' });
  await loggedIn(room);
  const loggedOut = emitted(room.session, 'loggedOut', { timeoutMs: 10_000 });
  loggedOut.catch(() => undefined);
  const api = await bed.connect(room);
  const { events, next } = recordEvents(api);
  await api.call('connectToServer', { server: '127.0.0.1', port: hubB.port });
  const gone = await next('serverDisconnected');
  assert.equal(events[gone].port, hubA.port, 'serverDisconnected names the server that was left');
  const connected = await next('serverConnected', () => true, gone);
  assert.deepEqual([events[connected].port, events[connected].domain], [hubB.port, 'b.example']);
  await next('appStateChanged', (e) => e.appState === 2, connected);
  await loggedOut; // in-process listeners (transfers) learn that the login ended
  assert.deepEqual(await loginState(api), { isLoggedIn: false });
  assert.ok(!events.some((event) => event.event === 'login'), 'the credentials of hub A are not tried at B');
});

test('Backoff: 1 s doubling to 30 s, each delay within ±10 % jitter and never above 30 s, reset starts over', async (t) => {
  const expected = [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000];
  const check = (backoff: Backoff) => {
    for (const base of expected) {
      const delay = backoff.next();
      assert.ok(Number.isInteger(delay));
      assert.ok(delay >= base * 0.9 && delay <= base * 1.1, `${delay} is not within 10 % of ${base}`);
      assert.ok(delay <= 30_000, `${delay} is above the 30 s cap`);
    }
  };
  for (let run = 0; run < 50; run += 1) check(new Backoff());

  const random = t.mock.method(Math, 'random', () => 0);
  const low = new Backoff();
  assert.deepEqual(
    expected.map(() => low.next()),
    expected.map((base) => base * 0.9),
  );
  random.mock.mockImplementation(() => 0.5);
  const middle = new Backoff();
  assert.deepEqual(
    expected.map(() => middle.next()),
    expected,
  );
  middle.reset();
  assert.equal(middle.next(), 1000);
  assert.equal(middle.next(), 2000);
  random.mock.mockImplementation(() => 0.999999);
  const high = new Backoff();
  assert.deepEqual(
    expected.map(() => high.next()),
    expected.map((base) => Math.min(30_000, base * 1.1)),
  );
});

async function loginState(api: RoomConnection) {
  const { isLoggedIn, peerId, peerDn } = await api.call('getLogin');
  return {
    isLoggedIn,
    ...(peerId !== undefined ? { peerId } : {}),
    ...(peerDn !== undefined ? { peerDn } : {}),
  };
}
