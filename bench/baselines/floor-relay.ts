import { listenForBench } from '../lib/children.js';
import { createServer, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { floorFile } from '../lib/floor-file.js';

/**
 * The least a relay of a delivery must do, with nothing else: the "floor" reference of rows 3 and 4a. It receives
 * one body (`PUT /body`, header `x-sha256`), writes it to a file in the directory given as argv[2] while hashing
 * it, hands every chunk at once to each recipient already waiting on `GET /body?size=<bytes>`, flushes the file to
 * disk as it grows (as roomfiles does), syncs it and checks the sha256 at the end. No database, no resume, no
 * accounts, no offers: what is left is the work that any hub keeping the bodies it relays (for a resume, for the
 * other recipients of a conference) cannot skip.
 */
const dir = process.argv[2];
const waiting = new Set<ServerResponse>();
let count = 0;

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    const size = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('size'));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
    res.flushHeaders();
    waiting.add(res);
    res.on('close', () => waiting.delete(res));
    return;
  }
  const recipients = [...waiting];
  waiting.clear();
  const expected = String(req.headers['x-sha256'] ?? '');
  const hash = createHash('sha256');
  void (async () => {
    const file = await floorFile(join(dir, `relayed-${(count += 1)}.bin`));
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        hash.update(chunk);
        // Each chunk goes to the disk and to every recipient; the next waits for the slowest of them.
        const slow = [file.stream, ...recipients].filter((w) => !w.write(chunk));
        file.counted(chunk.length);
        await Promise.all(slow.map((w) => new Promise<void>((resolve) => w.once('drain', resolve))));
      }
      // The recipients check the sha256 themselves: they need not wait for the relay's own sync.
      for (const r of recipients) r.end();
      await new Promise<void>((resolve, reject) =>
        file.stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
    } finally {
      await file.close();
    }
    const ok = hash.digest('hex') === expected;
    res.writeHead(ok ? 204 : 422);
    res.end();
  })().catch((error: Error) => {
    for (const r of recipients) r.destroy(error);
    res.writeHead(500);
    res.end(error.message);
  });
});
listenForBench(server);
