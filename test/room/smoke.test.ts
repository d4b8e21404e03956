import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestBed, loggedIn } from '../helpers/harness.js';

const bed = new TestBed();
after(() => bed.close());

test('a room logs in to a hub and serves a file round trip', async () => {
  const hub = await bed.hub({ accounts: ['alice'] });
  const room = await bed.room({ hub, as: 'alice' });
  await loggedIn(room);
  const api = await bed.connect(room);
  const state = await api.call('getAppState');
  assert.equal(state.appState, 3);
  assert.equal(state.embeddedHttpPort, room.httpPort);
  const login = await api.call('getLogin');
  assert.deepEqual([login.isLoggedIn, login.peerId, login.peerDn], [true, 'alice@files.local', 'Alice']);

  const form = new FormData();
  form.append('file', new Blob(['hello world']), 'hello.txt');
  const upload = await fetch(`http://127.0.0.1:${room.httpPort}/files/?token=${api.tokenForHttpServer}`, {
    method: 'POST',
    body: form,
  });
  assert.equal(upload.status, 200);
  const body = (await upload.json()) as { fileId: number; fileName: string; fileSize: number };
  assert.equal(upload.headers.get('fileid'), String(body.fileId));
  assert.deepEqual([body.fileName, body.fileSize], ['hello.txt', 11]);
  const download = await fetch(
    `http://127.0.0.1:${room.httpPort}/files/${body.fileId}?token=${api.tokenForHttpServer}`,
  );
  assert.equal(download.status, 200);
  assert.equal(await download.text(), 'hello world');
  const list = await api.call('getFileList');
  assert.equal(list.fileList[0].fileId, body.fileId);
});

test('progress events are spaced by the number of clients: 100 ms up to 100 clients, up to 1 s at 1000', async () => {
  const room = await bed.room();
  assert.equal(room.progressIntervalMs(), 100);
  await Promise.all(Array.from({ length: 150 }, () => bed.open(room)));
  assert.equal(room.progressIntervalMs(), 150);
});
