import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TusChain } from '../../bench/lib/tus-chain.js';
import { CutProxy } from '../../bench/lib/cut-proxy.js';
import { PEER_TARGETS, type PeerTarget } from '../../bench/peers.js';
import { makeRow, markdownTable } from '../../bench/report.js';

async function body(dir: string, size: number) {
  const file = join(dir, 'body.bin');
  const bytes = randomBytes(size);
  await writeFile(file, bytes);
  return { file, size, sha256: createHash('sha256').update(bytes).digest('hex') };
}

test('the tus peer delivers the very bytes uploaded, to every recipient, each in its own process; a resume too', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'roomfiles-peer-'));
  const chain = await TusChain.start(join(dir, 'work'), 2);
  const proxy = await CutProxy.start(chain.serverPort);
  try {
    const sent = await body(dir, 3 * 1024 * 1024 + 17);
    const all = await chain.deliver(sent.file, sent.size, sent.sha256);
    assert.ok(all.uploadSeconds > 0 && all.seconds > all.uploadSeconds);
    assert.deepEqual(Object.keys(all.cpu).sort(), ['recipient 1', 'recipient 2', 'server', 'uploader']);
    // deliver() compares each recipient's sha256 with the one given: another one fails it.
    await assert.rejects(chain.deliver(sent.file, sent.size, 'f'.repeat(64), { count: 1 }), /another sha256/);
    // What the server stored and the recipients wrote is removed after each delivery.
    assert.deepEqual(await readdir(join(dir, 'work', 'store')), []);

    // Through the relay, cut once half the body has gone through: tus-js-client resumes on its own.
    const big = await body(dir, 8 * 1024 * 1024);
    await proxy.arm(big.size / 2);
    await chain.deliver(big.file, big.size, big.sha256, { count: 1, uploadPort: proxy.port });
    const cut = await proxy.report();
    assert.equal(cut.cut, true);
    assert.ok(cut.sent > big.size && cut.sent < big.size * 1.5, `sent ${cut.sent} bytes for ${big.size}`);
    // Not armed: nothing is cut, and what went through is the body and a few headers.
    await proxy.arm(null);
    await chain.deliver(big.file, big.size, big.sha256, { count: 1, uploadPort: proxy.port });
    const whole = await proxy.report();
    assert.equal(whole.cut, false);
    assert.ok(whole.sent > big.size && whole.sent < big.size + 4096, `sent ${whole.sent} bytes`);
  } finally {
    await proxy.stop();
    await chain.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("the peer rows' targets: met, NOT MET, and NOT MET (floor too) where the streaming floor misses as well", () => {
  const { delivery, resumeTime, resentBytes } = PEER_TARGETS;
  const row = (name: string, values: number[], peer: number[], target: PeerTarget, floors?: number[]) =>
    makeRow({ name, unit: 's', values, baselines: peer, floors, target: target.text, meets: target.meets });
  // roomfiles at half the peer's time; at two thirds of it, with a floor at 0.7 × and one at 0.55 ×.
  const fast = row('fast', [3, 3, 3], [6, 6, 6], delivery);
  const bound = row('bound', [4, 4, 4], [6, 6, 6], delivery, [4.1, 4.2, 4.3]);
  const slow = row('slow', [4, 4, 4], [6, 6, 6], delivery, [3.2, 3.3, 3.4]);
  assert.equal(fast.met, true);
  assert.equal(bound.met, false);
  assert.equal(bound.floor?.met, false);
  assert.equal(slow.floor?.met, true);
  const table = markdownTable([fast, bound, slow]);
  assert.match(table, /\| fast \|.*\| met \|/);
  assert.match(table, /\| bound \|.*\| NOT MET \(floor too\) \|/);
  assert.match(table, /\| slow \|.*\| NOT MET \|/);
  // A resumed delivery: no later than the peer's.
  assert.equal(row('even', [5], [5], resumeTime).met, true);
  assert.equal(row('late', [5.1], [5], resumeTime).met, false);
  // Bytes sent again: at most one write batch, whatever the peer sent again.
  const resent = (values: number[]) =>
    makeRow({
      name: 'r',
      unit: 'MiB',
      values,
      baselines: [0.1],
      target: resentBytes.text,
      meets: resentBytes.meets,
    });
  assert.equal(resent([4]).met, true);
  assert.equal(resent([4.01]).met, false);
});
