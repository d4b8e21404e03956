import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { TestBed } from '../helpers/harness.js';

const bed = new TestBed();
after(() => bed.close());

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer();
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return server;
    }),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

test('config.json names the actual API and HTTP ports as numbers, under any name', async () => {
  const room = await bed.room();
  assert.ok(room.apiPort > 0 && room.httpPort > 0 && room.webPort > 0);
  const expected = JSON.stringify({
    config: {
      websocket: { hostname: null, port: room.apiPort },
      http: { hostname: null, port: room.httpPort },
    },
  });
  for (const name of ['default', 'anyName', 'x-y_z', encodeURIComponent('имя')]) {
    const response = await fetch(`http://127.0.0.1:${room.webPort}/public/${name}/config.json`);
    assert.equal(response.status, 200, name);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(await response.text(), expected, name);
  }
});

test('config.json follows explicitly chosen ports', async () => {
  const [apiPort, httpPort] = await freePorts(2);
  const room = await bed.room({ apiPort, httpPort });
  const response = await fetch(`http://127.0.0.1:${room.webPort}/public/default/config.json`);
  const config = (await response.json()) as {
    config: { websocket: { hostname: null; port: number }; http: { hostname: null; port: number } };
  };
  assert.deepEqual(config, {
    config: { websocket: { hostname: null, port: apiPort }, http: { hostname: null, port: httpPort } },
  });
  assert.equal(typeof config.config.websocket.port, 'number');
  assert.equal(typeof config.config.http.port, 'number');
});

test('an unknown page on the web port is a JSON 404', async () => {
  const room = await bed.room();
  const response = await fetch(`http://127.0.0.1:${room.webPort}/public/default/nothing.json`);
  assert.equal(response.status, 404);
  const body = (await response.json()) as { error: string; errorCode: number };
  assert.equal(body.errorCode, 404);
  assert.equal(typeof body.error, 'string');
});
