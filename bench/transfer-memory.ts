import { join } from 'node:path';
import { Cluster, randomFile, uploadFile } from '../test/helpers/cluster.js';
import { RssSampler } from './rss.js';
import { MiB, type BenchRow } from './report.js';

/**
 * Memory during one large transfer alice → hub → bob, all three as separate processes: the growth of each
 * process's RSS over its RSS at rest must stay under the limit whatever the file size (bodies are streamed).
 */
export async function transferMemory(size: number, limitMiB: number): Promise<BenchRow[]> {
  const cluster = new Cluster();
  try {
    await cluster.createAccounts(['alice', 'bob']);
    await cluster.startHub();
    await cluster.startRoom('alice');
    await cluster.startRoom('bob');
    const alice = await cluster.connect('alice');
    const bob = await cluster.connect('bob');
    const path = join(cluster.root.path, 'body.bin');
    await randomFile(path, size);
    const sampler = new RssSampler({
      hub: cluster.hub!.child.pid!,
      alice: cluster.rooms.get('alice')!.proc.child.pid!,
      bob: cluster.rooms.get('bob')!.proc.child.pid!,
    });
    const atRest = sampler.sample();
    sampler.start(50);
    const fileId = await uploadFile(
      cluster.rooms.get('alice')!.httpPort,
      alice.tokenForHttpServer,
      path,
      'body.bin',
    );
    const received = bob.waitFor('receivedFileRequest');
    const sent = await alice.call('sendFile', { fileId, peerId: 'bob@files.local' });
    const offer = await received;
    const bobDone = bob.waitFor(
      'fileRequestStatusChanged',
      (e) => e.status === 3 && e.fileRequestId === offer.fileRequestId,
      600_000,
    );
    const aliceDone = alice.waitFor(
      'fileRequestStatusChanged',
      (e) => e.status === 3 && e.fileRequestId === sent.sentFileRequestId,
      600_000,
    );
    await bob.call('acceptIncomingFileRequest', { fileRequestId: offer.fileRequestId });
    await Promise.all([bobDone, aliceDone]);
    sampler.stop();
    return Object.entries(atRest).map(([name, rest]) => {
      const growth = ((sampler.peak.get(name) ?? rest) - rest) / MiB;
      return {
        name: `memory: RSS growth of ${name} during a ${Math.round(size / MiB)} MiB transfer`,
        value: growth,
        unit: 'MiB',
        baseline: rest / MiB,
        ratio: null,
        target: `< ${limitMiB} MiB growth over RSS at rest`,
        met: growth < limitMiB,
      };
    });
  } finally {
    await cluster.close();
  }
}
