import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { sourceGroup } from '../../src/common/source-group.js';
import { LoginLimiter, LoginRefused, defaultLoginLimits } from '../../src/hub/login-limits.js';
import { TestBed } from '../helpers/harness.js';
import { CliProcess, freePort, runCli } from '../helpers/child.js';
import { RawLink } from './hub-support.js';

/**
 * Issue 12, point 5 (login flood at the hub): failures are counted per source group, per account name (existing or
 * not) and for the whole hub, within the lock window; at most a few scrypt verifications run at once, and a
 * refusal costs none. The arithmetic runs on an injected clock; the flood is replayed over real links.
 */

const bed = new TestBed();
after(() => bed.close());

const refused = (promise: Promise<unknown>) =>
  assert.rejects(promise, (error) => error instanceof LoginRefused);
const wrong = async () => false;
const attempt = (limiter: LoginLimiter, address: string, name: string, verify = wrong) =>
  limiter.attempt(address, name, verify, (ok) => ok);

test('source groups: IPv4 /24, IPv6 /64, every loopback address one group, mapped IPv4 as IPv4', () => {
  for (const address of ['127.0.0.1', '127.5.6.7', '::1', '::ffff:127.0.0.1']) {
    assert.equal(sourceGroup(address), 'loopback', address);
  }
  assert.equal(sourceGroup('10.1.2.3'), sourceGroup('10.1.2.250'));
  assert.equal(sourceGroup('::ffff:10.1.2.3'), sourceGroup('10.1.2.3'));
  assert.notEqual(sourceGroup('10.1.2.3'), sourceGroup('10.1.3.3'));
  assert.equal(sourceGroup('2001:db8:1:2:3::1'), sourceGroup('2001:db8:1:2:ffff::9'));
  assert.notEqual(sourceGroup('2001:db8:1:2::1'), sourceGroup('2001:db8:1:3::1'));
});

test('an account name is locked after ten failures from any networks, whether it exists or not, until the window passes', async () => {
  const clock = new ManualClock(1_700_000_000_000);
  const limiter = new LoginLimiter(clock, defaultLoginLimits(60_000));
  for (let i = 0; i < 10; i += 1) await attempt(limiter, `10.0.${i}.1`, 'nobody');
  await refused(attempt(limiter, '10.9.9.9', 'nobody', async () => true));
  const before = limiter.verifications;
  await refused(attempt(limiter, '10.9.9.9', 'nobody'));
  assert.equal(limiter.verifications, before, 'a refusal runs no scrypt');
  assert.equal(await attempt(limiter, '10.9.9.9', 'alice', async () => true), true, 'other names go on');
  clock.advance(60_001);
  assert.equal(await attempt(limiter, '10.9.9.9', 'nobody', async () => true), true, 'after the window');
});

test('a network is refused after twenty failures whatever the names; its neighbours are not', async () => {
  const clock = new ManualClock(1_700_000_000_000);
  const limiter = new LoginLimiter(clock, defaultLoginLimits(60_000));
  for (let i = 0; i < 20; i += 1) await attempt(limiter, `10.0.0.${i + 1}`, `name-${i}`);
  await refused(attempt(limiter, '10.0.0.200', 'fresh', async () => true));
  assert.equal(await attempt(limiter, '10.0.1.1', 'fresh', async () => true), true);
  for (let i = 0; i < 20; i += 1) await attempt(limiter, `127.${i}.${i}.1`, `loop-${i}`);
  await refused(attempt(limiter, '::1', 'fresh', async () => true));
});

test('past the global count every network that failed is refused, and a clean one still logs in', async () => {
  const clock = new ManualClock(1_700_000_000_000);
  const limiter = new LoginLimiter(clock, defaultLoginLimits(60_000));
  for (let i = 0; i < 200; i += 1) await attempt(limiter, `10.${i >> 8}.${i & 255}.1`, `n${i}`);
  await refused(attempt(limiter, '10.0.5.9', 'again'));
  assert.equal(await attempt(limiter, '192.168.7.1', 'alice', async () => true), true);
  clock.advance(60_001);
  assert.equal(await attempt(limiter, '10.0.5.9', 'again', async () => true), true);
});

test('at most two verifications run at once; a network may have four under way, the hub thirty-two waiting', async () => {
  const limiter = new LoginLimiter(new ManualClock(), defaultLoginLimits(60_000));
  const gates: (() => void)[] = [];
  const slow = () => new Promise<boolean>((resolve) => gates.push(() => resolve(true)));
  const sameNetwork = Array.from({ length: 4 }, (_, i) => attempt(limiter, '10.0.0.1', `a${i}`, slow));
  await refused(attempt(limiter, '10.0.0.2', 'a5', slow));
  const others = Array.from({ length: 30 }, (_, i) => attempt(limiter, `10.1.${i}.1`, `b${i}`, slow));
  await refused(attempt(limiter, '10.2.0.1', 'late', slow));
  while (gates.length > 0 || limiter.verifications < 34) {
    await new Promise((resolve) => setImmediate(resolve));
    gates.shift()?.();
  }
  assert.deepEqual(new Set(await Promise.all([...sameNetwork, ...others])), new Set([true]));
  assert.equal(limiter.maxInFlight, 2);
});

test('32 links flooding logins from rotating loopback addresses run a bounded number of scrypt checks', async () => {
  const clock = new ManualClock();
  const hub = await bed.hub({ accounts: ['alice'], clock, loginLockWindowMs: 60_000 });
  const links = Array.from({ length: 32 }, (_, i) => {
    const link = new RawLink(hub.port, { localAddress: `127.${i + 1}.${(i * 7) % 250}.${(i % 200) + 2}` });
    bed.defer(() => link.close());
    return link;
  });
  const codes = new Map<string, number>();
  await Promise.all(
    links.map(async (link, i) => {
      await link.hello();
      for (let n = 0; n < 5; n += 1) {
        const name = n % 2 === 0 ? 'alice' : `ghost-${i}-${n}`;
        const reply = await link.call('login', { login: name, password: `guess-${i}-${n}` });
        assert.equal(reply.ok, false);
        codes.set(reply.code!, (codes.get(reply.code!) ?? 0) + 1);
      }
    }),
  );
  const limits = hub.loginLimiter.settings;
  assert.ok(
    hub.loginLimiter.verifications <= limits.perGroup + limits.perGroupInFlight,
    `${hub.loginLimiter.verifications} scrypt checks for 160 attempts`,
  );
  assert.ok(hub.loginLimiter.maxInFlight <= limits.concurrentVerifications);
  assert.ok(
    (codes.get('locked') ?? 0) >= 160 - limits.perGroup - limits.perGroupInFlight,
    JSON.stringify([...codes]),
  );

  // Under load the flood may end before its failures filled the counts (most attempts were refused as in flight while
  // the checks ran one at a time): wrong guesses from the same network, one at a time, fill them (bounded).
  const guesser = new RawLink(hub.port);
  bed.defer(() => guesser.close());
  await guesser.hello();
  for (let n = 0; n < limits.perGroup + 1; n += 1) {
    if ((await guesser.call('login', { login: 'alice', password: `more-${n}` })).code === 'locked') break;
  }

  // The real user is on the same machine (one group): refused now, in again once the window has passed.
  const user = new RawLink(hub.port);
  bed.defer(() => user.close());
  assert.equal((await user.login('alice', 'pw-alice')).code, 'locked');
  clock.advance(60_001);
  const reply = await user.call('login', { login: 'alice', password: 'pw-alice' });
  assert.equal(reply.ok, true, JSON.stringify(reply));
});

test('roomfiles hub --login-lock-window sets how long ten wrong passwords lock an account', async () => {
  const data = bed.dir('hub-');
  assert.equal(
    (await runCli(['hub', 'user', 'add', 'alice', '--password', 'right', '--data', data])).code,
    0,
  );
  const port = await freePort();
  const hub = new CliProcess([
    'hub',
    '--listen',
    `127.0.0.1:${port}`,
    '--data',
    data,
    '--login-lock-window',
    '20s',
  ]);
  bed.defer(() => hub.kill());
  await hub.ready(/roomfiles hub listening/);
  // A fresh link per attempt: a link that has not logged in is closed after 10 s.
  const tryLogin = async (password: string) => {
    const link = new RawLink(port);
    try {
      return await link.login('alice', password);
    } finally {
      link.close();
    }
  };
  const firstFailureAt = Date.now();
  for (let i = 0; i < 10; i += 1) assert.equal((await tryLogin(`wrong-${i}`)).code, 'wrong_password');
  const lockedAt = Date.now();
  assert.equal((await tryLogin('right')).code, 'locked');
  let reply = await tryLogin('right');
  while (!reply.ok && Date.now() - lockedAt < 30_000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    reply = await tryLogin('right');
  }
  assert.equal(reply.ok, true, JSON.stringify(reply));
  // The lock lasts until the window since the first of the ten failures has passed.
  assert.ok(Date.now() - firstFailureAt >= 19_900, 'not before the window passed');
});
