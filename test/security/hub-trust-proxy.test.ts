import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { defaultLoginLimits } from '../../src/hub/login-limits.js';
import type { Hub } from '../../src/hub/hub.js';
import { TestBed } from '../helpers/harness.js';
import { documentedRecipe, nginxMissing, startNginx } from '../helpers/nginx.js';
import { makeCertificates } from '../helpers/tls.js';
import { freePort, runCli } from '../helpers/child.js';
import { need } from '../helpers/system.js';
import { RawLink } from './hub-support.js';

/**
 * Issue 12, point 5, behind a reverse proxy: every link came from the proxy's address, one source group for the
 * hub's login limits. Now `roomfiles hub --trust-proxy <addresses>` believes `X-Forwarded-For` from those peers
 * only (hop by hop from the right), and by default from nobody. Run through Debian's nginx with the recipe of
 * docs/operations.md, verbatim but for its ports and files.
 */
const bed = new TestBed();
after(() => bed.close());

const DOC = join(process.cwd(), 'docs', 'operations.md');
/** Three failures and a source group is refused: small, so that the test runs few scrypt checks. */
const LIMITS = { ...defaultLoginLimits(60_000), perGroup: 3 };

let linkNumber = 0;

/** A link logged in (or refused) as `name`; resolves with the reply's code (undefined when it succeeded) and the
 * address the hub recorded for it. */
async function tryLogin(
  hub: Hub,
  link: RawLink,
  name: string,
  password: string,
): Promise<{ code: string | undefined; address: string | undefined }> {
  bed.defer(() => link.close());
  const room = `probe-${++linkNumber}`;
  await link.hello(room);
  const address = [...hub.links.sessions].find((session) => session.room === room)?.address;
  const reply = await link.call('login', { login: name, password });
  return { code: reply.ok ? undefined : reply.code, address };
}

/** Three wrong passwords for three different (unknown) names: the group's count, not a name's. */
async function failThrice(hub: Hub, open: (i: number) => RawLink): Promise<string[]> {
  const addresses: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    const { code, address } = await tryLogin(hub, open(i), `nobody-${linkNumber}`, 'guess');
    assert.equal(code, 'not_found');
    addresses.push(address!);
  }
  return addresses;
}

test('without --trust-proxy a forged X-Forwarded-For is ignored: the peer address counts', async () => {
  const hub = await bed.hub({ accounts: ['alice'], loginLimits: LIMITS });
  const forged = (i: number) =>
    new RawLink(hub.port, {
      localAddress: '127.0.0.9',
      headers: { 'x-forwarded-for': `203.0.${113 + i}.7` },
    });
  assert.deepEqual(await failThrice(hub, forged), ['127.0.0.9', '127.0.0.9', '127.0.0.9']);
  // A fresh forged address gains nothing: the loopback group is refused, even with the right password.
  assert.equal((await tryLogin(hub, forged(9), 'alice', 'pw-alice')).code, 'locked');
});

test('behind the documented nginx with --trust-proxy: clients are limited apart, forged headers are ignored', async (t) => {
  if (!need(t, nginxMissing())) return;
  const certs = makeCertificates(bed.dir('certs-'));
  // nginx connects to the hub from 127.0.0.1. In front of it stands an edge proxy (a load balancer) at 127.0.0.2
  // that passes on its clients' addresses: both are trusted, as docs/operations.md says to list every hop. Other
  // loopback addresses are clients that reach nginx, or the hub, themselves.
  const hub = await bed.hub({
    accounts: ['alice'],
    loginLimits: LIMITS,
    trustProxy: ['127.0.0.1', '127.0.0.2'],
  });
  const port = await freePort();
  const config = documentedRecipe(DOC, {
    port,
    hubPort: hub.port,
    certFile: certs.certFile,
    keyFile: certs.keyFile,
  });
  const nginx = await startNginx(bed.dir('nginx-'), config, port);
  bed.defer(() => nginx.stop());
  const viaNginx = (localAddress: string, forwardedFor?: string) =>
    new RawLink(port, {
      localAddress,
      tls: { ca: certs.ca },
      ...(forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {}),
    });

  // A client straight at nginx: the hub sees the client, not nginx.
  assert.equal((await tryLogin(hub, viaNginx('127.0.0.5'), 'alice', 'pw-alice')).address, '127.0.0.5');

  // Two clients behind the edge proxy, on different networks: one fails three times and is refused; the other
  // is not, its network has a clean record.
  const first = (i: number) => viaNginx('127.0.0.2', `203.0.113.${10 + i}`);
  assert.deepEqual(await failThrice(hub, first), ['203.0.113.10', '203.0.113.11', '203.0.113.12']);
  assert.equal((await tryLogin(hub, first(5), 'alice', 'pw-alice')).code, 'locked');
  const second = await tryLogin(hub, viaNginx('127.0.0.2', '198.51.100.20'), 'alice', 'pw-alice');
  assert.deepEqual(second, { code: undefined, address: '198.51.100.20' });

  // A client that is no proxy forges the header, through nginx and straight at the hub: what it wrote is ignored
  // (nginx appends the client's own address, which the hub does not trust past), so its failures count against
  // its own address, whatever it claims next.
  const forgedViaNginx = (i: number) => viaNginx('127.0.0.7', `192.0.2.${i + 1}, 127.0.0.2`);
  assert.deepEqual(await failThrice(hub, forgedViaNginx), ['127.0.0.7', '127.0.0.7', '127.0.0.7']);
  const direct = new RawLink(hub.port, {
    localAddress: '127.0.0.8',
    headers: { 'x-forwarded-for': '198.51.100.99' },
  });
  assert.deepEqual(await tryLogin(hub, direct, 'alice', 'pw-alice'), {
    code: 'locked',
    address: '127.0.0.8',
  });
  assert.doesNotMatch(nginx.errorLog(), /\[(error|crit|alert|emerg)\]/, nginx.errorLog());
});

test('roomfiles hub --trust-proxy refuses what is not an address or range', async () => {
  const run = await runCli(['hub', '--trust-proxy', '127.0.0.1,not-an-address', '--data', bed.dir('hub-')]);
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /--trust-proxy: .*not-an-address/);
});
