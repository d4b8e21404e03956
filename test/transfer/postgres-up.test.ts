import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { openRoomConnection } from '../../src/client/index.js';
import { CliProcess } from '../helpers/child.js';
import { randomFile, uploadFile } from '../helpers/cluster.js';
import { TestBed } from '../helpers/harness.js';
import { postgresMissing, startPostgres } from '../helpers/postgres.js';
import { S3_ENV, S3Server } from '../helpers/s3.js';
import { need } from '../helpers/system.js';
import { untilLoggedIn } from '../helpers/wait.js';

/** `roomfiles up --db … --blobs s3://… --s3-endpoint …`: the demo's hub on PostgreSQL and a bucket. */

const bed = new TestBed();
after(() => bed.close());

test(
  'roomfiles up --db --blobs s3://… --s3-endpoint --s3-force-path-style: the demo hub keeps its accounts in the database and a sent body in the bucket',
  { timeout: 90_000 },
  async (t) => {
    if (!need(t, postgresMissing())) return;
    const cluster = await startPostgres(bed.dir('roomfiles-pg-'));
    bed.defer(() => cluster.stop());
    cluster.createDatabase('up');
    const s3 = await S3Server.start();
    bed.defer(() => s3.close());
    const data = bed.dir('roomfiles-up-');
    const up = new CliProcess(
      [
        'up',
        '--data',
        data,
        '--hub-port',
        '0',
        '--port-base',
        '0',
        '--db',
        cluster.url('up'),
        '--blobs',
        `s3://${s3.bucket}/demo`,
        '--s3-endpoint',
        s3.endpoint,
        '--s3-force-path-style',
      ],
      { env: S3_ENV },
    );
    bed.defer(() => up.kill());
    await up.waitForLine(/^ready in \d+ ms/, 60_000);
    const hubPort = Number(/hub on 127\.0\.0\.1:(\d+)/.exec(up.stdout)![1]);
    const apiPorts = [...up.stdout.matchAll(/API port +(\d+)/g)].map((match) => Number(match[1]));
    const httpPorts = [...up.stdout.matchAll(/HTTP port +(\d+)/g)].map((match) => Number(match[1]));

    const health = (await (await fetch(`http://127.0.0.1:${hubPort}/health`)).json()) as Record<
      string,
      unknown
    >;
    assert.deepEqual(health.blobs, { reachable: true }, 'the hub has a bucket');
    const client = new pg.Client({ connectionString: cluster.url('up') });
    await client.connect();
    bed.defer(() => client.end());
    const names = await client.query<{ name: string }>('SELECT name FROM accounts ORDER BY name');
    assert.deepEqual(
      names.rows.map((row) => row.name),
      ['alice', 'bob'],
      'the accounts are in the database',
    );

    // alice sends bob a file: its body goes through the bucket.
    const [alice, bob] = await Promise.all(
      apiPorts.map((port) => openRoomConnection(`ws://127.0.0.1:${port}/`)),
    );
    bed.defer(() => alice.close());
    bed.defer(() => bob.close());
    const aliceAuth = await alice.call('auth', { type: 'unsecured' });
    await bob.call('auth', { type: 'unsecured' });
    await Promise.all([untilLoggedIn(alice, 30_000), untilLoggedIn(bob, 30_000)]);
    const path = join(data, 'file.bin');
    await randomFile(path, 300_000);
    const fileId = await uploadFile(httpPorts[0], aliceAuth.tokenForHttpServer, path, 'f.bin');
    const offered = bob.waitFor('receivedFileRequest', undefined, 30_000);
    await alice.call('sendFile', { fileId, peerId: 'bob@files.local' });
    const offer = await offered;
    const done = bob.waitFor(
      'fileRequestStatusChanged',
      (e) => e.fileRequestId === offer.fileRequestId && e.status === 3,
      60_000,
    );
    await bob.call('acceptIncomingFileRequest', { fileRequestId: offer.fileRequestId });
    await done;
    assert.equal(
      existsSync(join(data, 'hub', 'blobs')),
      false,
      'no body directory: the bodies are in the bucket',
    );
    assert.equal(
      existsSync(join(data, 'hub', 'hub.db')),
      false,
      'no SQLite file: the rows are in PostgreSQL',
    );
  },
);
