import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Cluster, downloadSha256, randomFile, uploadFile } from '../helpers/cluster.js';
import type { RoomConnection } from '../../src/client/index.js';
import { stateOrEvent } from '../helpers/wait.js';

/**
 * What the crash tests share (one test file per crash, so the test runner runs them side by side): a cluster of
 * real processes mid-way through a 200 MiB transfer, and the checks once it has completed.
 */

export const SIZE = 200 * 1024 * 1024;
/** The sender's rate limit stretches the transfer over a few seconds, so the kill lands in the middle of it. */
export const RATE = ['--max-rate', '40MiB'];

export type Api = RoomConnection & { tokenForHttpServer: string };

/** Resolves once the request reaches `status` (already, or by its event); fails at once if it failed instead. */
export async function untilStatus(
  api: Api,
  fileRequestId: string,
  status: number,
  timeoutMs = 60_000,
): Promise<void> {
  await stateOrEvent(
    api,
    'fileRequestStatusChanged',
    (e) => e.fileRequestId === fileRequestId && e.status === status,
    async () => {
      const info = await api.call('getFileRequestInfo', { fileRequestId });
      assert.notEqual(info.status, 0, `request ${fileRequestId} failed instead of reaching status ${status}`);
      return info.status === status;
    },
    timeoutMs,
  );
}

/** Everything a kill test checks once the transfer has completed: bytes, history, nothing stuck. */
export async function assertCompleted(alice: Api, bob: Api, sentId: string, sha256: string): Promise<void> {
  const incoming = await bob.call('getIncomingFilesRequests');
  const mine = incoming.incomingFilesRequests.filter((r) => r.status === 3);
  assert.equal(mine.length, 1, 'bob has exactly one completed incoming request');
  const info = await bob.call('getFileRequestInfo', { fileRequestId: mine[0].fileRequestId });
  assert.equal(info.status, 3);
  assert.equal(await downloadSha256(bobHttpPort(bob), bob.tokenForHttpServer, info.fileId!), sha256);
  for (const [api, direction] of [
    [alice, 1],
    [bob, 0],
  ] as const) {
    const history = await api.call('getFileTransferHistory');
    assert.equal(history.filesRequests.length, 1, 'exactly one history entry');
    assert.equal(history.filesRequests[0].directionType, direction);
  }
  const outgoing = await alice.call('getOutgoingFilesRequests');
  assert.deepEqual(
    outgoing.outgoingFilesRequests.map((r) => [r.fileRequestId, r.status]),
    [[sentId, 3]],
  );
  for (const list of [incoming.incomingFilesRequests, outgoing.outgoingFilesRequests]) {
    assert.ok(
      list.every((r) => r.status !== 2),
      'no request left in status 2',
    );
  }
}

const httpPorts = new WeakMap<object, number>();
const bobHttpPort = (api: Api) => httpPorts.get(api)!;

export async function setUp() {
  const cluster = new Cluster();
  await cluster.createAccounts(['alice', 'bob']);
  await cluster.startHub();
  await cluster.startRoom('alice', RATE);
  const bobRoom = await cluster.startRoom('bob');
  const alice = await cluster.connect('alice');
  const bob = await cluster.connect('bob');
  httpPorts.set(bob, bobRoom.httpPort);
  const path = join(cluster.root.path, 'big.bin');
  const sha256 = await randomFile(path, SIZE);
  const fileId = await uploadFile(
    cluster.rooms.get('alice')!.httpPort,
    alice.tokenForHttpServer,
    path,
    'big.bin',
  );
  const received = bob.waitFor('receivedFileRequest');
  const sent = await alice.call('sendFile', { fileId, peerId: 'bob@files.local' });
  const offer = await received;
  await bob.call('acceptIncomingFileRequest', { fileRequestId: offer.fileRequestId });
  return { cluster, alice, bob, sha256, sentId: sent.sentFileRequestId, offerId: offer.fileRequestId };
}

export async function reconnect(cluster: Cluster, name: 'alice' | 'bob'): Promise<Api> {
  const api = await cluster.connect(name);
  if (name === 'bob') httpPorts.set(api, cluster.rooms.get('bob')!.httpPort);
  return api;
}

/**
 * The hub goes away mid-transfer, killed (SIGKILL) or stopped (SIGTERM, its links dropped), and comes back on the
 * same data: both rooms resume where they stopped, and the new hub moves only what was left.
 */
export async function hubGoesAwayMidTransfer(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  const { cluster, alice, bob, sha256, sentId, offerId } = await setUp();
  try {
    await bob.waitFor('incomingFileRequestDownloadingProgress', (e) => e.processedPercents >= 25, 60_000);
    const down = Promise.all([
      alice.waitFor('serverDisconnected', () => true, 30_000),
      bob.waitFor('serverDisconnected', () => true, 30_000),
    ]);
    if (signal === 'SIGKILL') await cluster.hub!.kill();
    else await cluster.hub!.stop('SIGTERM');
    await down;
    await cluster.startHub();
    await untilStatus(bob, offerId, 3);
    await untilStatus(alice, sentId, 3);
    await assertCompleted(alice, bob, sentId, sha256);
    const stats = await cluster.hubStats();
    assert.ok(
      stats.bytesReceived < SIZE,
      `the new hub received ${stats.bytesReceived} bytes: a resumed upload`,
    );
    assert.ok(stats.bytesSent < SIZE, `the new hub sent ${stats.bytesSent} bytes: a resumed download`);
  } finally {
    await cluster.close();
  }
}
