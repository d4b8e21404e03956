import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { RoomConnection, RoomApiError, type WebSocketLike } from '../../src/client/index.js';
import { Hub } from '../../src/hub/hub.js';
import { silentLogger } from '../../src/common/logger.js';
import type { Room } from '../../src/room/room.js';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { freePort, runCli } from '../helpers/child.js';
import { waitFor } from '../helpers/wait.js';

const bed = new TestBed();
after(() => bed.close());

type Message = Record<string, unknown> & { method: string };

/**
 * An authorized Room API connection that also records every message it receives, replies and events alike,
 * in the order they came off the wire: the recorder's listener is registered before the SDK's, so a reply
 * is in the log before the call that awaits it resumes.
 */
class Wire {
  readonly log: Message[] = [];
  api!: RoomConnection;
  private readonly waiters = new Set<() => void>();

  static async open(room: Room, authorize = true): Promise<Wire> {
    const wire = new Wire();
    wire.api = new RoomConnection({
      url: `ws://127.0.0.1:${room.apiPort}/`,
      createSocket: (url) => {
        const socket = new WebSocket(url, { perMessageDeflate: false });
        socket.on('message', (data) => wire.push(JSON.parse(data.toString()) as Message));
        return socket as unknown as WebSocketLike;
      },
    });
    await wire.api.open();
    bed.defer(() => wire.api.close());
    if (authorize) await wire.api.call('auth', { type: 'unsecured' });
    return wire;
  }

  private push(message: Message): void {
    this.log.push(message);
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Index of the first message at or after `from` that satisfies the predicate, now or when it arrives. */
  waitIndex(predicate: (m: Message) => boolean, from = 0, timeoutMs = 10_000): Promise<number> {
    return waitFor(
      () => `matching message; got ${this.summary(from).join(', ')}`,
      () => {
        for (let i = from; i < this.log.length; i += 1) if (predicate(this.log[i])) return i;
        return undefined;
      },
      { wake: this.waiters, timeoutMs },
    );
  }

  async event(name: string, fields: Record<string, unknown> = {}, from = 0, timeoutMs?: number) {
    return this.log[await this.waitIndex(isEvent(name, fields), from, timeoutMs)];
  }

  /** Sends a call and returns the index its reply has in the log. */
  async call(method: string, params: Record<string, unknown> = {}): Promise<number> {
    const reply = await this.api.callRaw(method, params);
    return this.log.findIndex((m) => m.method === method && m.requestId === reply.requestId);
  }

  /** Short names of the messages from `from` to `to` (inclusive): `reply:login`, `appStateChanged:3`, … */
  summary(from = 0, to = this.log.length - 1): string[] {
    return this.log.slice(from, to + 1).map(describe);
  }
}

function describe(m: Message): string {
  if (m.method !== 'event') return `reply:${m.method}`;
  const value = m.appState ?? m.availability ?? m.result;
  return value === undefined ? String(m.event) : `${String(m.event)}:${String(value)}`;
}

function isEvent(name: string, fields: Record<string, unknown> = {}) {
  return (m: Message) =>
    m.method === 'event' &&
    m.event === name &&
    Object.entries(fields).every(([key, value]) => m[key] === value);
}

/** Resolves when the room's appState is `state`: checked at once, then on its own appStateChanged events. */
async function appStateReached(room: Room, state: number, timeoutMs = 10_000): Promise<void> {
  let announced = false;
  await waitFor(
    () => `appState ${state} of ${room.name} (it is ${room.session.appState()})`,
    () => (announced || room.session.appState() === state ? true : undefined),
    {
      timeoutMs,
      wake: (wake) =>
        room.events.onEvent((message) => {
          if (message.event !== 'appStateChanged' || message.appState !== state) return;
          announced = true;
          wake();
        }),
    },
  );
}

/** The fields of a reply without its envelope (`method`, `requestId`, `result`), or of an event without `method`. */
function fieldsOf(message: Record<string, unknown>) {
  if (message.method === 'event') {
    const { method: _m, ...fields } = message;
    return fields;
  }
  const { method: _m, requestId: _r, result: _x, ...fields } = message;
  return fields;
}

async function rejectsWith(promise: Promise<unknown>, errorCode: number) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RoomApiError, String(error));
    assert.equal(error.errorCode, errorCode, error.message);
    return true;
  });
}

test('setUsedApiVersion takes "1" and "2" before and after auth and refuses any other version with 400', async () => {
  const room = await bed.room({});
  const wire = await Wire.open(room, false);
  const api = wire.api;
  assert.equal((await api.call('setUsedApiVersion', { version: '1' })).result, true);
  assert.equal((await api.call('setUsedApiVersion', { version: '2' })).result, true);
  await rejectsWith(api.call('setUsedApiVersion', { version: '3' }), 400);
  // Still unauthorized: other methods need auth first.
  await rejectsWith(api.call('getAppState'), 401);
  await api.call('auth', { type: 'unsecured' });
  assert.equal((await api.call('setUsedApiVersion', { version: '2' })).result, true);
  assert.equal((await api.call('setUsedApiVersion', { version: '1' })).result, true);
  await rejectsWith(api.call('setUsedApiVersion', { version: '5.0' }), 400);
  await rejectsWith(api.call('setUsedApiVersion', { version: '' }), 400);
  await rejectsWith(api.callRaw('setUsedApiVersion', {}), 400);
  // The connection stays usable after the failures.
  assert.equal((await api.call('getAppState')).appState, 0);
});

test('getAppState, getSystemInfo, getSettings and getMonitorsInfo answer in the published shapes', async () => {
  const room = await bed.room({});
  const { api } = await Wire.open(room);
  const state = await api.call('getAppState');
  assert.deepEqual(fieldsOf(state), { appState: 0, embeddedHttpPort: room.httpPort });
  assert.notEqual(room.httpPort, 0);

  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  const [major, minor, revision] = pkg.version.split(/[.-]/).map(Number);
  const info = await api.call('getSystemInfo');
  assert.equal('authInfo' in info, false, 'no authInfo while not logged in');
  for (const part of [info.productInfo, info.fileInfo]) {
    assert.deepEqual(Object.keys(part).sort(), ['build', 'major', 'minor', 'revision']);
    for (const value of Object.values(part)) assert.ok(Number.isInteger(value));
    assert.deepEqual([part.major, part.minor, part.revision], [major, minor, revision]);
  }

  const settings = await api.call('getSettings');
  assert.ok(Array.isArray(settings.settings) && settings.settings.length > 0);
  for (const setting of settings.settings) {
    assert.deepEqual(Object.keys(setting).sort(), ['name', 'value']);
    assert.equal(typeof setting.name, 'string');
  }
  assert.ok(settings.settings.some((s) => s.name === 'autoAccept'));

  assert.deepEqual(fieldsOf(await api.call('getMonitorsInfo')), { monitors: [] });

  // authInfo appears once the room is logged in.
  const hub = await bed.hub({ accounts: ['alice'] });
  const logged = await bed.room({ hub, as: 'alice' });
  await loggedIn(logged);
  const other = await Wire.open(logged);
  const loggedInfo = await other.api.call('getSystemInfo');
  assert.deepEqual(loggedInfo.authInfo, { peerId: 'alice@files.local', peerDn: 'Alice' });
});

test('connectToServer replies first, then appStateChanged 1, serverConnected and appStateChanged 2', async () => {
  const hub = await bed.hub({ accounts: ['alice'] });
  const room = await bed.room({});
  const wire = await Wire.open(room);
  const before = await wire.api.call('getConnected');
  assert.deepEqual(fieldsOf(before), { state: 0 });
  assert.equal((await wire.api.call('getAppState')).appState, 0);

  const start = wire.log.length;
  const replyAt = await wire.call('connectToServer', { server: '127.0.0.1', port: hub.port });
  const end = await wire.waitIndex(isEvent('appStateChanged', { appState: 2 }), start);
  assert.equal(replyAt, start, 'the reply comes before any event');
  assert.deepEqual(wire.summary(start, end), [
    'reply:connectToServer',
    'appStateChanged:1',
    'serverConnected',
    'appStateChanged:2',
  ]);
  const connected = wire.log[start + 2];
  assert.deepEqual(fieldsOf(connected), {
    event: 'serverConnected',
    service: false,
    server: '127.0.0.1',
    port: hub.port,
    domain: 'files.local',
  });
  assert.equal(wire.log[start + 1].embeddedHttpPort, room.httpPort);

  const after = await wire.api.call('getConnected');
  assert.deepEqual(fieldsOf(after), {
    state: 2,
    serverInfo: { server: '127.0.0.1', service: false, port: hub.port, domain: 'files.local' },
  });
  assert.equal((await wire.api.call('getAppState')).appState, 2);
  assert.deepEqual(fieldsOf(await wire.api.call('getLogin')), { isLoggedIn: false });
});

test('connectToServer to an unreachable port reports serverDisconnected and keeps retrying until a hub is there', async () => {
  const port = await freePort();
  const room = await bed.room({});
  const wire = await Wire.open(room);
  const start = wire.log.length;
  await wire.call('connectToServer', { server: '127.0.0.1', port });
  const down = await wire.waitIndex(isEvent('appStateChanged', { appState: 0 }), start);
  assert.deepEqual(wire.summary(start, down), [
    'reply:connectToServer',
    'appStateChanged:1',
    'serverDisconnected',
    'appStateChanged:0',
  ]);
  assert.deepEqual(fieldsOf(wire.log[start + 2]), {
    event: 'serverDisconnected',
    service: false,
    server: '127.0.0.1',
    port,
  });
  const state = await wire.api.call('getConnected');
  assert.ok(state.state === 0 || state.state === 1, `getConnected while retrying: ${state.state}`);
  // §4: serverInfo is omitted at state 0; otherwise it names the server being tried, domain a string.
  if (state.state === 0) assert.deepEqual(fieldsOf(state), { state: 0 });
  else {
    const { domain, ...serverInfo } = state.serverInfo as Record<string, unknown>;
    assert.equal(typeof domain, 'string');
    assert.deepEqual(serverInfo, { server: '127.0.0.1', service: false, port });
  }

  // A hub appears on that port: the room's next retry finds it without being asked.
  const hub = new Hub({ dataDir: bed.dir('hub-late-'), port, logger: silentLogger });
  await hub.start();
  bed.defer(() => hub.stop().catch(() => undefined));
  const connected = await wire.event('serverConnected', { port }, down, 15_000);
  assert.equal(connected.domain, 'files.local');
  await wire.event('appStateChanged', { appState: 2 }, down);
  // serverDisconnected is reported once for a server that cannot be reached, not on every retry.
  const disconnects = wire.log.filter(isEvent('serverDisconnected')).length;
  assert.equal(disconnects, 1);
});

test('connectToServer with stored credentials for the same server logs in again by itself (no appState 2)', async () => {
  const hub = await bed.hub({ accounts: ['alice'] });
  const room = await bed.room({ hub, as: 'alice' });
  await loggedIn(room);
  const wire = await Wire.open(room);
  const start = wire.log.length;
  await wire.call('connectToServer', { server: '127.0.0.1', port: hub.port });
  const login = await wire.waitIndex(isEvent('login'), start);
  assert.equal(wire.log[login].result, 0);
  const three = await wire.waitIndex(isEvent('appStateChanged', { appState: 3 }), login);
  const states = wire.log
    .slice(start, three + 1)
    .filter(isEvent('appStateChanged'))
    .map((m) => m.appState);
  assert.ok(!states.includes(2), `appStates ${states.join(',')} must not pass through 2`);
  assert.deepEqual(states.slice(-2), [1, 3]);
  assert.ok(wire.log.slice(start, login).some(isEvent('serverConnected')), 'serverConnected before login');
  assert.equal((await wire.api.call('getLogin')).isLoggedIn, true);
});

test('login reports its outcome in the login event: 0, 1, 2, 3, 10, and a bare name gets the hub domain', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'carol'] });
  await hub.accounts.update('carol', { locked: true });
  const room = await bed.room({ hub });
  await appStateReached(room, 2);
  const wire = await Wire.open(room);

  const attempt = async (login: string, password: string) => {
    const start = wire.log.length;
    const replyAt = await wire.call('login', { login, password, encryptPassword: true });
    assert.equal(replyAt, start, 'the reply comes before the login event');
    const at = await wire.waitIndex(isEvent('login'), start);
    return { at, event: wire.log[at] };
  };

  assert.equal((await attempt('nobody@files.local', 'x')).event.result, 2);
  assert.equal((await attempt('alice@elsewhere.org', 'pw-alice')).event.result, 2);
  assert.equal((await attempt('alice@files.local', 'wrong')).event.result, 3);
  assert.equal((await attempt('carol@files.local', 'pw-carol')).event.result, 10);
  assert.equal((await wire.api.call('getAppState')).appState, 2, 'still logged out after refusals');
  assert.deepEqual(fieldsOf(await wire.api.call('getLogin')), { isLoggedIn: false });
  assert.equal((await wire.api.call('getFileTransferAvailability')).availability, 2);

  const ok = await attempt('alice', 'pw-alice');
  assert.deepEqual(fieldsOf(ok.event), {
    event: 'login',
    result: 0,
    peerId: 'alice@files.local',
    peerDn: 'Alice',
  });
  const end = await wire.waitIndex(isEvent('fileTransferAvailabilityChanged'), ok.at);
  assert.deepEqual(wire.summary(ok.at, end), [
    'login:0',
    'appStateChanged:3',
    'fileTransferAvailabilityChanged:3',
  ]);
  assert.deepEqual(fieldsOf(await wire.api.call('getLogin')), {
    isLoggedIn: true,
    peerId: 'alice@files.local',
    peerDn: 'Alice',
  });
  assert.equal((await wire.api.call('getFileTransferAvailability')).availability, 3);
  assert.equal((await wire.api.call('getAppState')).appState, 3);

  const again = await attempt('alice@files.local', 'pw-alice');
  assert.equal(again.event.result, 1);
  assert.equal(again.event.peerId, 'alice@files.local');
  assert.equal((await wire.api.call('getLogin')).peerId, 'alice@files.local');
});

test('login without a server reports 7, an empty login name is a 400; login and logout need the admin role', async () => {
  const room = await bed.room({ pin: '2468' });
  const wire = await Wire.open(room, false);
  await wire.api.call('auth', { type: 'secured', credentials: '2468' });
  const start = wire.log.length;
  await wire.call('login', { login: 'alice@files.local', password: 'pw-alice' });
  const at = await wire.waitIndex(isEvent('login'), start);
  assert.deepEqual(fieldsOf(wire.log[at]), { event: 'login', result: 7 });
  // An empty or all-space login name is bad input; the connection stays.
  await rejectsWith(wire.api.call('login', { login: '   ', password: 'pw' }), 400);
  await rejectsWith(wire.api.call('login', { login: '', password: 'pw' }), 400);
  assert.equal((await wire.api.call('getAppState')).appState, 0);

  const user = await Wire.open(room, false);
  await user.api.call('auth', { type: 'secured', credentials: '2468', role: 'user' });
  await rejectsWith(user.api.call('login', { login: 'alice', password: 'pw-alice' }), 403);
  await rejectsWith(user.api.call('logout'), 403);
  await rejectsWith(user.api.call('connectToServer', { server: '127.0.0.1' }), 403);
  assert.equal((await user.api.call('getLogin')).isLoggedIn, false);
});

test('logout replies, then logout, appStateChanged 2 and availability 2; the room forgets the credentials', async () => {
  const hub = await bed.hub({ accounts: ['alice'] });
  const dataDir = bed.dir('room-logout-');
  const room = await bed.room({ hub, as: 'alice', dataDir });
  await loggedIn(room);
  const wire = await Wire.open(room);
  const start = wire.log.length;
  await wire.call('logout');
  const end = await wire.waitIndex(isEvent('fileTransferAvailabilityChanged', { availability: 2 }), start);
  assert.deepEqual(wire.summary(start, end), [
    'reply:logout',
    'logout:0',
    'appStateChanged:2',
    'fileTransferAvailabilityChanged:2',
  ]);
  assert.deepEqual(fieldsOf(wire.log[start + 1]), { event: 'logout', result: 0, cause: 0 });
  assert.deepEqual(fieldsOf(await wire.api.call('getLogin')), { isLoggedIn: false });
  assert.equal('authInfo' in (await wire.api.call('getSystemInfo')), false);
  assert.equal((await wire.api.call('getConnected')).state, 2, 'logout keeps the link to the server');

  // A restart on the same data: the server is remembered, the credentials are not.
  await room.stop();
  const restarted = await bed.room({ dataDir });
  const seen: string[] = [];
  restarted.events.onEvent((message) => seen.push(message.event));
  await appStateReached(restarted, 2);
  assert.ok(!seen.includes('login'), `no login attempt after the restart: ${seen.join(',')}`);
  const again = await Wire.open(restarted);
  assert.deepEqual(fieldsOf(await again.api.call('getLogin')), { isLoggedIn: false });
  assert.equal((await again.api.call('getConnected')).state, 2);
});

test('file transfer availability follows the account policy the hub applies', async () => {
  const hub = await bed.hub({ accounts: ['bob'] });
  const room = await bed.room({ hub, as: 'bob' });
  await loggedIn(room);
  const wire = await Wire.open(room);
  assert.equal((await wire.api.call('getFileTransferAvailability')).availability, 3);

  let start = wire.log.length;
  await hub.accounts.update('bob', { fileTransfer: false });
  await hub.applyAccountChanges('bob');
  await wire.event('fileTransferAvailabilityChanged', { availability: 0 }, start);
  assert.equal((await wire.api.call('getFileTransferAvailability')).availability, 0);
  assert.equal((await wire.api.call('getAppState')).appState, 3, 'still logged in');

  start = wire.log.length;
  await hub.accounts.update('bob', { fileTransfer: true });
  await hub.applyAccountChanges('bob');
  await wire.event('fileTransferAvailabilityChanged', { availability: 3 }, start);

  // A login while forbidden starts at 0, not 3.
  await hub.accounts.update('bob', { fileTransfer: false });
  await hub.applyAccountChanges('bob');
  await wire.event('fileTransferAvailabilityChanged', { availability: 0 }, start);
  start = wire.log.length;
  await wire.call('logout');
  await wire.event('fileTransferAvailabilityChanged', { availability: 2 }, start);
  start = wire.log.length;
  await wire.call('login', { login: 'bob', password: 'pw-bob' });
  await wire.event('login', { result: 0 }, start);
  await wire.event('fileTransferAvailabilityChanged', { availability: 0 }, start);
  assert.equal((await wire.api.call('getFileTransferAvailability')).availability, 0);
});

test('roomfiles hub user set --no-file-transfer on a running hub reaches the logged-in room', async () => {
  const hubDir = bed.dir('hub-cli-');
  const hub = await bed.hub({ accounts: ['bob'], dataDir: hubDir });
  const room = await bed.room({ hub, as: 'bob' });
  await loggedIn(room);
  const wire = await Wire.open(room);
  const start = wire.log.length;
  const set = await runCli(['hub', 'user', 'set', 'bob', '--no-file-transfer', '--data', hubDir]);
  assert.equal(set.code, 0, set.stderr);
  await wire.event('fileTransferAvailabilityChanged', { availability: 0 }, start, 10_000);
  assert.equal((await wire.api.call('getFileTransferAvailability')).availability, 0);

  const allow = await runCli(['hub', 'user', 'set', 'bob', '--file-transfer', '--data', hubDir]);
  assert.equal(allow.code, 0, allow.stderr);
  await wire.event('fileTransferAvailabilityChanged', { availability: 3 }, start, 10_000);
});

for (const change of ['removed', 'locked'] as const) {
  test(`an account ${change} while logged in logs the room out`, async () => {
    const hub = await bed.hub({ accounts: ['carol'] });
    const room = await bed.room({ hub, as: 'carol' });
    await loggedIn(room);
    const wire = await Wire.open(room);
    const start = wire.log.length;
    if (change === 'removed') await hub.accounts.remove('carol');
    else await hub.accounts.update('carol', { locked: true });
    await hub.applyAccountChanges('carol');
    const end = await wire.waitIndex(isEvent('fileTransferAvailabilityChanged', { availability: 2 }), start);
    const seen = wire.summary(start, end);
    assert.equal(seen[0], 'logout:0');
    assert.ok(seen.includes('appStateChanged:2'), seen.join(','));
    assert.deepEqual(fieldsOf(await wire.api.call('getLogin')), { isLoggedIn: false });
    assert.equal((await wire.api.call('getAppState')).appState, 2);
    // Logging in again is refused with the matching code.
    const again = wire.log.length;
    await wire.call('login', { login: 'carol', password: 'pw-carol' });
    const login = await wire.event('login', {}, again);
    assert.equal(login.result, change === 'removed' ? 2 : 10);
  });
}

test('roomfiles hub user remove on a running hub logs the room out', async () => {
  const hubDir = bed.dir('hub-cli-');
  const hub = await bed.hub({ accounts: ['dave'], dataDir: hubDir });
  const room = await bed.room({ hub, as: 'dave' });
  await loggedIn(room);
  const wire = await Wire.open(room);
  const start = wire.log.length;
  const removed = await runCli(['hub', 'user', 'remove', 'dave', '--data', hubDir]);
  assert.equal(removed.code, 0, removed.stderr);
  await wire.event('logout', {}, start, 10_000);
  await wire.event('appStateChanged', { appState: 2 }, start);
});

test('work that fails after a reply (login and logout on a failing disk) is logged; the room keeps serving', async () => {
  const room = await bed.room({});
  const { api } = await Wire.open(room);
  // What a disk that fails under the store would do to the session's own steps after the reply.
  const failures: string[] = [];
  room.session.login = async () => {
    failures.push('login');
    throw new Error('disk I/O error');
  };
  room.session.logout = async () => {
    failures.push('logout');
    throw new Error('disk I/O error');
  };
  assert.equal((await api.call('login', { login: 'alice', password: 'pw' })).result, true);
  assert.equal((await api.call('logout')).result, true);
  // Later requests on this connection are answered, in order, after both steps ran and failed.
  assert.equal((await api.call('getAppState')).appState, 0);
  assert.deepEqual(failures, ['login', 'logout']);
});
