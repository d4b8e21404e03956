import { listenForBench } from '../lib/children.js';
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';

/**
 * Baseline of the download rows: `fs.createReadStream` → `node:http` response, serving the one file given as
 * argv[2] at any path, with `Range: bytes=a-` / `bytes=a-b` answered 206.
 */
const path = process.argv[2];
const size = statSync(path).size;

const server = createServer((req, res) => {
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  const start = range ? Number(range[1]) : 0;
  const end = range && range[2] ? Number(range[2]) : size - 1;
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream',
    'content-length': String(end - start + 1),
  };
  if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  res.writeHead(range ? 206 : 200, headers);
  pipeline(createReadStream(path, { start, end }), res).catch(() => res.destroy());
});
listenForBench(server);
