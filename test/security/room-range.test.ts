import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TestBed } from '../helpers/harness.js';
import { rawRequest, uploadOk } from '../helpers/http.js';
import { validByteRanges } from '../../src/room/http/download.js';

/**
 * Issue 12 point 12: a syntactically invalid Range used to get 416. RFC 9110 §14.2: a server ignores a Range it
 * cannot parse and serves the whole body with 200; only a valid range that does not fit the body is 416.
 */
const bed = new TestBed();
after(() => bed.close());

test('room: an invalid Range is ignored (200, whole body); an unsatisfiable valid one is still 416', async () => {
  const room = await bed.room();
  const api = await bed.connect(room);
  const body = randomBytes(1000);
  const { reply } = await uploadOk(room, api.tokenForHttpServer, 'data.bin', body);
  const path = `/files/${reply.fileId}?token=${api.tokenForHttpServer}`;
  for (const range of [
    'bytes=abc',
    'bytes=5-2',
    'bytes=1-2,x',
    'items=0-9',
    'bytes=',
    'bytes=--5',
    'bytes=+1-2',
  ]) {
    const response = await rawRequest(room, 'GET', path, { range });
    assert.equal(response.status, 200, `Range: ${range}`);
    assert.equal(response.headers['content-range'], undefined, `Range: ${range}`);
    assert.deepEqual(response.body, body, `Range: ${range}`);
  }
  const valid = await rawRequest(room, 'GET', path, { range: 'bytes=5-9' });
  assert.equal(valid.status, 206);
  assert.deepEqual(valid.body, body.subarray(5, 10));
  const unsatisfiable = await rawRequest(room, 'GET', path, { range: 'bytes=5000-' });
  assert.equal(unsatisfiable.status, 416);
  assert.equal(unsatisfiable.headers['content-range'], 'bytes */1000');
});

test('room: the Range syntax check (RFC 9110 §14.1)', () => {
  for (const ok of ['bytes=0-0', 'bytes=5-', 'bytes=-5', 'BYTES=1-2, 4-5', 'bytes=99999999999999999999-'])
    assert.equal(validByteRanges(ok), true, ok);
  for (const bad of ['bytes=abc', 'bytes=5-2', 'bytes=-', 'bytes=1-2,', 'bytes 1-2', 'bytes=0x1-2', ''])
    assert.equal(validByteRanges(bad), false, bad);
});
