import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Reply, RoomClient } from '../../src/client/index.js';
import { TestBed } from '../helpers/harness.js';
import { clientOf } from './support.js';

/**
 * Type-level checks of the typed methods and events: this file does not compile (and `npm test` fails at its
 * build step) if the SDK's methods or events lose their types. Every `@ts-expect-error` below must stay an error:
 * were a method typed `any`, the directive would be unused, which is itself a compile error.
 */

async function typed(client: RoomClient, path: string): Promise<void> {
  const appState: number = (await client.getAppState()).appState;
  const port: number = (await client.getAppState()).embeddedHttpPort;
  // @ts-expect-error appState is a number, not a string
  const wrongState: string = (await client.getAppState()).appState;
  const sent: string = (await client.sendFile({ fileId: 1, peerId: 'bob@files.local' })).sentFileRequestId;
  // @ts-expect-error sendFile needs a fileId
  await client.sendFile({ peerId: 'bob@files.local' });
  // @ts-expect-error getFileRequestInfo needs its parameters
  await client.getFileRequestInfo();
  // @ts-expect-error no such method in the contract
  await client.getEverything();
  const files: Reply<'getFileList'> = await client.getFileList();
  const firstId: number | undefined = files.fileList[0]?.fileId;
  // @ts-expect-error fileList items have no peerId
  void files.fileList[0]?.peerId;
  const history = await client.request('getFileTransferHistory');
  const direction: number | undefined = history.filesRequests[0]?.directionType;
  // @ts-expect-error requestId is a string
  const requestNumber: number = history.requestId;
  const privileges: number = (await client.auth({ type: 'unsecured' })).previleges;
  // @ts-expect-error auth's type is one of two words
  await client.auth({ type: 'anything' });

  client.on('fileRequestStatusChanged', (event) => {
    const status: number = event.status;
    const name: string = event.fileName;
    // @ts-expect-error a status event has no processedPercents
    void event.processedPercents;
    void [status, name];
  });
  // @ts-expect-error no such event
  client.on('fileArrived', () => undefined);
  const progress = await client.waitFor(
    'incomingFileRequestDownloadingProgress',
    (e) => e.processedPercents > 50,
  );
  const percent: number = progress.processedPercents;
  client.once('inviteReceived', (e) => void (e.confId satisfies string));
  client.onAny((e) => void (e.event satisfies string));

  // The Node client: bodies and helpers.
  const fileId: number = await client.upload(path, {
    name: 'x',
    onProgress: (p) => void (p.bytes satisfies number),
  });
  const saved: { path: string; size: number; sha256: string } = await client.download(fileId, { to: path });
  const delivered: { fileRequestId: string; fileId: number } = await client.sendFileTo('bob', path);
  const conference: { fileRequestId: string; fileId: number } = await client.sendFileToConference(path);
  const plain: Reply<'sendFileToConference'> = await client.sendFileToConference({ fileId });
  // @ts-expect-error the API method's reply has no fileId
  void (await client.sendFileToConference({ fileId })).fileId;
  void [appState, port, wrongState, sent, firstId, direction, requestNumber, privileges, percent];
  void [saved, delivered, conference, plain];
}

const bed = new TestBed();
after(() => bed.close());

test('the typed methods return the values their types promise', async () => {
  const room = await bed.room();
  const client = await clientOf(bed, room);
  assert.equal(typeof typed, 'function');
  const state = await client.getAppState();
  const appState: number = state.appState;
  assert.equal(typeof appState, 'number');
  const list = await client.getHttpServerSettings();
  const value: number = list.settings[0].value;
  assert.equal(value, room.httpPort);
  const reply = await client.request('getHttpServerState');
  const running: 'running' | 'stopped' = reply.state;
  assert.equal(running, 'running');
});
