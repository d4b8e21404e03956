import { request } from 'node:http';
import { createReadStream } from 'node:fs';
import { Upload } from 'tus-js-client';
import { childSide } from '../lib/children.js';
import { receiveVerified } from '../lib/floor-file.js';

/**
 * A client of the tus peer (`baselines/tus-server.ts`), in its own process as a room would be. `upload` sends a
 * file with `tus-js-client` as its README shows for Node.js (an `fs.ReadStream`, the endpoint, a file name in the
 * metadata; every other option at its default, among them the retries that resume an upload whose connection
 * broke) and answers with the upload's URL. `receive` is the second client: a plain GET of that URL, the body
 * written to `dest` while hashed and synced, as a room does before it reports a file done (`receiveVerified`).
 */
type Command =
  | { type: 'upload'; endpoint: string; file: string; name: string }
  | { type: 'receive'; url: string; dest: string };

const parent = childSide();

function upload(endpoint: string, file: string, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const tus = new Upload(createReadStream(file), {
      endpoint,
      metadata: { filename: name },
      onSuccess: () => {
        parent.send({ type: 'uploaded', url: tus.url });
        resolve();
      },
      onError: reject,
    });
    tus.start();
  });
}

function receive(url: string, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET ${url} answered ${res.statusCode}`));
        return;
      }
      receiveVerified(res, dest)
        .then((received) => parent.send({ type: 'received', ...received }))
        .then(resolve, reject);
    });
    req.on('error', reject);
    req.end();
  });
}

process.on('message', (command: Command) => {
  const done =
    command.type === 'upload'
      ? upload(command.endpoint, command.file, command.name)
      : receive(command.url, command.dest);
  done.catch((error: Error) => parent.send({ type: 'error', message: error.message }));
});
parent.send({ type: 'ready' });
