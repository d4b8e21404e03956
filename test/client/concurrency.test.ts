import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RoomApiError, RoomClient, RoomConnectionError } from '../../src/client/index.js';
import { TestBed } from '../helpers/harness.js';
import { AUTH_OK, apiError, connectWith, fakeRoom, fileWith, logged } from './support.js';

/** requestId correlation (concurrent calls of one method never mix) and per-call timeouts. */

const bed = new TestBed();
after(() => bed.close());

const N = 50;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('50 parallel sendFile then 50 parallel getFileRequestInfo on a real room: reply i answers request i', async () => {
  const {
    clients: [alice],
  } = await logged(bed, ['alice', 'bob']);
  const dir = bed.dir('concurrency-');
  // Fifty files that differ in name and size, uploaded at once.
  const fileIds = await Promise.all(
    range(N).map(async (i) => alice.upload(await fileWith(dir, `f-${i}.txt`, 'x'.repeat(i + 1)))),
  );
  assert.equal(new Set(fileIds).size, N);

  const sent = await Promise.all(range(N).map((i) => alice.sendFile({ fileId: fileIds[i], peerId: 'bob' })));
  const ids = sent.map((reply) => reply.sentFileRequestId);
  assert.equal(new Set(ids).size, N, 'every sendFile got its own request id');
  assert.equal(new Set(sent.map((reply) => reply.requestId)).size, N);

  const infos = await Promise.all(ids.map((fileRequestId) => alice.getFileRequestInfo({ fileRequestId })));
  for (const i of range(N)) {
    assert.equal(infos[i].method, 'getFileRequestInfo');
    assert.equal(infos[i].fileRequestId, ids[i]);
    assert.equal(infos[i].fileName, `f-${i}.txt`);
    assert.equal(infos[i].fileSize, i + 1);
    assert.equal(infos[i].fileId, fileIds[i]);
  }

  // Failures correlate as well: each rejection names its own id.
  const unknown = range(N).map((i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  const failures = await Promise.allSettled(
    unknown.map((fileRequestId) => alice.getFileRequestInfo({ fileRequestId })),
  );
  for (const i of range(N)) {
    const outcome = failures[i];
    assert.equal(outcome.status, 'rejected');
    const error = outcome.reason as RoomApiError;
    assert.ok(error instanceof RoomApiError);
    assert.equal(error.errorCode, 404);
    assert.ok(error.error.includes(unknown[i]), `${error.error} does not name ${unknown[i]}`);
  }

  // Different methods interleaved: each promise gets the reply of its own method.
  const mixed = await Promise.all(
    range(N).map((i) =>
      i % 3 === 0
        ? alice.getFileList().then((r) => r.method)
        : i % 3 === 1
          ? alice.getFileRequestInfo({ fileRequestId: ids[i] }).then((r) => `${r.method}:${r.fileRequestId}`)
          : alice.getAppState().then((r) => r.method),
    ),
  );
  for (const i of range(N)) {
    assert.equal(
      mixed[i],
      i % 3 === 0 ? 'getFileList' : i % 3 === 1 ? `getFileRequestInfo:${ids[i]}` : 'getAppState',
    );
  }
});

test('50 parallel getFileList while files are being added: each call gets one getFileList reply of its own', async () => {
  const room = await bed.room();
  const client = await connectWith(bed, { port: room.apiPort });
  const dir = bed.dir('lists-');
  const before = (await client.getFileList()).fileList.length;
  const uploads = Promise.all(
    range(10).map(async (i) => client.upload(await fileWith(dir, `u-${i}`, `body ${i}`))),
  );
  const lists = await Promise.all(range(N).map(() => client.getFileList()));
  await uploads;
  assert.equal(new Set(lists.map((l) => l.requestId)).size, N);
  for (const list of lists) {
    assert.equal(list.method, 'getFileList');
    assert.ok(list.fileList.length >= before && list.fileList.length <= before + 10);
  }
  assert.equal((await client.getFileList()).fileList.length, before + 10);
});

test('replies that come back in reverse order still reach their own calls', async () => {
  // A room look-alike that holds the fifty requests and answers them last first.
  const held: { requestId: unknown; fileRequestId: unknown }[] = [];
  const fake = await fakeRoom(bed, (request, socket) => {
    if (request.method === 'auth') return AUTH_OK;
    if (request.method === 'getAppState') return { appState: 0, embeddedHttpPort: 1, result: true };
    if (request.method !== 'getFileRequestInfo') return { result: false, error: 'unknown', errorCode: 404 };
    held.push({ requestId: request.requestId, fileRequestId: request.fileRequestId });
    if (held.length === N) {
      for (const { requestId, fileRequestId } of held.reverse()) {
        const failed = String(fileRequestId).endsWith('7');
        socket.send(
          JSON.stringify(
            failed
              ? {
                  method: 'getFileRequestInfo',
                  requestId,
                  result: false,
                  error: `no ${String(fileRequestId)}`,
                  errorCode: 404,
                }
              : { method: 'getFileRequestInfo', requestId, fileRequestId, status: 1, result: true },
          ),
        );
      }
    }
    return undefined;
  });
  const client = await connectWith(bed, { port: fake.port, reconnect: false });
  const outcomes = await Promise.allSettled(
    range(N).map((i) => client.getFileRequestInfo({ fileRequestId: `id-${i}` })),
  );
  for (const i of range(N)) {
    const outcome = outcomes[i];
    if (String(i).endsWith('7')) {
      assert.equal(outcome.status, 'rejected');
      assert.equal((outcome.reason as RoomApiError).error, `no id-${i}`);
    } else {
      assert.equal(outcome.status, 'fulfilled');
      assert.equal(
        (outcome as PromiseFulfilledResult<{ fileRequestId: string }>).value.fileRequestId,
        `id-${i}`,
      );
    }
  }
  // Every request carried its own requestId.
  const sent = fake.received.filter((m) => m.method === 'getFileRequestInfo').map((m) => m.requestId);
  assert.equal(new Set(sent).size, N);
});

test('per-call timeout: a call with no reply rejects with RoomConnectionError; the connection keeps working', async () => {
  const late: { answer?: () => void } = {};
  const fake = await fakeRoom(bed, (request, socket) => {
    if (request.method === 'auth') return AUTH_OK;
    if (request.method === 'getAppState') return { appState: 3, embeddedHttpPort: 1, result: true };
    // getFileList is never answered in time; its reply comes only when the test asks for it.
    late.answer = () =>
      socket.send(
        JSON.stringify({ method: request.method, requestId: request.requestId, fileList: [], result: true }),
      );
    return undefined;
  });
  const client = await connectWith(bed, { port: fake.port, reconnect: false, timeoutMs: 5_000 });
  const started = Date.now();
  await assert.rejects(client.getFileList(undefined, { timeoutMs: 200 }), (error: unknown) => {
    assert.ok(error instanceof RoomConnectionError);
    assert.match(error.message, /getFileList: no reply within 200 ms/);
    return true;
  });
  assert.ok(Date.now() - started >= 190, 'rejected before its timeout');
  // A reply after the timeout is dropped, and the connection still answers other calls.
  late.answer!();
  assert.equal((await client.getAppState()).appState, 3);
  // The client's own default applies when a call gives none.
  const client2 = await connectWith(bed, { port: fake.port, reconnect: false, timeoutMs: 150 });
  await assert.rejects(client2.getFileList(), /no reply within 150 ms/);
});

test('a server that never answers auth: connect rejects with RoomConnectionError within its timeout', async () => {
  const fake = await fakeRoom(bed, () => undefined);
  await assert.rejects(
    RoomClient.connect({ port: fake.port, timeoutMs: 200, reconnect: false }),
    (error: unknown) => {
      assert.ok(error instanceof RoomConnectionError);
      assert.match(error.message, /auth: no reply within 200 ms/);
      return true;
    },
  );
  assert.equal(fake.received[0].method, 'auth');
});

test('a failure reply without errorCode or with an unknown method still rejects as RoomApiError', async () => {
  const fake = await fakeRoom(bed, (request) => {
    if (request.method === 'auth') return AUTH_OK;
    if (request.method === 'getAppState') return { appState: 0, embeddedHttpPort: 1, result: true };
    return { result: false, error: 'refused' };
  });
  const client = await connectWith(bed, { port: fake.port, reconnect: false });
  const error = await apiError(client.getLogin(), 'getLogin', 0);
  assert.equal(error.error, 'refused');
});

test('calls in flight when the connection drops reject with RoomConnectionError at once', async () => {
  let arrived!: () => void;
  const allArrived = new Promise<void>((resolve) => (arrived = resolve));
  let count = 0;
  const fake = await fakeRoom(bed, (request) => {
    if (request.method === 'auth') return AUTH_OK;
    if (request.method === 'getAppState') return { appState: 0, embeddedHttpPort: 1, result: true };
    if (++count === 5) arrived();
    return undefined;
  });
  const client = await connectWith(bed, { port: fake.port, reconnect: false, timeoutMs: 30_000 });
  const calls = range(5).map(() => client.getFileList());
  await allArrived;
  const started = Date.now();
  for (const socket of fake.sockets) socket.terminate();
  for (const call of calls) await assert.rejects(call, /connection closed/);
  assert.ok(Date.now() - started < 5_000, 'the calls waited for their timeout instead');
});
