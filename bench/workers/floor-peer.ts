import { request } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { childSide } from '../lib/children.js';
import { receiveVerified } from '../lib/floor-file.js';

/**
 * A sender or a recipient of the floor chain (`baselines/floor-relay.ts`), in its own process as a room would be.
 * `receive` waits on the relay, then writes the body to `dest` while hashing it and syncs it: what a recipient
 * must do before it may report the file done. `send` streams a file to the relay.
 */
type Command =
  | { type: 'receive'; port: number; size: number; dest: string }
  | { type: 'send'; port: number; file: string; sha256: string };

const parent = childSide();

function receive(port: number, size: number, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `/body?size=${size}`, agent: false }, (res) => {
      parent.send({ type: 'waiting' });
      receiveVerified(res, dest)
        .then((received) => parent.send({ type: 'received', ...received }))
        .then(resolve, reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function send(port: number, file: string, sha256: string): Promise<void> {
  return stat(file).then(
    ({ size }) =>
      new Promise<void>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/body',
            method: 'PUT',
            agent: false,
            headers: { 'content-length': size, 'x-sha256': sha256 },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              parent.send({ type: 'sent', status: res.statusCode });
              resolve();
            });
          },
        );
        req.on('error', reject);
        pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), req).catch(reject);
      }),
  );
}

process.on('message', (command: Command) => {
  const done =
    command.type === 'receive'
      ? receive(command.port, command.size, command.dest)
      : send(command.port, command.file, command.sha256);
  done.catch((error: Error) => parent.send({ type: 'error', message: error.message }));
});
parent.send({ type: 'ready' });
