import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificates {
  /** PEM file of the throwaway certificate authority: what a room is told to trust (`--ca`). */
  caFile: string;
  ca: string;
  /** A server certificate for 127.0.0.1, ::1 and localhost, signed by the CA, and its key. */
  certFile: string;
  keyFile: string;
  /** A certificate for the same names signed by nobody a room trusts (self-signed), and its key. */
  strangerCertFile: string;
  strangerKeyFile: string;
}

const NAMES = 'subjectAltName=IP:127.0.0.1,IP:0:0:0:0:0:0:0:1,DNS:localhost';
const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes a certificate authority and server certificates in `dir` with openssl: a test's own, thrown away after. */
export function makeCertificates(dir: string): TestCertificates {
  openssl(
    dir,
    'req',
    '-x509',
    ...KEY,
    '-days',
    '2',
    '-subj',
    '/CN=roomfiles test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  openssl(dir, 'req', ...KEY, '-subj', '/CN=localhost', '-keyout', 'hub.key', '-out', 'hub.csr');
  writeFileSync(join(dir, 'hub.ext'), `${NAMES}\nextendedKeyUsage=serverAuth\n`);
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'hub.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'hub.ext',
    '-out',
    'hub.pem',
  );
  openssl(
    dir,
    'req',
    '-x509',
    ...KEY,
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-addext',
    NAMES,
    '-keyout',
    'stranger.key',
    '-out',
    'stranger.pem',
  );
  return {
    caFile: join(dir, 'ca.pem'),
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    certFile: join(dir, 'hub.pem'),
    keyFile: join(dir, 'hub.key'),
    strangerCertFile: join(dir, 'stranger.pem'),
    strangerKeyFile: join(dir, 'stranger.key'),
  };
}
