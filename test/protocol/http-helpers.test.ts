// The two helpers the SDK and the room share for HTTP: the host of a URL, and the message of an error body.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { urlHost } from '../../src/protocol/url-host.js';
import { ERROR_BODY_LIMIT, errorBodyMessage, readErrorBody } from '../../src/protocol/error-body.js';

test('urlHost brackets IPv6 addresses once and leaves names and IPv4 addresses alone', () => {
  assert.deepEqual(
    ['::1', '::', 'fe80::1', '[::1]', '127.0.0.1', 'localhost', 'files.example'].map(urlHost),
    ['[::1]', '[::]', '[fe80::1]', '[::1]', '127.0.0.1', 'localhost', 'files.example'],
  );
  // What it writes is a URL a parser reads back to the same host.
  assert.equal(new URL(`http://${urlHost('::1')}:8766/files/`).hostname, '[::1]');
});

describe('error bodies', () => {
  test('the message is the error of {error, errorCode}, else the text, else HTTP <status>', () => {
    assert.equal(
      errorBodyMessage('{"error":"file 7 does not exist","errorCode":404}', 404),
      'file 7 does not exist',
    );
    assert.equal(errorBodyMessage('Bad Gateway\n', 502), 'Bad Gateway');
    assert.equal(errorBodyMessage('{"message":"other shape"}', 500), '{"message":"other shape"}');
    assert.equal(errorBodyMessage('{"error":42}', 500), '{"error":42}');
    assert.equal(errorBodyMessage('', 503), 'HTTP 503');
  });

  test('a body in chunks is decoded whole, a character split between chunks included', async () => {
    const json = Buffer.from('{"error":"файл не найден","errorCode":404}');
    const split = json.indexOf(Buffer.from('й')) + 1; // inside the two bytes of й
    async function* chunks() {
      yield json.subarray(0, split);
      yield json.subarray(split);
    }
    assert.equal(await readErrorBody(chunks(), 404), 'файл не найден');
  });

  test('reading stops at the limit: an endless body is not held, and its stream is ended', async () => {
    let produced = 0;
    let ended = false;
    async function* endless() {
      try {
        for (;;) {
          produced += 1024;
          yield Buffer.alloc(1024, 'x');
        }
      } finally {
        ended = true;
      }
    }
    const message = await readErrorBody(endless(), 500);
    assert.equal(message.length, ERROR_BODY_LIMIT);
    assert.ok(produced <= ERROR_BODY_LIMIT, `${produced} bytes read`);
    assert.ok(ended, 'the body stream was closed');
  });
});
