import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { TestBed } from '../helpers/harness.js';
import { ManualClock } from '../../src/common/clock.js';
import {
  CredentialLimiter,
  DEFAULT_CREDENTIAL_LIMITS,
  sourceGroup,
} from '../../src/room/credential-limiter.js';
import type { Room } from '../../src/room/room.js';

/**
 * Issue 12 point 4: rotating 127.x.y.z source addresses found a 4-digit PIN after 1,375 tries in 0.84 s, and five
 * wrong PINs from 127.0.0.1 locked the real user out. Failed PINs now count per source group (IPv4 /24, IPv6 /64,
 * all loopback one group) and for the whole room: delays double up to 60 s per group, and the room as a whole
 * checks one credential per 20 s once under attack, so any number of addresses needs more than a day on average.
 */
const bed = new TestBed();
after(() => bed.close());

const SECOND = 1000;
const HOUR = 3600 * SECOND;

test('room: source groups — IPv4 /24, IPv6 /64, every loopback address one group', () => {
  for (const loopback of ['127.0.0.1', '127.45.3.9', '::1', '::ffff:127.0.0.2'])
    assert.equal(sourceGroup(loopback), 'loopback', loopback);
  assert.equal(sourceGroup('192.0.2.7'), sourceGroup('192.0.2.200'));
  assert.equal(sourceGroup('::ffff:192.0.2.7'), sourceGroup('192.0.2.1'));
  assert.notEqual(sourceGroup('192.0.2.7'), sourceGroup('192.0.3.7'));
  assert.equal(sourceGroup('2001:db8:1:2:aaaa::1'), sourceGroup('2001:db8:1:2:bbbb::9'));
  assert.notEqual(sourceGroup('2001:db8:1:2::1'), sourceGroup('2001:db8:1:3::1'));
});

test('room: one source group — four free failures, then 1 s doubling to at most 60 s', () => {
  const clock = new ManualClock(0);
  const limiter = new CredentialLimiter(clock);
  const waits: number[] = [];
  for (let failure = 1; failure <= 12; failure++) {
    const wait = limiter.admit('203.0.113.5');
    waits.push(wait);
    clock.advance(wait);
    assert.equal(limiter.admit('203.0.113.77'), 0, 'the same /24 is admitted once the wait is over');
    limiter.failed('203.0.113.77');
  }
  assert.deepEqual(
    waits.map((w) => w / SECOND),
    [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60],
  );
  assert.ok(limiter.admit('203.0.113.5') <= 60 * SECOND);
});

test('room: any number of addresses needs more than 24 h on average for a 4-digit PIN', () => {
  const clock = new ManualClock(0);
  const limiter = new CredentialLimiter(clock);
  // The best attacker: a new /24 (or /64) for every guess, each sent the moment the room would check it.
  let checks = 0;
  let network = 0;
  while (clock.now() < 24 * HOUR) {
    const address = `10.${(network >> 8) & 255}.${network++ & 255}.1`;
    const wait = limiter.admit(address);
    if (wait > 0) {
      clock.advance(wait);
      continue;
    }
    checks += 1;
    limiter.failed(address);
  }
  // 10,000 PINs: on average the right one is found after 5,000 guesses.
  assert.ok(checks < 5000, `${checks} guesses checked in 24 h`);
  const hoursOnAverage = (5000 / checks) * 24;
  assert.ok(hoursOnAverage > 24, `${hoursOnAverage.toFixed(1)} h on average`);
  assert.ok(limiter.groupCount <= DEFAULT_CREDENTIAL_LIMITS.maxGroups, 'the memory of groups is bounded');
});

test('room: the user who knows the PIN gets in within a minute after the attack stops', () => {
  const clock = new ManualClock(0);
  const limiter = new CredentialLimiter(clock);
  // An hour of attack from many networks and from the user's own (loopback).
  for (let i = 0; clock.now() < HOUR; i++) {
    const address = i % 2 ? '127.0.0.1' : `10.0.${i & 255}.1`;
    const wait = limiter.admit(address);
    if (wait > 0) clock.advance(Math.min(wait, 5 * SECOND));
    else limiter.failed(address);
  }
  clock.advance(60 * SECOND);
  assert.equal(limiter.admit('127.0.0.1'), 0);
});

/** One auth attempt on a fresh connection from `localAddress`; resolves to the reply's errorCode (0 = granted). */
async function attempt(
  room: Room,
  localAddress: string,
  credentials: string,
): Promise<{ code: number; error: string }> {
  const socket = new WebSocket(`ws://127.0.0.1:${room.apiPort}/`, { localAddress });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const reply = new Promise<Record<string, unknown>>((resolve) =>
      socket.once('message', (data) => resolve(JSON.parse(String(data)) as Record<string, unknown>)),
    );
    socket.send(JSON.stringify({ method: 'auth', requestId: '1', type: 'secured', credentials }));
    const answer = await reply;
    return { code: answer.result === true ? 0 : Number(answer.errorCode), error: String(answer.error ?? '') };
  } finally {
    socket.terminate();
  }
}

test('room: rotating 127.x.y.z source addresses over real sockets get 429, and the user gets in after', async () => {
  const clock = new ManualClock();
  const room = await bed.room({ pin: '7391', clock });
  const codes: number[] = [];
  // The attack of the issue: every guess from another loopback address, as fast as the room answers.
  for (let guess = 0; guess < 60; guess++) {
    const pin = String(guess).padStart(4, '0');
    codes.push(
      (await attempt(room, `127.${1 + (guess >> 8)}.${guess & 255}.${1 + (guess % 250)}`, pin)).code,
    );
  }
  const checked = codes.filter((code) => code === 401).length;
  assert.equal(checked, 5, 'four free failures and one more for the whole loopback group');
  assert.equal(codes.filter((code) => code === 429).length, 55);
  // The attack goes on at the pace the room allows until the group's delay is at its cap…
  let last = await attempt(room, '127.9.9.9', '0000');
  for (let round = 0; round < 20 && !/in 60 s/.test(last.error); round++) {
    const seconds = Number(/in (\d+) s/.exec(last.error)?.[1] ?? 0);
    clock.advance(seconds * SECOND);
    last = await attempt(room, `127.10.${round}.1`, '0001');
  }
  assert.match(last.error, /in 60 s/, 'the delay stops at 60 s');
  // …then stops. The real user, from the same machine, is refused at first and in within a minute.
  assert.equal((await attempt(room, '127.0.0.1', '7391')).code, 429);
  clock.advance(60 * SECOND);
  assert.equal((await attempt(room, '127.0.0.1', '7391')).code, 0);
});
