import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { TestBed } from '../helpers/harness.js';
import { RawLink } from '../transfer/support.js';
import { BLOB_PATH, UPLOAD_OFFSET_HEADER } from '../../src/protocol/body-routes.js';
import type { Hub } from '../../src/hub/hub.js';

/**
 * The hub's HTTP routes as their schemas check them (docs/hub-protocol.md, "Bodies"): the bearer first, then the
 * path, query and Upload-Offset, each refused as it was before the routes had schemas; Range resumes or is ignored.
 */

const bed = new TestBed();
after(() => bed.close());

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function hubRequest(
  hub: Hub,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: hub.port, method, path, headers, agent: false },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (chunk: Buffer) => parts.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(parts),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const json = (answer: Answer) => JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;

/** A hub where alice offered a body to bob and bob accepted it: the upload is awaited. */
async function acceptedOffer() {
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const alice = await RawLink.open(bed, hub);
  const bob = await RawLink.open(bed, hub);
  const aliceLogin = await alice.login('alice', 'a11ce000');
  const bobLogin = await bob.login('bob', '0b0b0000');
  const body = randomBytes(300_000);
  const sha = createHash('sha256').update(body).digest('hex');
  const sendId = randomUUID();
  const created = await alice.request('offer.create', {
    sendId,
    to: 'bob',
    fileName: 'body.bin',
    fileSize: body.length,
    sha256: sha,
  });
  assert.equal(created.ok, true, JSON.stringify(created));
  const offerId = String((created.offers as { offerId: string }[])[0].offerId);
  assert.equal((await bob.request('offer.accept', { offerId })).ok, true);
  return {
    hub,
    body,
    sha,
    sendId,
    offerId,
    sender: { authorization: `Bearer ${String(aliceLogin.session)}` },
    recipient: { authorization: `Bearer ${String(bobLogin.session)}` },
  };
}

test('without a good bearer token every body route answers 401 first, however malformed the rest', async () => {
  const { hub } = await acceptedOffer();
  for (const [method, headers] of [
    ['HEAD', {}],
    ['PATCH', { 'content-type': 'application/offset+octet-stream', [UPLOAD_OFFSET_HEADER]: 'x' }],
    ['GET', { authorization: 'Bearer not-a-session' }],
  ] as const) {
    const answer = await hubRequest(hub, method, `${BLOB_PATH}/not-a-sha?send=1&offer=2`, headers);
    assert.equal(answer.status, 401, method);
    if (method !== 'HEAD') {
      assert.deepEqual(json(answer), { error: 'a logged-in room session is required', errorCode: 401 });
    }
  }
});

test('a path or query the schemas refuse is answered as an unknown send or offer; a bad PATCH as 400', async () => {
  const { hub, sha, sendId, offerId, sender, recipient } = await acceptedOffer();
  const upload = { ...sender, 'content-type': 'application/offset+octet-stream' };
  const noSuchSend = { error: 'no such send', errorCode: 404 };
  const badUpload = {
    error: `a sha256 path and a numeric ${UPLOAD_OFFSET_HEADER} header are required`,
    errorCode: 400,
  };

  for (const path of [`${BLOB_PATH}/${sha.toUpperCase()}?send=${sendId}`, `${BLOB_PATH}/${sha}`]) {
    assert.equal((await hubRequest(hub, 'HEAD', path, sender)).status, 404, path);
  }
  for (const query of ['', `?send=${sendId.toUpperCase()}`, '?send=abc', `?offer=${offerId}`]) {
    const answer = await hubRequest(hub, 'PATCH', `${BLOB_PATH}/${sha}${query}`, {
      ...upload,
      [UPLOAD_OFFSET_HEADER]: '0',
    });
    assert.deepEqual([answer.status, json(answer)], [404, noSuchSend], query);
  }
  for (const [path, offset] of [
    [`${BLOB_PATH}/${'z'.repeat(64)}?send=${sendId}`, '0'],
    [`${BLOB_PATH}/${sha}?send=${sendId}`, 'x'],
    [`${BLOB_PATH}/${sha}?send=${sendId}`, '-1'],
    [`${BLOB_PATH}/${sha}?send=${sendId}`, '1.5'],
    [`${BLOB_PATH}/${sha}?send=${sendId}`, '9007199254740992'],
    [`${BLOB_PATH}/${sha}?send=abc`, 'x'],
  ]) {
    const answer = await hubRequest(hub, 'PATCH', path, { ...upload, [UPLOAD_OFFSET_HEADER]: offset });
    assert.deepEqual([answer.status, json(answer)], [400, badUpload], `${path} ${offset}`);
  }
  const noOffset = await hubRequest(hub, 'PATCH', `${BLOB_PATH}/${sha}?send=${sendId}`, upload);
  assert.deepEqual([noOffset.status, json(noOffset)], [400, badUpload]);

  for (const path of [
    `${BLOB_PATH}/${sha.slice(1)}?offer=${offerId}`,
    `${BLOB_PATH}/${sha}?offer=nope`,
    `${BLOB_PATH}/${sha}?send=${sendId}`,
  ]) {
    const answer = await hubRequest(hub, 'GET', path, recipient);
    assert.deepEqual([answer.status, json(answer)], [404, { error: 'no such offer', errorCode: 404 }], path);
  }
  assert.equal((await hub.repo.getOffer(offerId))?.state, 'accepted', 'nothing changed');
  assert.equal((await hub.bodies.list()).length, 0, 'nothing was written');
});

test('an upload in two parts at the offsets HEAD tells; Range resumes the download, another form is ignored', async () => {
  const { hub, body, sha, sendId, offerId, sender, recipient } = await acceptedOffer();
  const path = `${BLOB_PATH}/${sha}?send=${sendId}`;
  const upload = (offset: number, bytes: Buffer) =>
    hubRequest(
      hub,
      'PATCH',
      path,
      {
        ...sender,
        'content-type': 'application/offset+octet-stream',
        [UPLOAD_OFFSET_HEADER]: String(offset),
      },
      bytes,
    );

  const first = await upload(0, body.subarray(0, 100_000));
  assert.equal(first.status, 204);
  assert.equal(first.headers[UPLOAD_OFFSET_HEADER], '100000');
  const head = await hubRequest(hub, 'HEAD', path, sender);
  assert.deepEqual(
    [head.status, head.headers[UPLOAD_OFFSET_HEADER], head.headers['blob-complete']],
    [204, '100000', '0'],
  );
  const wrong = await upload(50_000, body.subarray(50_000, 50_010));
  assert.equal(wrong.status, 409);
  assert.equal(wrong.headers[UPLOAD_OFFSET_HEADER], '100000');
  assert.equal(json(wrong).errorCode, 409);
  const rest = await upload(100_000, body.subarray(100_000));
  assert.deepEqual([rest.status, rest.headers[UPLOAD_OFFSET_HEADER]], [204, String(body.length)]);
  const done = await hubRequest(hub, 'HEAD', path, sender);
  assert.equal(done.headers['blob-complete'], '1');

  const download = `${BLOB_PATH}/${sha}?offer=${offerId}`;
  const resumed = await hubRequest(hub, 'GET', download, { ...recipient, range: 'bytes=250000-' });
  assert.equal(resumed.status, 206);
  assert.equal(resumed.headers['content-range'], `bytes 250000-${body.length - 1}/${body.length}`);
  assert.deepEqual(resumed.body, body.subarray(250_000));
  const ignored = await hubRequest(hub, 'GET', download, { ...recipient, range: 'bytes=0-9' });
  assert.equal(ignored.status, 200);
  assert.deepEqual(ignored.body, body);
  const past = await hubRequest(hub, 'GET', download, { ...recipient, range: `bytes=${body.length + 1}-` });
  assert.deepEqual([past.status, json(past).errorCode], [416, 416]);
});

test('/health says who the hub is; /stats counts for the metrics token, in the shape declared', async () => {
  const hub = await bed.hub({ metricsToken: 'metrics-secret' });
  const health = await hubRequest(hub, 'GET', '/health');
  assert.deepEqual(json(health), {
    ok: true,
    hubId: hub.hubId,
    domain: hub.domain,
    database: { reachable: true },
  });
  const stats = json(await hubRequest(hub, 'GET', '/stats', { authorization: 'Bearer metrics-secret' }));
  assert.deepEqual(Object.keys(stats).sort(), [
    'bytesReceived',
    'bytesSent',
    'links',
    'receivedByBlob',
    'relayedFromDisk',
    'relayedFromMemory',
    'uploadsCompleted',
    'uploadsStarted',
  ]);
  assert.equal(stats.links, 0);
});
