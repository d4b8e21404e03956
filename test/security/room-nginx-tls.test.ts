import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { documentedRecipe, nginxMissing, startNginx } from '../helpers/nginx.js';
import { makeCertificates } from '../helpers/tls.js';
import { freePort } from '../helpers/child.js';
import { need } from '../helpers/system.js';
import { Recorder, download, randomBody, upload, type Connection } from '../transfer/support.js';

/**
 * docs/operations.md's reverse-proxy recipe is what runs here: Debian's nginx with exactly the documented server
 * block (only its port, host name and certificate files put in) terminating TLS in front of a hub on loopback;
 * rooms log in through it with `wss://` and move a file (upload and download through nginx).
 */
const bed = new TestBed();
after(() => bed.close());

const DOC = join(process.cwd(), 'docs', 'operations.md');

test('room: the documented nginx TLS recipe — login and a transfer through it', async (t) => {
  if (!need(t, nginxMissing())) return;
  const certs = makeCertificates(bed.dir('certs-'));
  const hub = await bed.hub({ accounts: ['alice', 'bob'] });
  const port = await freePort();
  const config = documentedRecipe(DOC, {
    port,
    hubPort: hub.port,
    certFile: certs.certFile,
    keyFile: certs.keyFile,
  });
  const nginx = await startNginx(bed.dir('nginx-'), config, port);
  bed.defer(() => nginx.stop());

  const viaNginx = { server: { host: '127.0.0.1', port, tls: true }, hubCa: certs.ca };
  const aliceRoom = await bed.room({ hub, as: 'alice', ...viaNginx });
  const bobRoom = await bed.room({ hub, as: 'bob', ...viaNginx });
  await Promise.all([loggedIn(aliceRoom, 20_000), loggedIn(bobRoom, 20_000)]);
  const alice: Connection = await bed.connect(aliceRoom);
  const bob: Connection = await bed.connect(bobRoom);
  const bobEvents = new Recorder(bob);
  const body = randomBody(2 * 1024 * 1024 + 17);
  const file = await upload(aliceRoom, alice, 'through-nginx.bin', body);
  await alice.call('sendFile', { fileId: file.fileId, peerId: 'bob' });
  const offerId = String((await bobEvents.waitFor('receivedFileRequest')).fileRequestId);
  await bob.call('acceptIncomingFileRequest', { fileRequestId: offerId });
  await bobEvents.waitFor(
    'fileRequestStatusChanged',
    (m) => m.fileRequestId === offerId && m.status === 3,
    30_000,
  );
  const { fileId } = await bob.call('getFileRequestInfo', { fileRequestId: offerId });
  assert.deepEqual(await download(bobRoom, bob, fileId!), body);
  assert.doesNotMatch(nginx.errorLog(), /\[(error|crit|alert|emerg)\]/, nginx.errorLog());
});
