import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/child.js';
import { Cluster, randomFile, uploadFile } from '../helpers/cluster.js';
import { tempDir } from '../helpers/harness.js';
import { codeBlockAfter, nginxMissing, startNginx } from '../helpers/nginx.js';
import { postgresMissing, startPostgres } from '../helpers/postgres.js';
import { S3_ENV, S3Server } from '../helpers/s3.js';
import { need } from '../helpers/system.js';
import { assertCompleted, RATE, reconnect, SIZE, untilStatus } from './crash-support.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** How many links a hub process holds now (its /stats). */
async function linksOf(cluster: Cluster, port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/stats`, {
    headers: { authorization: `Bearer ${cluster.metricsToken}` },
  });
  return ((await response.json()) as { links: number }).links;
}

async function receivedBy(cluster: Cluster, port: number, sha256: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/stats`, {
    headers: { authorization: `Bearer ${cluster.metricsToken}` },
  });
  return ((await response.json()) as { receivedByBlob: Record<string, number> }).receivedByBlob[sha256] ?? 0;
}

/** The hub (of `ports`) whose link count went up to `count`: asked until one has, for at most 30 s. */
async function holderOf(cluster: Cluster, ports: number[], before: number[]): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const now = await Promise.all(ports.map((port) => linksOf(cluster, port)));
    const index = now.findIndex((links, i) => links > before[i]);
    if (index >= 0) return ports[index];
    assert.ok(Date.now() < deadline, 'no hub process took the link');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test(
  'two hub processes behind nginx (the configuration of docs/operations.md): the sender on hub A, the recipient on hub B, 200 MiB streams byte-identical; kill -9 of the hub holding the sender’s link mid-transfer → the room reconnects through nginx to the other and resumes, one history entry per side',
  { timeout: 240_000 },
  async (t) => {
    if (!need(t, postgresMissing()) || !need(t, nginxMissing())) return;
    const dir = tempDir('roomfiles-two-hubs-');
    const pg = await startPostgres(dir.path);
    const s3 = await S3Server.start();
    pg.createDatabase('roomfiles');
    const cluster = new Cluster();
    cluster.shared = {
      db: pg.url('roomfiles'),
      blobs: `s3://${s3.bucket}/hub`,
      s3Endpoint: s3.endpoint,
      env: S3_ENV,
    };
    let nginx: Awaited<ReturnType<typeof startNginx>> | null = null;
    try {
      const first = await cluster.startSharedHub();
      await cluster.createAccounts(['alice', 'bob']);
      const second = await cluster.startSharedHub();
      const ports = [first.port, second.port];
      const front = await freePort();
      const block = codeBlockAfter(join(root, 'docs/operations.md'), '### Several hub processes')
        .replaceAll('127.0.0.1:4307', `127.0.0.1:${first.port}`)
        .replaceAll('127.0.0.1:4308', `127.0.0.1:${second.port}`)
        .replaceAll('127.0.0.1:4300', `127.0.0.1:${front}`);
      nginx = await startNginx(join(dir.path, 'nginx'), block, front);

      // Both rooms know only nginx's address; which process holds which link is nginx's choice.
      await cluster.startRoom('alice', RATE, front);
      const alice = await cluster.connect('alice');
      const senderHub = await holderOf(cluster, ports, [0, 0]);
      const otherHub = ports.find((port) => port !== senderHub)!;
      // bob's room is started again until nginx gives its link to the other process (round robin: at once, mostly).
      let bobHub = 0;
      for (let attempt = 0; attempt < 6 && bobHub !== otherHub; attempt++) {
        const existing = cluster.rooms.get('bob');
        if (existing) {
          await existing.proc.kill();
          // Its old link gone from whichever process held it: only alice's is left.
          const deadline = Date.now() + 30_000;
          while ((await linksOf(cluster, first.port)) + (await linksOf(cluster, second.port)) !== 1) {
            assert.ok(Date.now() < deadline, "bob's old link never closed");
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        const before = await Promise.all(ports.map((port) => linksOf(cluster, port)));
        await cluster.startRoom('bob', [], front);
        await cluster.connect('bob');
        bobHub = await holderOf(cluster, ports, before);
      }
      assert.equal(bobHub, otherHub, "bob's link is on the other hub process");
      const bob = await reconnect(cluster, 'bob');

      const path = join(cluster.root.path, 'big.bin');
      const sha256 = await randomFile(path, SIZE);
      const fileId = await uploadFile(
        cluster.rooms.get('alice')!.httpPort,
        alice.tokenForHttpServer,
        path,
        'big.bin',
      );
      const received = bob.waitFor('receivedFileRequest', undefined, 30_000);
      const sent = await alice.call('sendFile', { fileId, peerId: 'bob@files.local' });
      const offer = await received;
      await bob.call('acceptIncomingFileRequest', { fileRequestId: offer.fileRequestId });

      // Streaming across processes: bob has a quarter while the hubs have not received the whole body.
      await bob.waitFor('incomingFileRequestDownloadingProgress', (e) => e.processedPercents >= 25, 120_000);
      const receivedSoFar =
        (await receivedBy(cluster, first.port, sha256)) + (await receivedBy(cluster, second.port, sha256));
      assert.ok(receivedSoFar < SIZE, `the upload was still under way (${receivedSoFar} of ${SIZE} bytes)`);

      // kill -9 of the process holding alice's link: her room reconnects through nginx, to the other one.
      const down = alice.waitFor('serverDisconnected', () => true, 30_000);
      await cluster.hubs.get(senderHub)!.kill();
      await down;
      await untilStatus(alice, sent.sentFileRequestId, 3, 150_000);
      await untilStatus(bob, offer.fileRequestId, 3, 150_000);
      assert.equal(await linksOf(cluster, otherHub), 2, 'both rooms are linked to the surviving process');
      await assertCompleted(alice, bob, sent.sentFileRequestId, sha256);
    } finally {
      await cluster.close();
      await nginx?.stop();
      await s3.close();
      await pg.stop();
      dir.cleanup();
    }
  },
);
