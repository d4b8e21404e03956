import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { restartRoom } from '../transfer/support.js';
import { Cluster, downloadSha256, randomFile, uploadFile } from '../helpers/cluster.js';
import { CliProcess, freePort } from '../helpers/child.js';
import { makeCertificates } from '../helpers/tls.js';
import { captureLogger, LOG_LEVEL } from '../helpers/log-capture.js';
import { need } from '../helpers/system.js';
import { LoginResult } from '../../src/protocol/session-methods.js';
import { parseHubTarget } from '../../src/room/hub-target.js';

/**
 * Issue 12 point 1 and "TLS end to end": the link and the body routes over HTTPS/WSS, certificates verified
 * against the system store plus `--ca`, a wrong certificate a clear failure (error-level log line, login result
 * 7), never a fallback to cleartext, and no password over cleartext to a hub on another machine unless
 * `--insecure-link`. Certificates come from a throwaway CA the test makes with openssl.
 */
const bed = new TestBed();
after(() => bed.close());

test('room: wss:// through the CLI (hub --tls-cert/--tls-key, room --server wss:// --ca): login and a transfer both ways', async () => {
  const cluster = new Cluster();
  bed.defer(() => cluster.close());
  const certs = makeCertificates(bed.dir('certs-'));
  await cluster.createAccounts(['alice', 'bob']);
  cluster.hubPort = await freePort();
  cluster.hub = new CliProcess([
    'hub',
    '--listen',
    `127.0.0.1:${cluster.hubPort}`,
    '--data',
    cluster.hubData,
    '--tls-cert',
    certs.certFile,
    '--tls-key',
    certs.keyFile,
  ]);
  await cluster.hub.waitForLine(/roomfiles hub listening .*\(TLS\)/);
  const tls = ['--server', `wss://127.0.0.1:${cluster.hubPort}`, '--ca', certs.caFile];
  await cluster.startRoom('alice', tls);
  const bobRoom = await cluster.startRoom('bob', tls);
  const alice = await cluster.connect('alice');
  const bob = await cluster.connect('bob');
  const path = join(cluster.root.path, 'body.bin');
  const sha256 = await randomFile(path, 3 * 1024 * 1024);
  const fileId = await uploadFile(
    cluster.rooms.get('alice')!.httpPort,
    alice.tokenForHttpServer,
    path,
    'b.bin',
  );
  const offered = bob.waitFor('receivedFileRequest', () => true, 20_000);
  await alice.call('sendFile', { fileId, peerId: 'bob' });
  const { fileRequestId } = (await offered) as { fileRequestId: string };
  const done = bob.waitFor(
    'fileRequestStatusChanged',
    (e) => e.fileRequestId === fileRequestId && e.status === 3,
    30_000,
  );
  await bob.call('acceptIncomingFileRequest', { fileRequestId });
  await done;
  const info = await bob.call('getFileRequestInfo', { fileRequestId });
  assert.equal(await downloadSha256(bobRoom.httpPort, bob.tokenForHttpServer, info.fileId!), sha256);
  // The hub speaks nothing but TLS: a cleartext request to its port gets no HTTP answer.
  await assert.rejects(fetch(`http://127.0.0.1:${cluster.hubPort}/health`));
});

test('room: a hub certificate nobody trusts → error-level log line, login result 7, nothing sent', async () => {
  const certs = makeCertificates(bed.dir('certs-'));
  const hubLog = captureLogger('info');
  const hub = await bed.hub({
    accounts: ['alice'],
    logger: hubLog.logger,
    // Self-signed: not signed by the CA the room is told to trust, nor by any of the system's.
    tls: { cert: readFileSync(certs.strangerCertFile), key: readFileSync(certs.strangerKeyFile) },
  });
  const roomLog = captureLogger('info');
  const { room, waitFor } = await restartRoom(bed, bed.dir('room-'), 'alice', {
    logger: roomLog.logger,
    hubCa: certs.ca,
    server: { host: '127.0.0.1', port: hub.port, tls: true },
    login: { login: `alice@${hub.domain}`, password: 'pw-alice' },
  });
  const refused = await roomLog.waitFor(
    (l) => /certificate of the server is not trusted/.test(l.msg ?? ''),
    'log',
  );
  assert.equal(refused.level, LOG_LEVEL.error);
  assert.match(String(refused.server), /^wss:\/\/127\.0\.0\.1:/);
  assert.equal((await waitFor('login')).result, LoginResult.Unreachable);
  const api = await bed.connect(room);
  assert.ok([0, 1].includes((await api.call('getAppState')).appState), 'never connected nor logged in');
  assert.equal(room.session.identity, null);
  // The hub never saw a link log in: nothing, not even the hello, went over an unverified connection.
  assert.equal(hub.logins.accountsLoggedIn().size, 0);
  assert.equal(hubLog.lines.filter((l) => l.msg === 'logged in').length, 0);
});

test('room: connectToServer("wss://…") with --ca logs in over TLS', async () => {
  const certs = makeCertificates(bed.dir('certs-'));
  const hub = await bed.hub({
    accounts: ['carol'],
    tls: { cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) },
  });
  const room = await bed.room({ hubCa: certs.ca });
  const api = await bed.connect(room);
  const connected = api.waitFor('serverConnected', () => true, 20_000);
  await api.call('connectToServer', { server: `wss://127.0.0.1:${hub.port}` });
  await connected;
  await api.call('login', { login: `carol@${hub.domain}`, password: 'pw-carol' });
  await loggedIn(room, 20_000);
  assert.equal(room.session.server?.tls, true);
});

test('room: wss:// to a cleartext hub fails; the room never falls back to ws://', async () => {
  const hub = await bed.hub({ accounts: ['alice'] });
  const roomLog = captureLogger('debug');
  const room = await bed.room({
    hub,
    as: 'alice',
    logger: roomLog.logger,
    server: { host: '127.0.0.1', port: hub.port, tls: true },
  });
  // Two failed attempts (the first and the first retry), both over TLS.
  await roomLog.waitFor(
    (l) => l.msg === 'hub link error' && roomLog.lines.filter((m) => m.msg === 'hub link error').length >= 2,
    'two link errors',
  );
  assert.equal(room.session.identity, null);
  assert.equal(hub.logins.accountsLoggedIn().size, 0, 'no login reached the cleartext hub');
});

/** A non-loopback IPv4 address of this machine, or null. */
function externalAddress(): string | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const address of list ?? [])
      if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return null;
}

test('room: no password over cleartext to a hub on another address unless --insecure-link', async (t) => {
  const address = externalAddress();
  if (!need(t, address ? null : 'no non-loopback IPv4 address on this machine')) return;
  const hub = await bed.hub({ accounts: ['alice', 'bob'], host: '0.0.0.0' });
  const roomLog = captureLogger('info');
  const refused = await bed.room({
    hub,
    as: 'alice',
    logger: roomLog.logger,
    server: { host: address!, port: hub.port },
  });
  const line = await roomLog.waitFor((l) => /refusing to send the password/.test(l.msg ?? ''), 'refusal');
  assert.equal(line.level, LOG_LEVEL.error);
  assert.equal(refused.session.identity, null);
  assert.equal(hub.logins.accountsLoggedIn().size, 0, 'the password never left');
  const allowed = await bed.room({
    hub,
    as: 'bob',
    insecureLink: true,
    server: { host: address!, port: hub.port },
  });
  await loggedIn(allowed, 20_000);
  assert.deepEqual([...hub.logins.accountsLoggedIn()], ['bob']);
});

test('room: server addresses (wss://, https://, ws://, bare host:port, [v6]:port)', () => {
  assert.deepEqual(parseHubTarget('wss://hub.example.org', 4307), {
    host: 'hub.example.org',
    port: 443,
    tls: true,
  });
  assert.deepEqual(parseHubTarget('https://hub.example.org:8443/', 4307), {
    host: 'hub.example.org',
    port: 8443,
    tls: true,
  });
  assert.deepEqual(parseHubTarget('ws://10.0.0.1:4307', 1), { host: '10.0.0.1', port: 4307, tls: false });
  assert.deepEqual(parseHubTarget('hub:5000', 4307), { host: 'hub', port: 5000 });
  assert.deepEqual(parseHubTarget('[::1]:5000', 4307), { host: '::1', port: 5000 });
  assert.deepEqual(parseHubTarget('wss://[::1]:9', 4307, 10), { host: '::1', port: 10, tls: true });
  assert.throws(() => parseHubTarget('ftp://hub', 4307));
  assert.throws(() => parseHubTarget('wss://hub/path', 4307));
});
