import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { TestBed } from '../helpers/harness.js';
import { rawRequest } from '../helpers/http.js';
import { DEFAULT_HEADERS_TIMEOUT_MS } from '../../src/room/http-server.js';

/**
 * Issue 12 point 7: 200 connections sending their headers one byte every 2 s took all 64 HTTP slots before any
 * token check, and 0 of 60 legitimate requests succeeded; connections over the limit were destroyed. Now a
 * connection takes a slot only with a complete request head, a head must be complete within 10 s (408, then
 * closed), and a connection that finds every slot taken gets 503 with Retry-After, never a reset.
 */
const bed = new TestBed();
after(() => bed.close());

interface Slow {
  socket: Socket;
  openedAt: number;
  closedAt?: number;
  answer: string;
  reset: boolean;
}

/** One slowloris connection: a request line, then one header byte every 2 s, never the end of the head. */
function slowloris(port: number): Slow {
  const socket = connect(port, '127.0.0.1');
  const slow: Slow = { socket, openedAt: performance.now(), answer: '', reset: false };
  socket.on('connect', () => socket.write('GET /files/ HTTP/1.1\r\nHost: room\r\nX-Slow: '));
  const drip = setInterval(() => socket.writable && socket.write('a'), 2000);
  socket.on('data', (chunk: Buffer) => (slow.answer += chunk.toString()));
  socket.on('error', (error: NodeJS.ErrnoException) => (slow.reset = error.code === 'ECONNRESET'));
  socket.on('close', () => {
    clearInterval(drip);
    slow.closedAt = performance.now();
  });
  bed.defer(() => {
    clearInterval(drip);
    socket.destroy();
  });
  return slow;
}

test('room: 200 slowloris connections — 60 legitimate requests all served, the slow ones cut within seconds', async () => {
  const room = await bed.room();
  const api = await bed.connect(room);
  const slow = Array.from({ length: 200 }, () => slowloris(room.httpPort));
  await Promise.all(slow.map((s) => once(s.socket, 'connect')));
  // Every slowloris connection is open and dripping: now the legitimate clients.
  const statuses = await Promise.all(
    Array.from({ length: 60 }, () =>
      rawRequest(room, 'GET', `/files/?token=${api.tokenForHttpServer}`).then((r) => r.status),
    ),
  );
  assert.deepEqual(
    statuses.filter((status) => status !== 200),
    [],
    'every legitimate request is served',
  );
  // The slow ones are cut by the headers timeout: answered 408 and closed, well within seconds.
  await Promise.all(slow.filter((s) => s.closedAt === undefined).map((s) => once(s.socket, 'close')));
  const longest = Math.max(...slow.map((s) => s.closedAt! - s.openedAt));
  assert.ok(
    longest < DEFAULT_HEADERS_TIMEOUT_MS + 5000,
    `a slow connection lasted ${Math.round(longest)} ms`,
  );
  assert.ok(
    slow.every((s) => /^HTTP\/1\.1 408/.test(s.answer)),
    'each slow connection is answered 408',
  );
});

test('room: a connection over httpServerConnectionsLimit gets 503 with Retry-After, not a reset; served once a slot frees', async () => {
  const room = await bed.room();
  const api = await bed.connect(room);
  const token = api.tokenForHttpServer;
  await api.call('setHttpServerSettings', { settings: { httpServerConnectionsLimit: 2 } });
  await api.call('stopHttpServer');
  await api.call('startHttpServer');
  // Two keep-alive connections that have been answered hold both slots.
  const held: Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const socket = connect(room.httpPort, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`GET /files/?token=${token} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`);
    await once(socket, 'data');
    held.push(socket);
    bed.defer(() => void socket.destroy());
  }
  const refused = await rawRequest(room, 'GET', `/files/?token=${token}`);
  assert.equal(refused.status, 503);
  assert.equal(refused.headers['retry-after'], '2');
  assert.equal(refused.headers.connection, 'close');
  const body = JSON.parse(refused.body.toString()) as { error: string; errorCode: number };
  assert.equal(body.errorCode, 503);
  assert.match(body.error, /try again/);
  // A held connection keeps being served (it has its slot).
  held[0].write(`GET /files/?token=${token} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`);
  assert.match(String(await once(held[0], 'data')), /^HTTP\/1\.1 200/);
  // One slot frees: the next client is served.
  held[1].destroy();
  await once(held[1], 'close');
  let status = 0;
  for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
    status = (await rawRequest(room, 'GET', `/files/?token=${token}`)).status;
    assert.ok(status === 200 || status === 503, `status ${status}`);
  }
  assert.equal(status, 200);
});
