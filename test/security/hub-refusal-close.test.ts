import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TestBed } from '../helpers/harness.js';
import { runCli } from '../helpers/child.js';
import { waitUntil } from '../helpers/http.js';
import { RawConnection, head } from '../helpers/raw-http.js';
import { BLOB_PATH, UPLOAD_OFFSET_HEADER } from '../../src/protocol/body-routes.js';
import { RawLink, loginToken, offer, sha256Of } from './hub-support.js';

/**
 * The hub refuses a body upload before reading it (here: over the account's quota, 507) while the sender's room is
 * still sending it: the room reads the refusal whatever it does with the rest of the body, because the hub closes
 * the connection in stages (a lingering close) instead of resetting it.
 */

const bed = new TestBed();
after(() => bed.close());

test('a sender that sends the rest of its body after the hub refused it reads the 507, and is not reset', async () => {
  const dataDir = bed.dir('hub-');
  assert.equal(
    (await runCli(['hub', 'user', 'add', 'alice', '--password', 'pw-alice', '--data', dataDir])).code,
    0,
  );
  const set = await runCli(['hub', 'user', 'set', 'alice', '--quota', '1MiB', '--data', dataDir]);
  assert.equal(set.code, 0, set.stderr);
  const hub = await bed.hub({ dataDir, accounts: ['bob'] });
  const alice = new RawLink(hub.port);
  bed.defer(() => alice.close());
  const token = await loginToken(alice, 'alice');
  assert.equal((await alice.call('conf.create', { title: 'Alone', confType: 1, invite: [] })).ok, true);
  const body = randomBytes(4 << 20);
  const sent = await offer(alice, { conference: true, body });

  // Half-open allowed: the client goes on sending after the hub's end, as one that reads only once it has sent.
  const connection = await RawConnection.open(hub.port, true);
  await connection.write(
    head(
      `${BLOB_PATH}/${sha256Of(body)}?send=${sent.sendId as string}`,
      {
        authorization: `Bearer ${token}`,
        'content-type': 'application/offset+octet-stream',
        [UPLOAD_OFFSET_HEADER]: '0',
        'content-length': String(body.length),
      },
      'PATCH',
    ),
  );
  await waitUntil(() => connection.responses().length === 1, 'the hub refuses the upload');
  const refusal = connection.responses()[0];
  assert.equal(refusal.status, 507);
  assert.match((JSON.parse(refusal.body) as { error: string }).error, /over quota/);
  assert.equal(refusal.headers.connection, 'close');

  const sentWhole = await connection.write(body);
  connection.socket.end();
  await waitUntil(() => connection.closed, 'the connection is closed');
  assert.equal(connection.error, undefined, `no reset under the client (${connection.error?.message})`);
  assert.ok(sentWhole, 'the whole body could be sent');
  assert.deepEqual(await hub.bodies.list(), [], 'nothing of it is kept');
});
