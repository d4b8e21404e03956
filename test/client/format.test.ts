// The SDK's formatting module, shared by the CLI (plain style) and the web interface (the reader's locale).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  appStateText,
  asLabel,
  availabilityText,
  formatFullTime,
  formatSize,
  formatSpeed,
  formatTime,
  loginResultText,
} from '../../src/client/format.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const sizes = [0, 1, 512, 1000, KiB, 1.5 * KiB, 700_000, 20 * MiB, 2.4 * MiB, GiB, 3 * 1024 * GiB];

describe('sizes: powers of 1024, labelled B, KiB, MiB, GiB, TiB', () => {
  test('plain: one decimal from KiB on, a decimal point on every machine', () => {
    assert.deepEqual(
      sizes.map((n) => formatSize(n)),
      [
        '0 B',
        '1 B',
        '512 B',
        '1000 B',
        '1.0 KiB',
        '1.5 KiB',
        '683.6 KiB',
        '20.0 MiB',
        '2.4 MiB',
        '1.0 GiB',
        '3.0 TiB',
      ],
    );
    assert.equal(formatSize(1024 ** 5 * 2048), '2048.0 PiB', 'the largest unit keeps counting');
  });

  test("local: in the reader's locale, one decimal below 10 and none above", () => {
    assert.deepEqual(
      sizes.map((n) => formatSize(n, { locale: 'en-GB' })),
      [
        '0 B',
        '1 B',
        '512 B',
        '1,000 B',
        '1 KiB',
        '1.5 KiB',
        '684 KiB',
        '20 MiB',
        '2.4 MiB',
        '1 GiB',
        '3 TiB',
      ],
    );
    assert.equal(formatSize(1.5 * KiB, { locale: 'de-DE' }), '1,5 KiB');
    assert.equal(formatSize(1000, { locale: 'de-DE' }), '1.000 B');
  });

  test('a value that would round to 1024 of a unit is written as 1 of the next', () => {
    assert.equal(formatSize(MiB - 1), '1.0 MiB');
    assert.equal(formatSize(MiB - 50), '1.0 MiB');
    assert.equal(formatSize(MiB - 200), '1023.8 KiB');
    assert.equal(formatSize(MiB - 300, { locale: 'en-GB' }), '1 MiB');
    assert.equal(formatSize(MiB - 1024, { locale: 'en-GB' }), '1,023 KiB');
  });

  test('no size: ? in plain, a dash on a page', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.equal(formatSize(bad), '?');
      assert.equal(formatSize(bad, 'local'), '—');
    }
  });

  test('speeds are whole bytes per second in the same units', () => {
    assert.equal(formatSpeed(5.2 * MiB), '5.2 MiB/s');
    assert.equal(formatSpeed(256 * KiB, { locale: 'en-GB' }), '256 KiB/s');
    assert.equal(formatSpeed(99.6), '100 B/s');
    assert.equal(formatSpeed(-5), '0 B/s');
  });
});

describe('times', () => {
  const at = new Date(2024, 4, 1, 14, 3, 22).getTime();

  test('plain: local date and time, the same on every machine', () => {
    assert.equal(formatTime(at), '2024-05-01 14:03:22');
    assert.equal(formatTime(Number.NaN), '?');
  });

  test("local: today's as a time of day, older ones with their date; in full for a tooltip", () => {
    const later = new Date(2024, 4, 1, 23, 0, 0).getTime();
    const nextDay = new Date(2024, 4, 2, 9, 0, 0).getTime();
    const locale = { locale: 'en-GB' };
    assert.equal(formatTime(at, locale, later), '14:03');
    // The exact punctuation is the ICU version's: the parts are what matter.
    assert.match(formatTime(at, locale, nextDay), /^1 May 2024\D+14:03$/);
    assert.match(formatFullTime(at, locale), /^Wednesday,? 1 May 2024\D+14:03:22$/);
    assert.match(formatTime(at, { locale: 'de-DE' }, nextDay), /^01\.05\.2024\D+14:03$/);
  });
});

describe('words for the Room API codes', () => {
  test('read inside a sentence, and as a label with asLabel', () => {
    assert.deepEqual([0, 2, 3, 5, 9].map(appStateText), [
      'not connected to a server',
      'connected, not logged in',
      'logged in',
      'in a conference',
      'app state 9',
    ]);
    assert.deepEqual([0, 1, 2, 3, 7].map(availabilityText), [
      'not allowed for this account',
      'not licensed',
      'not logged in',
      'available',
      'unknown availability 7',
    ]);
    assert.deepEqual([0, 1, 2, 3, 7, 10, 42].map(loginResultText), [
      'logged in',
      'already logged in',
      'no such account on the server',
      'wrong TrueConf ID or password',
      'the server is busy or cannot be reached',
      'the account is locked',
      'login refused with code 42',
    ]);
    assert.equal(asLabel(availabilityText(2)), 'Not logged in');
    assert.equal(asLabel(loginResultText(3)), 'Wrong TrueConf ID or password');
    assert.equal(asLabel(''), '');
  });
});
