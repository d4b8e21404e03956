import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { Hub } from '../../src/hub/hub.js';
import { LoginResult } from '../../src/protocol/session-methods.js';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { captureLogger, type LogLine } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/wait.js';
import { Recorder } from '../transfer/support.js';
import { RawLink } from '../security/hub-support.js';

/**
 * Issue 12: a room with a server but no login was closed by the hub's 10 s login deadline and reconnected with
 * backoff, again and again. Now it opens the link once to learn that the server answers (serverConnected,
 * appState 2), closes it, and opens it again only for a login (docs/decisions.md, "Server and login"). The hub's
 * deadline is made short (1.5 s) while the room should stay quiet, so that the old loop would show within the
 * test's period, which is measured by the hub's own deadline closing witness links, not by sleeps; it is the default
 * 10 s again for the logins (a password check may take long on a loaded machine).
 */
const bed = new TestBed();
after(() => bed.close());

const ROOM_NAME = 'quiet';
const WITNESS = '127.0.0.50';
/** Short enough that the old loop shows within a few periods, long enough for a hello on a loaded machine. */
const SHORT_DEADLINE_MS = 1500;
const DEFAULT_DEADLINE_MS = 10_000;

/** Sets the hub's login deadline for the links it accepts from now on. */
function setDeadline(hub: Hub, ms: number): void {
  hub.links.limits.loginDeadlineMs = ms;
}

/** A hub, its log, and a count of the links the room opened to it. */
async function quietHub(deadlineMs = DEFAULT_DEADLINE_MS) {
  const log = captureLogger('debug');
  const hub = await bed.hub({
    accounts: ['alice'],
    logger: log.logger,
    linkLimits: { loginDeadlineMs: deadlineMs },
  });
  const upgrades = { fromRoom: 0 };
  hub.app.server.on('upgrade', (req: IncomingMessage) => {
    if (req.socket.remoteAddress !== WITNESS) upgrades.fromRoom += 1;
  });
  const roomLinksClosed = () =>
    log.lines.filter((line: LogLine) => line.msg === 'link closed' && line.room === ROOM_NAME).length;
  const deadlineCloses = () =>
    log.lines.filter(
      (line: LogLine) => line.msg === 'link closed: no login within the deadline' && line.room === ROOM_NAME,
    ).length;
  return { hub, log, upgrades, roomLinksClosed, deadlineCloses };
}

/** Lets `periods` short login deadlines pass, one witness link after another (each closed by the hub). */
async function deadlinesPass(hub: Hub, periods: number): Promise<void> {
  setDeadline(hub, SHORT_DEADLINE_MS);
  for (let i = 0; i < periods; i += 1) {
    const witness = new RawLink(hub.port, { localAddress: WITNESS });
    bed.defer(() => witness.close());
    assert.equal(await witness.closed, 1008, 'the hub closes a link that does not log in');
  }
}

test('a room with a server and no login opens one link, closes it, and stays quiet; a login gets in at once', async () => {
  // Short from the start: the room's first link is one the hub would cut within the period.
  const { hub, log, upgrades, roomLinksClosed, deadlineCloses } = await quietHub(SHORT_DEADLINE_MS);
  const room = await bed.room({ hub, name: ROOM_NAME });
  // The room learns the server answers, then closes its link itself (not the hub's deadline).
  await log.waitFor(
    (line) => line.msg === 'link closed' && line.room === ROOM_NAME,
    'the room closing its link',
  );
  const api = await bed.connect(room);
  const events = new Recorder(api);
  assert.equal((await api.call('getAppState')).appState, 2, 'login required: the server is reachable');
  const connected = await api.call('getConnected');
  assert.equal(connected.state, 2);
  assert.equal((connected.serverInfo as { domain: string }).domain, hub.domain);

  // Four of the hub's login deadlines (6 s): the old room was cut at each and came back within ~1 s.
  await deadlinesPass(hub, 4);
  assert.equal(upgrades.fromRoom, 1, 'one connection in all');
  assert.equal(deadlineCloses(), 0, 'the hub never had to close the room for not logging in');
  assert.equal(roomLinksClosed(), 1);

  // A login opens the link again and gets in, without the appState passing through 0 or 1.
  setDeadline(hub, DEFAULT_DEADLINE_MS);
  const mark = events.mark();
  await api.call('login', { login: 'alice', password: 'pw-alice' });
  const login = await events.next(mark, 'login');
  assert.equal(login.result, LoginResult.Ok);
  await events.next(mark, 'appStateChanged', (m) => m.appState === 3);
  const seen = events.events(mark).map((m) => `${String(m.event)}:${String(m.appState ?? m.result ?? '')}`);
  assert.ok(!seen.some((e) => /^appStateChanged:[01]$|^server/.test(e)), seen.join(', '));
  assert.equal(upgrades.fromRoom, 2);
  assert.equal(hub.logins.accountsLoggedIn().size, 1);
});

test('after a logout or a wrong password the room closes its link again; each login opens one', async () => {
  const { hub, upgrades, roomLinksClosed } = await quietHub();
  const room = await bed.room({ hub, as: 'alice', name: ROOM_NAME });
  await loggedIn(room);
  const api = await bed.connect(room);
  const events = new Recorder(api);
  const closedBefore = roomLinksClosed();
  const upgradesBefore = upgrades.fromRoom;

  await api.call('logout');
  // Closed by the room at once, well within the hub's 10 s deadline.
  await waitFor('the room closing its link after logout', () =>
    roomLinksClosed() === closedBefore + 1 ? true : undefined,
  );
  assert.equal((await api.call('getAppState')).appState, 2);

  const mark = events.mark();
  await api.call('login', { login: 'alice', password: 'wrong' });
  assert.equal((await events.next(mark, 'login')).result, LoginResult.WrongPassword);
  await waitFor('the room closing its link after the refusal', () =>
    roomLinksClosed() === closedBefore + 2 ? true : undefined,
  );
  await deadlinesPass(hub, 2);
  assert.equal(upgrades.fromRoom, upgradesBefore + 1, 'one link for the wrong password: no loop');
  assert.equal((await api.call('getAppState')).appState, 2);
});

test('a room whose server went away while its link was closed: a login says 7 and the room reconnects', async () => {
  const { hub, log } = await quietHub();
  const room = await bed.room({ hub, name: ROOM_NAME });
  await log.waitFor(
    (line) => line.msg === 'link closed' && line.room === ROOM_NAME,
    'the room closing its link',
  );
  const api = await bed.connect(room);
  const events = new Recorder(api);
  await hub.stop();
  const mark = events.mark();
  await api.call('login', { login: 'alice', password: 'pw-alice' });
  assert.equal((await events.next(mark, 'login')).result, LoginResult.Unreachable);
  await events.next(mark, 'serverDisconnected');
  await events.next(mark, 'appStateChanged', (m) => m.appState === 0 || m.appState === 1);
});
