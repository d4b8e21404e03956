// The file-name rule of room-api.md §6: separators, NUL and control characters removed, leading dots stripped,
// at most 255 bytes of UTF-8, `file` when nothing is left.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { sanitizeFileName, truncateUtf8 } from '../../src/protocol/file-name.js';

const bytes = (value: string) => Buffer.byteLength(value, 'utf8');

describe('sanitizeFileName', () => {
  test('ordinary names are kept as given', () => {
    for (const name of [
      'a.png',
      'report 2024 (final).pdf',
      'archive.tar.gz',
      'отчёт.docx',
      '報告書.txt',
      'smile 😀.png',
      'trailing.dot.',
      'name with  spaces ',
      '-dash',
      'a..b',
    ]) {
      assert.equal(sanitizeFileName(name), name);
    }
  });

  test('path separators are removed', () => {
    assert.equal(sanitizeFileName('a/b/c.txt'), 'abc.txt');
    assert.equal(sanitizeFileName('a\\b\\c.txt'), 'abc.txt');
    assert.equal(sanitizeFileName('/etc/passwd'), 'etcpasswd');
    assert.equal(sanitizeFileName('C:\\Users\\x.txt'), 'C:Usersx.txt');
  });

  test('NUL and control characters are removed', () => {
    assert.equal(sanitizeFileName('a\u0000b.txt'), 'ab.txt');
    assert.equal(sanitizeFileName('line\nbreak\r.txt'), 'linebreak.txt');
    assert.equal(sanitizeFileName('tab\there'), 'tabhere');
    assert.equal(sanitizeFileName('del\u007f.txt'), 'del.txt');
    assert.equal(sanitizeFileName('c1\u0085\u009b.txt'), 'c1.txt');
    assert.equal(sanitizeFileName('esc\u001b[31m.txt'), 'esc[31m.txt');
  });

  test('leading dots are stripped, also once separators and controls are gone', () => {
    assert.equal(sanitizeFileName('.bashrc'), 'bashrc');
    assert.equal(sanitizeFileName('...hidden'), 'hidden');
    assert.equal(sanitizeFileName('../../etc/passwd'), 'etcpasswd');
    assert.equal(sanitizeFileName('..\\..\\boot.ini'), 'boot.ini');
    assert.equal(sanitizeFileName('/.ssh/id_rsa'), 'sshid_rsa');
    assert.equal(sanitizeFileName('\u0000.env'), 'env');
    assert.equal(sanitizeFileName('\n./.x'), 'x');
  });

  test('nothing left becomes "file"', () => {
    for (const name of ['', '.', '..', '...', '/', '\\', '../', '\u0000', '\u0001\u0002', './/..\\']) {
      assert.equal(sanitizeFileName(name), 'file', JSON.stringify(name));
    }
  });

  test('at most 255 bytes of UTF-8, never splitting a character', () => {
    assert.equal(sanitizeFileName('a'.repeat(255)), 'a'.repeat(255));
    assert.equal(sanitizeFileName('a'.repeat(300)), 'a'.repeat(255));
    // Two-byte characters: 127 fit (254 bytes), the 128th would make 256.
    const cyrillic = sanitizeFileName('ж'.repeat(200));
    assert.equal(cyrillic, 'ж'.repeat(127));
    // Three-byte characters: 85 fit exactly.
    assert.equal(sanitizeFileName('字'.repeat(100)), '字'.repeat(85));
    // Four-byte characters (surrogate pairs): 63 fit (252 bytes), no half pair is left.
    const emoji = sanitizeFileName('😀'.repeat(100));
    assert.equal(emoji, '😀'.repeat(63));
    // A mix ending at the boundary.
    const mixed = sanitizeFileName('a'.repeat(253) + 'жж');
    assert.equal(mixed, 'a'.repeat(253) + 'ж');
    for (const name of [cyrillic, emoji, mixed]) assert.ok(bytes(name) <= 255);
  });

  test('the limit applies after removal, so removed characters do not count', () => {
    assert.equal(sanitizeFileName('/'.repeat(100) + 'a'.repeat(255)), 'a'.repeat(255));
    assert.equal(sanitizeFileName('.'.repeat(100) + 'b'.repeat(200)), 'b'.repeat(200));
  });

  test('the result is well-formed UTF-16: lone surrogates become U+FFFD', () => {
    const cleaned = sanitizeFileName('a\ud800b\udc00c.txt');
    assert.equal(cleaned, 'a\ufffdb\ufffdc.txt');
    assert.doesNotThrow(() => encodeURIComponent(cleaned));
    assert.equal(sanitizeFileName('\ud83d'), '\ufffd');
    assert.equal(sanitizeFileName('😀'), '😀');
    // A high surrogate cut off by the limit is not left behind either.
    const cut = sanitizeFileName('a'.repeat(254) + '😀');
    assert.equal(cut, 'a'.repeat(254));
    assert.doesNotThrow(() => encodeURIComponent(sanitizeFileName('x'.repeat(250) + '\ud800'.repeat(3))));
  });

  test('the result is a label, never a path', () => {
    for (const raw of ['../x', '..\\x', '/abs', 'a/../../b', '.', '..', '\u0000']) {
      const name = sanitizeFileName(raw);
      assert.ok(!name.includes('/') && !name.includes('\\') && !name.startsWith('.'), name);
      assert.notEqual(name, '');
    }
  });
});

describe('truncateUtf8', () => {
  test('keeps short strings and cuts long ones on character boundaries', () => {
    assert.equal(truncateUtf8('hello', 5), 'hello');
    assert.equal(truncateUtf8('hello', 4), 'hell');
    assert.equal(truncateUtf8('жж', 3), 'ж');
    assert.equal(truncateUtf8('😀', 3), '');
    assert.equal(truncateUtf8('', 0), '');
  });
});
