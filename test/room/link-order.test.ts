import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { TestBed } from '../helpers/harness.js';
import { untilLoggedIn } from '../helpers/wait.js';
import { LINK_PATH, LINK_SUBPROTOCOL } from '../../src/protocol/hub-link.js';

const bed = new TestBed();
after(() => bed.close());

/**
 * A stand-in hub that answers offer.create and pushes the acceptance in the same TCP write, as a real hub does
 * when the recipient accepts at once and the sender's room is slow to read its socket.
 */
async function eagerHub() {
  const http = createServer((_req, res) => res.writeHead(503).end());
  const wss = new WebSocketServer({ noServer: true, handleProtocols: () => LINK_SUBPROTOCOL });
  http.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').startsWith(LINK_PATH)) wss.handleUpgrade(req, socket, head, (ws) => serve(ws));
    else socket.destroy();
  });
  const serve = (ws: WebSocket) => {
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { id: number; op: string; sendId?: string };
      const reply = (result: object) => ws.send(JSON.stringify({ re: message.id, ok: true, ...result }));
      switch (message.op) {
        case 'hello':
          return reply({ domain: 'files.local', hubId: 'eager' });
        case 'login':
          return reply({
            peerId: 'alice@files.local',
            peerDn: 'Alice',
            instanceId: 'alice@files.local/00000000',
            fileTransfer: true,
            session: 'x',
          });
        case 'sync':
          return reply({ incoming: [], sends: [] });
        case 'offer.create': {
          const socket = (ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
          socket.cork();
          reply({
            sendId: message.sendId,
            createdAt: Date.now(),
            offers: [
              { offerId: '00000000-0000-4000-8000-000000000001', peerId: 'bob@files.local', peerDn: 'Bob' },
            ],
          });
          ws.send(JSON.stringify({ push: 'send.state', sendId: message.sendId, status: 2, held: 0 }));
          process.nextTick(() => socket.uncork());
          return;
        }
        default:
          return reply({});
      }
    });
  };
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

test('a push that arrives in the same read as the reply it follows is applied to what the reply created', async () => {
  const port = await eagerHub();
  const room = await bed.room({
    server: { host: '127.0.0.1', port },
    login: { login: 'alice@files.local', password: 'x' },
  });
  const api = await bed.connect(room);
  await untilLoggedIn(api, 5000);
  const form = new FormData();
  form.append('file', new Blob(['body']), 'a.txt');
  const uploaded = await fetch(`http://127.0.0.1:${room.httpPort}/files/?token=${api.tokenForHttpServer}`, {
    method: 'POST',
    body: form,
  });
  const { fileId } = (await uploaded.json()) as { fileId: number };
  const transferring = api.waitFor('fileRequestStatusChanged', (e) => e.status === 2, 5000);
  const sent = await api.call('sendFile', { fileId, peerId: 'bob@files.local' });
  assert.equal((await transferring).fileRequestId, sent.sentFileRequestId);
  assert.equal((await api.call('getFileRequestInfo', { fileRequestId: sent.sentFileRequestId })).status, 2);
});
