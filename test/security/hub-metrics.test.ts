import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TestBed } from '../helpers/harness.js';
import { CliProcess, freePort } from '../helpers/child.js';
import { RawLink, hubRequest, loginToken, offer, patchBody, sha256Of } from './hub-support.js';

/**
 * Issue 12, point 3 (oracles): GET /stats listed the sha256 of bodies to anything on the hub's machine (behind a
 * reverse proxy: to everyone). Now /stats and the Prometheus /metrics need the bearer token of --metrics-token,
 * whatever the source address, and no metric label names a body or an account.
 */

const bed = new TestBed();
after(() => bed.close());

test('a hub process started with --metrics-token answers /stats and /metrics to that bearer token only', async () => {
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  const hub = new CliProcess([
    'hub',
    '--listen',
    `127.0.0.1:${port}`,
    '--data',
    bed.dir('hub-'),
    '--metrics-token',
    token,
  ]);
  bed.defer(() => hub.kill());
  await hub.ready(/roomfiles hub listening/);
  for (const path of ['/stats', '/metrics']) {
    assert.equal((await hubRequest(port, 'GET', path)).status, 401, `${path} from loopback without a token`);
    const wrong = await hubRequest(port, 'GET', path, { authorization: `Bearer ${token}x` });
    assert.equal(wrong.status, 401, `${path} with a wrong token`);
    assert.equal(JSON.parse(wrong.body.toString()).errorCode, 401);
    const right = await hubRequest(port, 'GET', path, { authorization: `Bearer ${token}` });
    assert.equal(right.status, 200, `${path} with the token`);
  }
  const metrics = await hubRequest(port, 'GET', '/metrics', { authorization: `Bearer ${token}` });
  assert.match(String(metrics.headers['content-type']), /^text\/plain/);
  assert.match(metrics.body.toString(), /^roomfiles_hub_links 0$/m);
  assert.match(metrics.body.toString(), /^roomfiles_hub_process_resident_memory_bytes \d+/m);
});

test('without a metrics token /stats and /metrics do not exist, not even for loopback', async () => {
  const hub = await bed.hub();
  for (const path of ['/stats', '/metrics']) {
    const answer = await hubRequest(hub.port, 'GET', path);
    assert.equal(answer.status, 404, path);
    assert.equal(JSON.parse(answer.body.toString()).errorCode, 404);
  }
});

test('after a transfer, /metrics counts its bytes and names no body and no account', async () => {
  const hub = await bed.hub({ accounts: ['alice', 'bob'], metricsToken: 'scrape-me' });
  const alice = new RawLink(hub.port);
  const bob = new RawLink(hub.port);
  bed.defer(() => alice.close());
  bed.defer(() => bob.close());
  const aliceToken = await loginToken(alice, 'alice');
  await loginToken(bob, 'bob');
  const body = randomBytes(100_000);
  const sent = await offer(alice, { to: 'bob', body });
  const offerId = (sent.offers as { offerId: string }[])[0].offerId;
  assert.equal((await bob.call('offer.accept', { offerId })).ok, true);
  assert.equal(
    (await patchBody(hub.port, aliceToken, sent.sendId as string, sha256Of(body), body)).status,
    204,
  );

  const text = (
    await hubRequest(hub.port, 'GET', '/metrics', { authorization: 'Bearer scrape-me' })
  ).body.toString();
  assert.match(text, new RegExp(`^roomfiles_hub_received_bytes_total ${body.length}$`, 'm'));
  assert.match(text, /^roomfiles_hub_uploads_completed_total 1$/m);
  assert.match(text, /^roomfiles_hub_links 2$/m);
  assert.doesNotMatch(text, /[0-9a-f]{64}/, 'no sha256');
  assert.doesNotMatch(text, /alice|bob|files\.local/, 'no account');
  const labelNames = new Set([...text.matchAll(/[{,]([a-z_]+)="/g)].map((m) => m[1]));
  for (const name of ['sha256', 'sha', 'account', 'peer', 'peerId', 'user', 'name'])
    assert.equal(labelNames.has(name), false, `no label ${name}`);
});
