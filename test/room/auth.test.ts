// Authorization of a room's API (room-api.md §3): the auth forms, roles, PIN and password protection, the rate
// limit, --single-client, re-auth tokens, HTTP tokens and their lifetimes, and that no secret reaches a log.
import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import WebSocket from 'ws';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { Room, RoomStartError } from '../../src/room/room.js';
import { ManualClock } from '../../src/common/clock.js';
import { AuthManager, MAX_LIVE_TOKENS } from '../../src/room/auth.js';
import { RoomApiError, type RoomConnection } from '../../src/client/index.js';

const bed = new TestBed();
after(() => bed.close());

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The failure reply a call ended with (fails the test when the call succeeded). */
async function refusal(call: Promise<unknown>): Promise<RoomApiError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof RoomApiError) return error;
    throw error;
  }
  assert.fail('expected a failure reply');
}

async function assertRefused(call: Promise<unknown>, errorCode: number, what = ''): Promise<RoomApiError> {
  const error = await refusal(call);
  assert.equal(error.errorCode, errorCode, `${what}: ${error.message}`);
  assert.equal(error.reply.result, false);
  return error;
}

/** An auth failure of §3.1: `result:false`, `resultCode:3`, `errorCode:401`, a readable `error`. */
async function assertAuthRefused(call: Promise<unknown>, what = ''): Promise<void> {
  const error = await assertRefused(call, 401, what);
  const { error: text, requestId, ...rest } = error.reply;
  assert.equal(typeof text, 'string');
  assert.equal(typeof requestId, 'string');
  assert.deepEqual(rest, { method: 'auth', result: false, resultCode: 3, errorCode: 401 }, what);
}

/** The status the built-in HTTP server answers a token with (the list route, §7). */
async function httpStatus(room: Room, token: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${room.httpPort}/files/?token=${encodeURIComponent(token)}`);
  await response.arrayBuffer();
  return response.status;
}

async function assertServes(connection: RoomConnection): Promise<void> {
  const state = await connection.call('getAppState');
  assert.equal(state.result, true);
}

/** Registers for every event now; `seen()` lists what arrived so far. */
function recordEvents(connection: RoomConnection): { seen: () => Record<string, unknown>[] } {
  const events: Record<string, unknown>[] = [];
  connection.onAny((event) => events.push(event));
  return { seen: () => events };
}

/** Exactly the success reply of §3.1 (tokens opaque, non-empty, at least 128 random bits). */
function assertGrant(reply: Record<string, unknown>, previleges: 1 | 2): void {
  const { token, tokenForHttpServer, requestId, ...rest } = reply;
  assert.deepEqual(rest, { method: 'auth', previleges, result: true, resultCode: 0 });
  assert.equal(typeof requestId, 'string');
  for (const value of [token, tokenForHttpServer]) {
    assert.equal(typeof value, 'string');
    assert.ok((value as string).length >= 22, `token "${String(value)}" is too short for 128 bits`);
  }
  assert.notEqual(token, tokenForHttpServer);
}

describe('auth forms and roles (room-api.md §3.1)', () => {
  test('unsecured auth on an unprotected room grants admin and two working tokens', async () => {
    const room = await bed.room();
    const api = await bed.open(room);
    const reply = await api.call('auth', { type: 'unsecured' });
    assertGrant(reply, 2);
    assert.equal(await httpStatus(room, reply.tokenForHttpServer), 200);
    assert.equal(await httpStatus(room, 'not-a-token'), 401);
    await assertServes(api);
    // The spec's third form, literally, on an unprotected room.
    const other = await bed.open(room);
    assertGrant(await other.call('auth', { type: 'secured', credentials: '123', role: 'admin' }), 2);
  });

  test('role "user" alone on a fresh connection of an unprotected room grants the user role', async () => {
    const room = await bed.room();
    const api = await bed.open(room);
    assertGrant(await api.callRaw('auth', { role: 'user' }), 1);
    await assertServes(api);
    await assertRefused(api.call('clearTokens'), 403);
  });

  test('every form on a PIN room: PIN, PIN with role admin, PIN with role user', async () => {
    const room = await bed.room({ pin: '1234' });
    const plain = await bed.open(room);
    assertGrant(await plain.call('auth', { type: 'secured', credentials: '1234' }), 2);
    const admin = await bed.open(room);
    assertGrant(await admin.call('auth', { type: 'secured', credentials: '1234', role: 'admin' }), 2);
    const user = await bed.open(room);
    const userGrant = await user.call('auth', { type: 'secured', credentials: '1234', role: 'user' });
    assertGrant(userGrant, 1);
    await assertRefused(user.call('clearTokens'), 403);
    await assertServes(user);
    assert.equal(await httpStatus(room, userGrant.tokenForHttpServer), 200);
    // A user's token re-authorizes as a user; it cannot be raised to admin.
    const again = await bed.open(room);
    await assertAuthRefused(
      again.call('auth', { type: 'secured', credentials: userGrant.token, role: 'admin' }),
    );
    assertGrant(await again.call('auth', { type: 'secured', credentials: userGrant.token }), 1);
  });

  test('{"method":"auth","role":"user"} switches an admin down: admin-only methods 403, the rest works', async () => {
    const room = await bed.room();
    const api = await bed.connect(room);
    const switched = await api.callRaw('auth', { role: 'user' });
    assertGrant(switched, 1);
    const adminOnly: [string, Record<string, unknown>][] = [
      ['connectToServer', { server: '127.0.0.1', port: 9 }],
      ['login', { login: 'alice@files.local', password: 'pw' }],
      ['logout', {}],
      ['setHttpServerSettings', { settings: { httpServerMaxPostFileSizeInBytes: 1024 } }],
      ['startHttpServer', {}],
      ['stopHttpServer', {}],
      ['clearTokens', {}],
    ];
    for (const [method, params] of adminOnly) {
      const error = await assertRefused(api.callRaw(method, params), 403, method);
      assert.equal(error.reply.method, method);
    }
    assert.equal(room.httpServerRunning, true, 'the refused stopHttpServer did nothing');
    assert.equal(
      (await api.call('getHttpServerSettings')).settings.find(
        (s) => s.name === 'httpServerMaxPostFileSizeInBytes',
      )?.value,
      4 * 1024 ** 3,
      'the refused setHttpServerSettings did nothing',
    );
    assert.equal(await httpStatus(room, api.tokenForHttpServer), 200, 'clearTokens did nothing');

    for (const method of [
      'getAppState',
      'getSystemInfo',
      'getSettings',
      'getMonitorsInfo',
      'getConnected',
      'getLogin',
      'getFileList',
      'getFileTransferAvailability',
      'getIncomingFilesRequests',
      'getOutgoingFilesRequests',
      'getFileTransferHistory',
      'getHttpServerSettings',
      'getHttpServerState',
      'getConferences',
    ] as const) {
      const reply = await api.call(method);
      assert.equal(reply.result, true, method);
    }
    const token = await api.call('getTokenForHttpServer');
    assert.equal(await httpStatus(room, token.token), 200);
    assert.equal(await httpStatus(room, switched.tokenForHttpServer as string), 200);
  });

  test('a user connection asking for admin without credentials is refused and stays a user', async () => {
    const room = await bed.room();
    const user = await bed.connect(room, { role: 'user' });
    await assertAuthRefused(user.callRaw('auth', { role: 'admin' }), 'raise to admin');
    await assertServes(user);
    await assertRefused(user.call('clearTokens'), 403);

    // The same after switching down from admin.
    const admin = await bed.connect(room);
    assertGrant(await admin.callRaw('auth', { role: 'user' }), 1);
    await assertAuthRefused(admin.callRaw('auth', { role: 'admin' }), 'raise back to admin');
    await assertRefused(admin.call('clearTokens'), 403);
    // With credentials the admin role comes back.
    assertGrant(await admin.call('auth', { type: 'unsecured' }), 2);
    assert.equal((await admin.call('clearTokens')).result, true);
  });

  test('on a PIN room a switched-down connection gets admin back only with the PIN', async () => {
    const room = await bed.room({ pin: '1234' });
    const api = await bed.connect(room, { credentials: '1234' });
    assertGrant(await api.callRaw('auth', { role: 'user' }), 1);
    await assertAuthRefused(api.callRaw('auth', { role: 'admin' }));
    await assertAuthRefused(api.call('auth', { type: 'secured', credentials: '9999', role: 'admin' }));
    await assertRefused(api.call('clearTokens'), 403);
    assertGrant(await api.call('auth', { type: 'secured', credentials: '1234', role: 'admin' }), 2);
    assert.equal((await api.call('clearTokens')).result, true);
  });

  test('several connections are authorized at once and all receive events; unauthorized ones none', async () => {
    const room = await bed.room();
    const admin = await bed.connect(room);
    const user = await bed.connect(room, { role: 'user' });
    const stranger = await bed.open(room);
    const strangerEvents = recordEvents(stranger);
    const seenByAdmin = admin.waitFor('httpServerSettingChanged');
    const seenByUser = user.waitFor('httpServerSettingChanged');
    await admin.call('setHttpServerSettings', { settings: { httpServerMaxPostFileSizeInBytes: 1048576 } });
    assert.equal((await seenByAdmin).name, 'httpServerMaxPostFileSizeInBytes');
    assert.equal((await seenByUser).value, 1048576);
    // Anything broadcast before now would have reached the stranger before this reply.
    await stranger.call('setUsedApiVersion', { version: '2' });
    assert.deepEqual(strangerEvents.seen(), []);
  });
});

describe('protection of a room (room-api.md §3.2)', () => {
  test('a wrong PIN is refused with resultCode 3 and 401; the connection stays unauthorized', async () => {
    const room = await bed.room({ pin: '1234' });
    const api = await bed.open(room);
    await assertAuthRefused(api.call('auth', { type: 'secured', credentials: '4321' }), 'wrong PIN');
    await assertRefused(api.call('getAppState'), 401);
    await assertAuthRefused(api.call('auth', { type: 'secured', credentials: '' }), 'empty PIN');
    await assertAuthRefused(api.call('auth', { type: 'secured', credentials: '12345' }), 'PIN prefix');
    await assertRefused(api.call('getAppState'), 401);
    assertGrant(await api.call('auth', { type: 'secured', credentials: '1234' }), 2);
    await assertServes(api);
  });

  test('unsecured or credential-less auth on a PIN room is refused', async () => {
    const room = await bed.room({ pin: '1234' });
    const api = await bed.open(room);
    await assertAuthRefused(api.call('auth', { type: 'unsecured' }), 'unsecured');
    await assertAuthRefused(api.call('auth', {}), 'no fields');
    await assertAuthRefused(api.call('auth', { role: 'user' }), 'role only');
    await assertAuthRefused(api.call('auth', { type: 'secured' }), 'secured without credentials');
    await assertRefused(api.call('getAppState'), 401);
  });

  test('a password room: the password grants admin, anything else is refused', async () => {
    const room = await bed.room({ password: 'pw' });
    const api = await bed.open(room);
    await assertAuthRefused(api.call('auth', { type: 'unsecured' }), 'unsecured');
    await assertAuthRefused(api.call('auth', { type: 'secured', credentials: 'PW' }), 'case matters');
    await assertAuthRefused(api.call('auth', { type: 'secured', credentials: 'pw ' }), 'no trimming');
    await assertRefused(api.call('getAppState'), 401);
    assertGrant(await api.call('auth', { type: 'secured', credentials: 'pw' }), 2);
    await assertServes(api);
  });

  test('from the fifth failure of a source group its next attempt waits (1 s, doubling); a token still gets in', async () => {
    const clock = new ManualClock();
    const room = await bed.room({ pin: '1234', clock });
    const before = await bed.connect(room, { credentials: '1234' });
    // Failures count per source group, across connections.
    for (let i = 0; i < 5; i++) {
      const api = await bed.open(room);
      await assertAuthRefused(
        api.call('auth', { type: 'secured', credentials: `000${i}` }),
        `failure ${i + 1}`,
      );
    }
    const api = await bed.open(room);
    await assertRefused(
      api.call('auth', { type: 'secured', credentials: '1234' }),
      429,
      'right PIN while the group waits',
    );
    await assertRefused(api.call('getAppState'), 401);
    // A re-auth token is never limited (256 random bits cannot be guessed), and connections authorized before
    // keep working.
    assertGrant(await (await bed.open(room)).call('auth', { type: 'secured', credentials: before.token }), 2);
    await assertServes(before);

    clock.advance(1 * SECOND);
    await assertAuthRefused(api.call('auth', { type: 'secured', credentials: '0005' }), 'sixth failure');
    clock.advance(1 * SECOND);
    await assertRefused(api.call('auth', { type: 'secured', credentials: '1234' }), 429, 'after 1 of 2 s');
    clock.advance(1 * SECOND);
    assertGrant(await api.call('auth', { type: 'secured', credentials: '1234' }), 2);
    await assertServes(api);
  });

  test('a source group quiet for 10 minutes starts again from no delay', async () => {
    const clock = new ManualClock();
    const room = await bed.room({ pin: '1234', clock });
    const api = await bed.open(room);
    for (let i = 0; i < 4; i++)
      await assertAuthRefused(api.call('auth', { type: 'secured', credentials: 'x' }));
    clock.advance(10 * MINUTE + SECOND);
    for (let i = 0; i < 4; i++)
      await assertAuthRefused(api.call('auth', { type: 'secured', credentials: 'x' }));
    assertGrant(await api.call('auth', { type: 'secured', credentials: '1234' }), 2);
  });

  test('without a PIN or password a room refuses to bind beyond loopback unless insecure', async () => {
    const dataDir = bed.dir('room-');
    for (const host of ['0.0.0.0', '::', '192.168.1.10']) {
      assert.throws(() => new Room({ name: 'r', dataDir, host }), RoomStartError, host);
    }
    const allowed = [
      { host: '0.0.0.0', insecure: true },
      { host: '0.0.0.0', pin: '1234' },
      { host: '0.0.0.0', password: 'pw' },
      { host: '127.0.0.1' },
      { host: 'localhost' },
    ];
    for (const options of allowed) {
      const room = new Room({ name: 'r', dataDir: bed.dir('room-'), ...options });
      room.store.close();
    }
  });

  test('--single-client: a second connection of a role unseats the first with authorizationNeeded cause 1', async () => {
    const room = await bed.room({ singleClient: true });
    const first = await bed.connect(room);
    const unseated = first.waitFor('authorizationNeeded');
    const second = await bed.connect(room);
    assert.deepEqual(await unseated, { method: 'event', event: 'authorizationNeeded', cause: 1 });
    await assertRefused(first.call('getAppState'), 401, 'unseated admin');
    await assertServes(second);

    // One per role: a user does not unseat the admin, a second user unseats the first user.
    const secondEvents = recordEvents(second);
    const user1 = await bed.connect(room, { role: 'user' });
    await assertServes(second);
    assert.deepEqual(secondEvents.seen(), []);
    const user1Unseated = user1.waitFor('authorizationNeeded');
    const user2 = await bed.connect(room, { role: 'user' });
    assert.equal((await user1Unseated).cause, 1);
    await assertRefused(user1.call('getAppState'), 401, 'unseated user');
    await assertServes(user2);

    // Switching down to the user role takes that role too.
    const user2Unseated = user2.waitFor('authorizationNeeded');
    assertGrant(await second.callRaw('auth', { role: 'user' }), 1);
    assert.equal((await user2Unseated).cause, 1);
    await assertServes(second);

    // The unseated admin may authorize again and unseats nobody who holds another role.
    assertGrant(await first.call('auth', { type: 'unsecured' }), 2);
    await assertServes(first);
    await assertServes(second);
  });

  test('without --single-client two admins coexist', async () => {
    const room = await bed.room();
    const a = await bed.connect(room);
    const events = recordEvents(a);
    const b = await bed.connect(room);
    await assertServes(a);
    await assertServes(b);
    assert.deepEqual(
      events.seen().filter((e) => e.event === 'authorizationNeeded'),
      [],
    );
  });
});

describe('tokens (room-api.md §3.1, §3.3, §3.4)', () => {
  test('re-auth with the issued token works; clearTokens revokes tokens but not connections', async () => {
    const room = await bed.room({ pin: '1234' });
    const a = await bed.connect(room, { credentials: '1234' });
    const b = await bed.open(room);
    const byToken = await b.call('auth', { type: 'secured', credentials: a.token });
    assertGrant(byToken, 2);
    await assertServes(b);
    const httpToken = await a.call('getTokenForHttpServer');
    assert.deepEqual(Object.keys(httpToken).sort(), ['method', 'requestId', 'result', 'token']);
    for (const token of [a.tokenForHttpServer, byToken.tokenForHttpServer, httpToken.token]) {
      assert.equal(await httpStatus(room, token), 200);
    }

    const cleared = await a.call('clearTokens');
    assert.deepEqual({ ...cleared, requestId: '' }, { method: 'clearTokens', requestId: '', result: true });

    const c = await bed.open(room);
    await assertAuthRefused(c.call('auth', { type: 'secured', credentials: a.token }), 'cleared token');
    await assertAuthRefused(c.call('auth', { type: 'secured', credentials: byToken.token }), 'cleared token');
    for (const token of [a.tokenForHttpServer, byToken.tokenForHttpServer, httpToken.token]) {
      assert.equal(await httpStatus(room, token), 401);
    }
    const bearer = await fetch(`http://127.0.0.1:${room.httpPort}/files/`, {
      headers: { authorization: `Bearer ${httpToken.token}` },
    });
    assert.equal(bearer.status, 401);
    // Connections authorized before stay authorized, and can get fresh tokens.
    await assertServes(a);
    await assertServes(b);
    const fresh = await b.call('getTokenForHttpServer');
    assert.equal(await httpStatus(room, fresh.token), 200);
    assertGrant(await c.call('auth', { type: 'secured', credentials: '1234' }), 2);
  });

  test('tokens are distinct and unguessable', async () => {
    const room = await bed.room();
    const api = await bed.connect(room);
    const tokens = new Set<string>([api.token, api.tokenForHttpServer]);
    for (let i = 0; i < 50; i++) tokens.add((await api.call('getTokenForHttpServer')).token);
    for (let i = 0; i < 10; i++) {
      const reply = await api.call('auth', { type: 'unsecured' });
      tokens.add(reply.token);
      tokens.add(reply.tokenForHttpServer);
    }
    assert.equal(tokens.size, 72);
    for (const token of tokens) assert.match(token, /^[A-Za-z0-9_-]{22,}$/);
  });

  test('a PIN grant expires after 24 h: authorizationNeeded cause 8, then 401', async () => {
    const clock = new ManualClock();
    const room = await bed.room({ pin: '1234', clock });
    const api = await bed.connect(room, { credentials: '1234' });
    const events = recordEvents(api);

    clock.advance(24 * HOUR - SECOND);
    await assertServes(api);
    assert.deepEqual(events.seen(), [], 'nothing expires before 24 h');

    const expired = api.waitFor('authorizationNeeded');
    clock.advance(2 * SECOND);
    assert.deepEqual(await expired, { method: 'event', event: 'authorizationNeeded', cause: 8 });
    await assertRefused(api.call('getAppState'), 401, 'after expiry');
    await assertAuthRefused(api.call('auth', { type: 'secured', credentials: api.token }), 'expired token');
    assertGrant(await api.call('auth', { type: 'secured', credentials: '1234' }), 2);
    await assertServes(api);
  });

  test('a connection authorized with a token expires with that token', async () => {
    const clock = new ManualClock();
    const room = await bed.room({ pin: '1234', clock });
    const first = await bed.connect(room, { credentials: '1234' });
    clock.advance(12 * HOUR);
    const second = await bed.connect(room, { credentials: first.token });
    const expired = second.waitFor('authorizationNeeded');
    clock.advance(12 * HOUR + SECOND);
    assert.equal((await expired).cause, 8);
    await assertRefused(second.call('getAppState'), 401);
  });

  test('a password or unprotected grant does not expire after 24 h', async () => {
    const clock = new ManualClock();
    const passwordRoom = await bed.room({ password: 'pw', clock });
    const openRoom = await bed.room({ clock });
    const a = await bed.connect(passwordRoom, { credentials: 'pw' });
    const b = await bed.connect(openRoom);
    const eventsA = recordEvents(a);
    const eventsB = recordEvents(b);
    clock.advance(24 * HOUR + SECOND);
    await assertServes(a);
    await assertServes(b);
    assert.deepEqual([...eventsA.seen(), ...eventsB.seen()], []);
    assertGrant(
      await (await bed.open(passwordRoom)).call('auth', { type: 'secured', credentials: a.token }),
      2,
    );
  });

  test('HTTP tokens live 5 minutes on an unprotected or password room', async () => {
    for (const options of [{}, { password: 'pw' }]) {
      const clock = new ManualClock();
      const room = await bed.room({ ...options, clock });
      const api = await bed.connect(room, options.password ? { credentials: 'pw' } : {});
      const extra = (await api.call('getTokenForHttpServer')).token;
      clock.advance(5 * MINUTE - SECOND);
      assert.equal(await httpStatus(room, api.tokenForHttpServer), 200);
      assert.equal(await httpStatus(room, extra), 200);
      clock.advance(2 * SECOND);
      assert.equal(await httpStatus(room, api.tokenForHttpServer), 401);
      assert.equal(await httpStatus(room, extra), 401);
      // The connection itself is still authorized and gets a fresh one.
      const fresh = (await api.call('getTokenForHttpServer')).token;
      assert.equal(await httpStatus(room, fresh), 200);
    }
  });

  test('HTTP tokens of a PIN room stay valid (until restart)', async () => {
    const clock = new ManualClock();
    const room = await bed.room({ pin: '1234', clock });
    const api = await bed.connect(room, { credentials: '1234' });
    const extra = (await api.call('getTokenForHttpServer')).token;
    clock.advance(5 * MINUTE + SECOND);
    assert.equal(await httpStatus(room, api.tokenForHttpServer), 200);
    assert.equal(await httpStatus(room, extra), 200);
    clock.advance(24 * HOUR);
    assert.equal(await httpStatus(room, api.tokenForHttpServer), 200);
    assert.equal(await httpStatus(room, extra), 200);
  });
});

describe('token bookkeeping', () => {
  test('a PIN room keeps a bounded number of never-expiring HTTP tokens, dropping the oldest, cheaply', () => {
    const auth = new AuthManager({ kind: 'pin', secret: '1234' }, new ManualClock());
    const first = auth.issueHttpToken();
    let last = first;
    const started = process.hrtime.bigint();
    for (let i = 0; i < MAX_LIVE_TOKENS + 10; i++) last = auth.issueHttpToken();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    assert.equal(auth.liveTokenCounts.http, MAX_LIVE_TOKENS);
    assert.equal(auth.checkHttpToken(first), false);
    assert.equal(auth.checkHttpToken(last), true);
    // Issuing does not walk every live token each time (that would take minutes here).
    assert.ok(seconds < 20, `issuing ${MAX_LIVE_TOKENS} tokens took ${seconds} s`);
  });

  test('expired HTTP tokens of an unprotected room are forgotten', () => {
    const clock = new ManualClock();
    const auth = new AuthManager({ kind: 'none' }, clock);
    for (let i = 0; i < 100; i++) auth.issueHttpToken();
    clock.advance(6 * MINUTE);
    const fresh = auth.issueHttpToken();
    assert.equal(auth.liveTokenCounts.http, 1);
    assert.equal(auth.checkHttpToken(fresh), true);
  });
});

describe('secrets in logs (room-api.md §1, §3.2)', () => {
  /** Drives a room through everything that handles a secret and returns the log text and the secrets used. */
  async function exercise(
    protection: { pin: string } | { password: string },
    account: string,
  ): Promise<{ logText: string; secrets: Record<string, string> }> {
    let logText = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logText += chunk.toString();
        done();
      },
    });
    const logger = pino({ level: 'trace' }, stream);
    const secret = 'pin' in protection ? protection.pin : protection.password;
    const wrongSecret = 'Wrong-K8vq21';
    const wrongLoginPassword = 'Login-pw-Zq81x';
    const hub = await bed.hub({ accounts: [account] });
    const room = await bed.room({ ...protection, hub, as: account, logger });
    await loggedIn(room);

    const failed = await bed.open(room);
    await assertAuthRefused(failed.call('auth', { type: 'secured', credentials: wrongSecret }));
    const api = await bed.connect(room, { credentials: secret });
    const httpToken = (await api.call('getTokenForHttpServer')).token;
    const viaToken = await bed.connect(room, { credentials: api.token });

    assert.equal(await httpStatus(room, httpToken), 200);
    const form = new FormData();
    form.append('file', new Blob(['secret-free body']), 'a.txt');
    const upload = await fetch(`http://127.0.0.1:${room.httpPort}/files/?token=${api.tokenForHttpServer}`, {
      method: 'POST',
      body: form,
    });
    assert.equal(upload.status, 200);
    const { fileId } = (await upload.json()) as { fileId: number };
    const download = await fetch(`http://127.0.0.1:${room.httpPort}/files/${fileId}?token=${httpToken}`);
    assert.equal(await download.text(), 'secret-free body');
    const bearer = await fetch(`http://127.0.0.1:${room.httpPort}/files/`, {
      headers: { authorization: `Bearer ${viaToken.tokenForHttpServer}` },
    });
    assert.equal(bearer.status, 200);
    await bearer.arrayBuffer();
    const missing = await fetch(`http://127.0.0.1:${room.httpPort}/nothing?token=${httpToken}`);
    await missing.arrayBuffer();
    // A refused origin (with a token in its URL) and an unknown method carrying secrets.
    await new Promise<void>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${room.apiPort}/?token=${httpToken}`, {
        origin: 'http://evil.example',
      });
      ws.on('error', () => resolve());
      ws.on('unexpected-response', (req) => {
        req.destroy();
        resolve();
      });
    });
    await assertRefused(api.callRaw('noSuchMethod', { credentials: secret, token: api.token }), 404);
    // A login to the hub with a wrong password: refused, and the password stays out of the log.
    await api.call('logout');
    await api.waitFor('logout');
    const outcome = api.waitFor('login');
    await api.call('login', { login: `${account}@${hub.domain}`, password: wrongLoginPassword });
    assert.notEqual((await outcome).result, 0);
    await api.call('clearTokens');
    assert.equal(await httpStatus(room, httpToken), 401);
    await room.stop();

    return {
      logText,
      secrets: {
        secret,
        wrongSecret,
        wrongLoginPassword,
        accountPassword: `pw-${account}`,
        token: api.token,
        tokenForHttpServer: api.tokenForHttpServer,
        httpToken,
        viaTokenHttp: viaToken.tokenForHttpServer,
      },
    };
  }

  for (const [kind, protection, account] of [
    ['PIN', { pin: 'Pin-7Qx93Zk' }, 'alice'],
    ['password', { password: 'Pass-w0rd-Yt55' }, 'bob'],
  ] as const) {
    test(`tokens, the ${kind} and login passwords never reach the log, even at trace level`, async () => {
      const { logText, secrets } = await exercise(protection, account);
      assert.ok(logText.length > 0, 'the room logged something');
      for (const [name, secret] of Object.entries(secrets)) {
        assert.ok(!logText.includes(secret), `the log contains the ${name}`);
      }
    });
  }
});
