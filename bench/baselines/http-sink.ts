import { listenForBench } from '../lib/children.js';
import { createServer } from 'node:http';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * Baseline of the upload row: a bare `node:http` server that pipes each request body, as it comes, to a file
 * under the directory given as argv[2]. No parsing, no hashing, no database.
 */
const dir = process.argv[2];
let count = 0;

const server = createServer((req, res) => {
  const path = join(dir, `upload-${(count += 1)}.bin`);
  pipeline(req, createWriteStream(path)).then(
    () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path }));
    },
    (error: Error) => {
      res.writeHead(500);
      res.end(error.message);
    },
  );
});
listenForBench(server);
