import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { TestBed } from '../helpers/harness.js';
import { untilLoggedIn } from '../helpers/wait.js';
import { uploadOk } from '../helpers/http.js';
import { LINK_PATH, LINK_SUBPROTOCOL } from '../../src/protocol/hub-link.js';
import type { RoomApiError } from '../../src/client/errors.js';

const bed = new TestBed();
after(() => bed.close());

/** A stand-in hub that logs the room in, then answers offer.create as a hub whose login ended meanwhile. */
async function forgetfulHub(): Promise<number> {
  const http = createServer((_req, res) => res.writeHead(503).end());
  const wss = new WebSocketServer({ noServer: true, handleProtocols: () => LINK_SUBPROTOCOL });
  http.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').startsWith(LINK_PATH)) wss.handleUpgrade(req, socket, head, (ws) => serve(ws));
    else socket.destroy();
  });
  const serve = (ws: WebSocket) =>
    ws.on('message', (data) => {
      const { id, op } = JSON.parse(data.toString()) as { id: number; op: string };
      const reply = (result: object) => ws.send(JSON.stringify({ re: id, ok: true, ...result }));
      if (op === 'hello') return reply({ domain: 'files.local', hubId: 'forgetful' });
      if (op === 'login')
        return reply({
          peerId: 'alice@files.local',
          peerDn: 'Alice',
          instanceId: 'alice@files.local/00000000',
          fileTransfer: true,
          session: 'x',
        });
      if (op === 'sync') return reply({ incoming: [], sends: [] });
      if (op === 'offer.create')
        return ws.send(
          JSON.stringify({
            re: id,
            ok: false,
            code: 'unauthorized',
            message: '"offer.create" needs a login',
          }),
        );
      return reply({});
    });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  bed.defer(
    () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  );
  return (http.address() as { port: number }).port;
}

test('a send the hub refuses for want of a login is a 403 (file transfer not available), not a 500', async () => {
  const port = await forgetfulHub();
  const room = await bed.room({
    server: { host: '127.0.0.1', port },
    login: { login: 'alice@files.local', password: 'x' },
  });
  const api = await bed.connect(room);
  await untilLoggedIn(api, 5000);
  const {
    reply: { fileId },
  } = await uploadOk(room, api.tokenForHttpServer, 'a.txt', 'body');
  await assert.rejects(api.call('sendFile', { fileId, peerId: 'bob@files.local' }), (error: RoomApiError) => {
    assert.equal(error.errorCode, 403);
    assert.match(error.error, /not logged in/);
    return true;
  });
  assert.deepEqual(
    (await api.call('getOutgoingFilesRequests')).outgoingFilesRequests,
    [],
    'nothing recorded',
  );
});
