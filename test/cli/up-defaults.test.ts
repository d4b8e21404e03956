import { test, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { TestBed, loggedIn } from '../helpers/harness.js';
import { CliProcess, runCli } from '../helpers/child.js';

/**
 * Issue 2: `roomfiles up` and `roomfiles hub` with no port or data flags use the documented default ports and keep
 * their data under ./roomfiles-data of their working directory. These tests bind the fixed default ports, so they
 * live in this one file and run one after the other; where a port is taken they skip (and fail on CI).
 */

const bed = new TestBed();
after(() => bed.close());

const HUB_PORT = 4307;
const ALICE = { web: 8764, api: 8765, http: 8766 };
const BOB = { web: 8774, api: 8775, http: 8776 };

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** True when every port is free; otherwise skips the test (fails it when CI=true) and returns false. */
async function defaultPortsFree(t: TestContext, ports: number[]): Promise<boolean> {
  const taken: number[] = [];
  for (const port of ports) if (!(await portIsFree(port))) taken.push(port);
  if (taken.length === 0) return true;
  const reason = `default port(s) ${taken.join(', ')} in use on 127.0.0.1 here`;
  if (process.env.CI === 'true') assert.fail(`${reason}: CI must run this test`);
  t.skip(reason);
  return false;
}

/** Starts a CLI child that is killed when the test ends, pass or fail, so the next test finds the ports free. */
function start(t: TestContext, args: string[], cwd: string): CliProcess {
  const child = new CliProcess(args, { cwd });
  t.after(() => child.kill());
  return child;
}

/** What `roomfiles up` printed: the hub line and each room's block (the format test/cli/up.test.ts checks). */
function parseUp(stdout: string) {
  const hub = /^roomfiles is up \(hub on 127\.0\.0\.1:(\d+), domain (\S+)\)$/m.exec(stdout);
  assert.ok(hub, `no hub line in:\n${stdout}`);
  const block =
    /^ {2}(\w+)\n {4}web +http:\/\/127\.0\.0\.1:(\d+)\/\n {4}API port +(\d+) +\(ws:\/\/127\.0\.0\.1:(\d+)\/\)\n {4}HTTP port +(\d+)\n {4}TrueConf ID +(\S+)$/gm;
  const rooms = [...stdout.matchAll(block)].map((m) => ({
    name: m[1],
    ports: { web: Number(m[2]), api: Number(m[3]), http: Number(m[5]) },
    wsPort: Number(m[4]),
    peerId: m[6],
  }));
  return { hubPort: Number(hub[1]), domain: hub[2], rooms };
}

async function health(port: number): Promise<{ ok: boolean; hubId: string; domain: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/health`);
  assert.equal(response.status, 200);
  return (await response.json()) as never;
}

test('without --url or ROOMFILES_URL the CLI drives alice of `roomfiles up` (http://127.0.0.1:8764): not running, a clear error', async (t) => {
  if (!(await defaultPortsFree(t, [ALICE.web]))) return;
  const result = await runCli(['status'], { cwd: bed.dir('no-up-') });
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stdout, '');
  assert.match(
    result.stderr.trim(),
    /^roomfiles: cannot reach the room at http:\/\/127\.0\.0\.1:8764: is `roomfiles up` running\?$/,
  );
});

test('roomfiles up with no flags: hub on 4307, alice on 8764-8766, bob on 8774-8776, data in ./roomfiles-data, exit 0 on Ctrl-C', async (t) => {
  if (!(await defaultPortsFree(t, [HUB_PORT, ...Object.values(ALICE), ...Object.values(BOB)]))) return;
  const cwd = bed.dir('up-defaults-');
  const up = start(t, ['up'], cwd);
  const printed = parseUp(await up.ready(/^ready in \d+ ms/, 30_000));

  assert.equal(printed.hubPort, HUB_PORT);
  assert.equal(printed.domain, 'files.local');
  assert.deepEqual(
    printed.rooms.map((room) => [room.name, room.ports, room.wsPort, room.peerId]),
    [
      ['alice', ALICE, ALICE.api, 'alice@files.local'],
      ['bob', BOB, BOB.api, 'bob@files.local'],
    ],
  );

  // The ports are really the ones printed: each web port serves the config naming its API and HTTP ports.
  for (const ports of [ALICE, BOB]) {
    const config = await fetch(`http://127.0.0.1:${ports.web}/public/default/config.json`);
    assert.equal(config.status, 200, `config.json on ${ports.web}`);
    assert.deepEqual(await config.json(), {
      config: {
        websocket: { hostname: null, port: ports.api },
        http: { hostname: null, port: ports.http },
      },
    });
  }
  assert.deepEqual((await health(HUB_PORT)).domain, 'files.local');

  // With no --url the client commands drive alice's room of `up`.
  const status = await runCli(['status', '--json'], { cwd });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /alice@files\.local/);

  // Everything is kept under ./roomfiles-data of the working directory, and nowhere else in it.
  const data = join(cwd, 'roomfiles-data');
  assert.ok(statSync(data).isDirectory(), 'roomfiles-data created in the working directory');
  assert.deepEqual(readdirSync(cwd), ['roomfiles-data']);
  for (const file of ['up-accounts.json', 'hub/hub.db', 'alice/room.db', 'bob/room.db']) {
    assert.ok(existsSync(join(data, file)), `roomfiles-data/${file}`);
  }

  assert.deepEqual(await up.stop('SIGINT'), { code: 0, signal: null });
  assert.doesNotMatch(up.stderr, /error/i, 'a clean stop prints no error');
  for (const port of [HUB_PORT, ...Object.values(ALICE), ...Object.values(BOB)]) {
    assert.ok(await portIsFree(port), `port ${port} released after Ctrl-C`);
  }
});

test('roomfiles hub with no --listen or --data: 127.0.0.1:4307, data in ./roomfiles-data/hub', async (t) => {
  if (!(await defaultPortsFree(t, [HUB_PORT]))) return;
  const cwd = bed.dir('hub-defaults-');
  const hub = start(t, ['hub'], cwd);
  await hub.waitForLine(/^roomfiles hub listening on 127\.0\.0\.1:4307 \(domain files\.local\)$/);
  const alive = await health(HUB_PORT);
  assert.deepEqual([alive.ok, alive.domain], [true, 'files.local']);
  assert.match(alive.hubId, /^[0-9a-f]{12}$/);

  // The hub made its database under the default directory, ./roomfiles-data/hub.
  const hubData = join(cwd, 'roomfiles-data', 'hub');
  assert.deepEqual(readdirSync(cwd), ['roomfiles-data']);
  assert.deepEqual(readdirSync(join(cwd, 'roomfiles-data')), ['hub']);
  assert.ok(existsSync(join(hubData, 'hub.db')), 'roomfiles-data/hub/hub.db');

  // And it is the database the running hub uses: an account added there (by the account command's own default,
  // from the same directory) logs a real room in to it.
  const add = await runCli(['hub', 'user', 'add', 'carol', '--password', 'pw-carol'], { cwd });
  assert.equal(add.code, 0, add.stderr);
  assert.equal(add.stdout.trim(), 'created carol@files.local (Carol)');
  const room = await bed.room({
    name: 'carol',
    server: { host: '127.0.0.1', port: HUB_PORT },
    login: { login: 'carol@files.local', password: 'pw-carol' },
  });
  await loggedIn(room);
  assert.equal(room.session.identity?.peerId, 'carol@files.local');
  await room.stop();

  assert.deepEqual(await hub.stop('SIGINT'), { code: 0, signal: null });
  assert.ok(await portIsFree(HUB_PORT), 'port 4307 released after Ctrl-C');
});
