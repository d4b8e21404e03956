import { test } from 'node:test';
import assert from 'node:assert/strict';
import { safeEqual } from '../../src/common/secrets.js';
import { hashPassword, verifyPassword } from '../../src/hub/passwords.js';

/** Issue 2: secrets are compared in constant time, whatever their lengths (src/common/secrets.ts, src/hub/passwords.ts). */

test('safeEqual: equal secrets match; an unequal one of the same length does not', () => {
  assert.equal(safeEqual('4321', '4321'), true);
  assert.equal(safeEqual('correct horse battery staple', 'correct horse battery staple'), true);
  assert.equal(safeEqual('pässwörd ✓', 'pässwörd ✓'), true, 'non-ASCII compared as UTF-8');

  assert.equal(safeEqual('4321', '4322'), false, 'last character differs');
  assert.equal(safeEqual('1321', '4321'), false, 'first character differs');
  assert.equal(safeEqual('Secret', 'secret'), false, 'case matters');
  assert.equal(safeEqual('é', 'e\u0301'), false, 'no Unicode normalisation: different bytes differ');
});

test('safeEqual: secrets of different lengths are refused without throwing, prefixes included', () => {
  // A bare crypto.timingSafeEqual throws RangeError on buffers of different lengths: safeEqual must not.
  for (const [given, expected] of [
    ['432', '4321'],
    ['43210', '4321'],
    ['4321', '4321 '],
    ['a', 'a'.repeat(10_000)],
    ['pässwörd', 'passwort'], // same number of characters, not of UTF-8 bytes
  ]) {
    assert.doesNotThrow(() => safeEqual(given, expected));
    assert.equal(
      safeEqual(given, expected),
      false,
      `${JSON.stringify(given)} vs ${JSON.stringify(expected)}`,
    );
    assert.equal(safeEqual(expected, given), false, 'either way round');
  }
});

test('safeEqual: the empty secret equals only the empty secret', () => {
  assert.equal(safeEqual('', ''), true);
  assert.equal(safeEqual('', '4321'), false);
  assert.equal(safeEqual('4321', ''), false);
  assert.equal(safeEqual(' ', ''), false);
  assert.equal(safeEqual('\0', ''), false);
});

test('hub passwords: the right one is accepted; a wrong one of the same or of a different length is refused', async () => {
  const password = 'tr0ub4dor&3';
  const stored = await hashPassword(password);
  assert.equal(await verifyPassword(password, stored), true);

  assert.equal(await verifyPassword('tr0ub4dor&4', stored), false, 'same length, last character differs');
  assert.equal(await verifyPassword('Tr0ub4dor&3', stored), false, 'same length, case differs');
  assert.equal(await verifyPassword('tr0ub4dor&', stored), false, 'a prefix (shorter)');
  assert.equal(await verifyPassword('tr0ub4dor&33', stored), false, 'an extension (longer)');
  assert.equal(await verifyPassword(password.repeat(50), stored), false, 'much longer');
  assert.equal(await verifyPassword('', stored), false, 'empty');

  // A stored hash whose key is not the usual 32 bytes: still compared over its own length, never a throw.
  const [kind, n, r, p, salt, hash] = stored.split('$');
  const shortKey = [kind, n, r, p, salt, Buffer.from(hash, 'base64').subarray(0, 16).toString('base64')].join(
    '$',
  );
  assert.equal(await verifyPassword('something else', shortKey), false);
  assert.equal(
    await verifyPassword(password, shortKey),
    true,
    'scrypt output is a prefix-stable stream: the first 16 bytes of the right key match',
  );
});
