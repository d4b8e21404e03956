import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { BodyReceiver } from '../../src/room/body-receiver.js';
import { BodyTransferError } from '../../src/room/hub-bodies.js';

const body = randomBytes(5 * 1024 * 1024 + 333);
const sha256 = createHash('sha256').update(body).digest('hex');

/**
 * A stand-in for the hub's body route: `/body` serves `body` (Range `bytes=n-` → 206), `/gone` answers 409 with
 * the hub's JSON error, `/stall` sends the first MiB and then holds the response open until the client goes.
 */
async function bodyServer(): Promise<{ server: Server; url: (path: string) => string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res: ServerResponse) => {
    seen.push(`${req.url} ${req.headers.authorization ?? ''} ${req.headers.range ?? ''}`.trim());
    if (req.url === '/gone') {
      res.writeHead(409, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'the offer is no longer accepted', errorCode: 409 }));
      return;
    }
    if (req.url === '/stall') {
      res.writeHead(200, { 'content-length': String(body.length) });
      res.write(body.subarray(0, 1 << 20));
      return;
    }
    const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    res.writeHead(from > 0 ? 206 : 200, { 'content-length': String(body.length - from) });
    res.end(body.subarray(from));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return { server, url: (path) => `http://127.0.0.1:${port}${path}`, seen };
}

async function withSetup(
  fn: (s: { receiver: BodyReceiver; dir: string } & Awaited<ReturnType<typeof bodyServer>>) => Promise<void>,
  options: ConstructorParameters<typeof BodyReceiver>[0] = {},
) {
  const dir = await mkdtemp(join(tmpdir(), 'roomfiles-receiver-'));
  const served = await bodyServer();
  const receiver = new BodyReceiver(options);
  try {
    await fn({ receiver, dir, ...served });
  } finally {
    await receiver.stop();
    served.server.closeAllConnections();
    served.server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('the receive worker writes the whole body to the partial file, with its sha256 and rising progress', async () => {
  await withSetup(async ({ receiver, dir, url, seen }) => {
    const partial = join(dir, 'whole.partial');
    const progress: number[] = [];
    const result = await receiver.receive(
      {
        request: { url: url('/body'), headers: { authorization: 'Bearer t0ken' } },
        partial,
        offset: 0,
        fileSize: body.length,
      },
      new AbortController().signal,
      (received) => progress.push(received),
    );
    assert.deepEqual(result, { received: body.length, sha256 });
    assert.ok((await readFile(partial)).equals(body));
    assert.deepEqual(seen, ['/body Bearer t0ken']);
    assert.deepEqual(
      progress,
      [...progress].sort((a, b) => a - b),
    );
    assert.ok(progress.every((p) => p > 0 && p <= body.length));
  });
});

test('a resumed receive hashes the bytes already there and appends only the rest', async () => {
  await withSetup(async ({ receiver, dir, url, seen }) => {
    const partial = join(dir, 'resumed.partial');
    const offset = 3 * 1024 * 1024 + 7;
    await writeFile(partial, body.subarray(0, offset));
    const result = await receiver.receive(
      {
        request: { url: url('/body'), headers: { range: `bytes=${offset}-` } },
        partial,
        offset,
        fileSize: body.length,
      },
      new AbortController().signal,
      () => undefined,
    );
    assert.deepEqual(result, { received: body.length, sha256 });
    assert.ok((await readFile(partial)).equals(body));
    assert.deepEqual(seen, [`/body  bytes=${offset}-`]);
  });
});

test('a refusal of the hub reaches the room as a BodyTransferError with its status and words', async () => {
  await withSetup(async ({ receiver, dir, url }) => {
    const error = await receiver
      .receive(
        { request: { url: url('/gone'), headers: {} }, partial: join(dir, 'gone'), offset: 0, fileSize: 10 },
        new AbortController().signal,
        () => undefined,
      )
      .then(
        () => null,
        (e: unknown) => e,
      );
    assert.ok(error instanceof BodyTransferError);
    assert.equal(error.status, 409);
    assert.equal(error.message, 'the offer is no longer accepted');
  });
});

test('an abort settles only once the worker has let go of the partial file; the worker serves the next job', async () => {
  await withSetup(async ({ receiver, dir, url }) => {
    const partial = join(dir, 'stalled.partial');
    const controller = new AbortController();
    let progressed: () => void;
    const firstBytes = new Promise<void>((resolve) => (progressed = resolve));
    const job = receiver.receive(
      { request: { url: url('/stall'), headers: {} }, partial, offset: 0, fileSize: body.length },
      controller.signal,
      () => progressed(),
    );
    await firstBytes;
    controller.abort();
    await assert.rejects(job);
    const size = (await stat(partial)).size;
    assert.ok(size > 0 && size <= 1 << 20);
    // Nothing written after the job settled: the retry may append at once.
    const again = await receiver.receive(
      {
        request: { url: url('/body'), headers: { range: `bytes=${size}-` } },
        partial,
        offset: size,
        fileSize: body.length,
      },
      new AbortController().signal,
      () => undefined,
    );
    assert.deepEqual(again, { received: body.length, sha256 });
  });
});

test('stopping the receiver fails the jobs still running, and a later job starts a new worker', async () => {
  await withSetup(async ({ receiver, dir, url }) => {
    let progressed: () => void;
    const firstBytes = new Promise<void>((resolve) => (progressed = resolve));
    const job = receiver.receive(
      {
        request: { url: url('/stall'), headers: {} },
        partial: join(dir, 'stopped'),
        offset: 0,
        fileSize: body.length,
      },
      new AbortController().signal,
      () => progressed(),
    );
    await firstBytes;
    await receiver.stop(100);
    await assert.rejects(job, /receive worker stopped/);
    const next = await receiver.receive(
      {
        request: { url: url('/body'), headers: {} },
        partial: join(dir, 'next'),
        offset: 0,
        fileSize: body.length,
      },
      new AbortController().signal,
      () => undefined,
    );
    assert.equal(next.sha256, sha256);
  });
});

test('a worker that cannot run is not waited for: after three losses bodies are received on the main thread', async () => {
  const fallbacks: Error[] = [];
  const options = {
    script: new URL('file:///nonexistent/receive-worker.js'),
    onFallback: (error: Error) => fallbacks.push(error),
  };
  await withSetup(async ({ receiver, dir, url }) => {
    const spec = (name: string) => ({
      request: { url: url('/body'), headers: {} },
      partial: join(dir, name),
      offset: 0,
      fileSize: body.length,
    });
    for (const attempt of [1, 2, 3]) {
      await assert.rejects(
        receiver.receive(spec(`try-${attempt}`), new AbortController().signal, () => undefined),
        /Cannot find module|ERR_MODULE_NOT_FOUND|receive worker stopped/,
      );
    }
    assert.equal(fallbacks.length, 1);
    const result = await receiver.receive(spec('main-thread'), new AbortController().signal, () => undefined);
    assert.deepEqual(result, { received: body.length, sha256 });
    assert.ok((await readFile(join(dir, 'main-thread'))).equals(body));
    assert.equal(fallbacks.length, 1);
  }, options);
});
