import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { TestBed } from '../helpers/harness.js';
import { need } from '../helpers/system.js';
import { makeCertificates } from '../helpers/tls.js';
import { postgresBinDir, postgresMissing, startPostgres } from '../helpers/postgres.js';
import { nginxMissing, startNginx } from '../helpers/nginx.js';
import { CliProcess, freePort } from '../helpers/child.js';
import { onSmallDisk, seenFromOutside, smallDiskMissing } from '../helpers/small-disk.js';

/**
 * The system parts other tests start (a throwaway CA, a PostgreSQL cluster, nginx): each works here, or the run says
 * what is missing (and fails in CI).
 */

const bed = new TestBed();
after(() => bed.close());

test('a throwaway CA signs a server certificate that verifies for 127.0.0.1; the stranger one does not', async () => {
  const certs = makeCertificates(bed.dir('tls-'));
  const serve = (cert: string, key: string) =>
    new Promise<{ port: number; close: () => void }>((resolve) => {
      const server = createTlsServer({ cert: readFileSync(cert), key: readFileSync(key) }, (socket) =>
        socket.end('hi'),
      );
      server.listen(0, '127.0.0.1', () =>
        resolve({ port: (server.address() as { port: number }).port, close: () => server.close() }),
      );
    });
  const attempt = (port: number) =>
    new Promise<string>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca: certs.ca, servername: undefined }, () => {
        socket.end();
        resolve('verified');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  const good = await serve(certs.certFile, certs.keyFile);
  bed.defer(good.close);
  assert.equal(await attempt(good.port), 'verified');
  const stranger = await serve(certs.strangerCertFile, certs.strangerKeyFile);
  bed.defer(stranger.close);
  assert.equal(await attempt(stranger.port), 'DEPTH_ZERO_SELF_SIGNED_CERT');
});

test('a throwaway PostgreSQL cluster starts, answers, restarts and stops', async (t) => {
  if (!need(t, postgresMissing())) return;
  const pg = await startPostgres(bed.dir('pg-'));
  bed.defer(() => pg.stop());
  pg.createDatabase('hub_a');
  const psql = (sql: string) =>
    execFileSync(`${postgresBinDir()}/psql`, [pg.url('hub_a'), '-Atc', sql])
      .toString()
      .trim();
  assert.equal(psql('select 1 + 1'), '2');
  psql('create table t (v int); insert into t values (7)');
  await pg.restart();
  assert.equal(psql('select v from t'), '7', 'the data survives a restart');
});

test('nginx runs without root from its own prefix and proxies to a local server', async (t) => {
  if (!need(t, nginxMissing())) return;
  const { createServer } = await import('node:http');
  const backend = createServer((_req, res) => res.end('from the backend'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  bed.defer(() => new Promise<void>((resolve) => backend.close(() => resolve())));
  const port = await freePort();
  const backendPort = (backend.address() as { port: number }).port;
  const nginx = await startNginx(
    bed.dir('nginx-'),
    `server { listen 127.0.0.1:${port}; location / { proxy_pass http://127.0.0.1:${backendPort}; } }`,
    port,
  );
  bed.defer(() => nginx.stop());
  assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'from the backend');
});

test('a small filesystem: a hub started on a 4 MiB tmpfs runs, and the disk fills up at 4 MiB', async (t) => {
  if (!need(t, smallDiskMissing())) return;
  const dir = bed.dir('small-disk-');
  const hub = new CliProcess(['hub', '--data', `${dir}/hub`, '--listen', '127.0.0.1:0'], {
    wrap: onSmallDisk(dir, 4 << 20),
  });
  bed.defer(async () => {
    hub.child.kill();
    await hub.exited;
  });
  await hub.waitForLine(/listening on/);
  const inside = seenFromOutside(hub.child.pid!, dir);
  assert.deepEqual(readdirSync(inside), ['hub'], 'the hub writes into the tmpfs');
  assert.deepEqual(
    readdirSync(dir),
    [],
    'the tmpfs is private to the hub: nothing reaches the real directory',
  );
  assert.throws(() => writeFileSync(`${inside}/fill`, Buffer.alloc(5 << 20)), { code: 'ENOSPC' });
});
