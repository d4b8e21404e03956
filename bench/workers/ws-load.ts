import WebSocket from 'ws';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { childSide } from '../lib/children.js';

/**
 * The load generator of the API request-rate row, in its own process so it never shares the server's event
 * loop. `clients` WebSocket connections each send one request, wait for its reply and send the next, for
 * `durationMs` after a warm-up. The same code drives the room and the bare echo server: only `auth` (the room
 * wants one before anything else) differs.
 */
interface RunRequest {
  type: 'run';
  url: string;
  clients: number;
  warmupMs: number;
  durationMs: number;
  auth: boolean;
  request: Record<string, unknown>;
}

const parent = childSide();

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function authorize(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => {
      const reply = JSON.parse(String(data)) as { result?: boolean };
      if (reply.result === true) resolve();
      else reject(new Error(`auth refused: ${String(data)}`));
    });
    ws.send(JSON.stringify({ method: 'auth', type: 'unsecured', requestId: 'auth' }));
  });
}

async function run(spec: RunRequest) {
  const sockets = await Promise.all(Array.from({ length: spec.clients }, () => open(spec.url)));
  if (spec.auth) await Promise.all(sockets.map(authorize));
  let counting = false;
  let stopping = false;
  let messages = 0;
  let errors = 0;
  const loops = sockets.map(
    (ws, k) =>
      new Promise<void>((resolve) => {
        let n = 0;
        let expected = '';
        const next = () => {
          if (stopping) return resolve();
          n += 1;
          expected = `${k}.${n}`;
          ws.send(JSON.stringify({ ...spec.request, requestId: expected }));
        };
        ws.on('message', (data) => {
          const message = JSON.parse(String(data)) as {
            method?: string;
            requestId?: string;
            result?: boolean;
          };
          if (message.method === 'event') return;
          if (message.requestId !== expected || (spec.auth && message.result !== true)) errors += 1;
          if (counting) messages += 1;
          next();
        });
        ws.on('close', () => resolve());
        next();
      }),
  );
  await sleep(spec.warmupMs);
  counting = true;
  const start = performance.now();
  await sleep(spec.durationMs);
  counting = false;
  const seconds = (performance.now() - start) / 1000;
  stopping = true;
  await Promise.all(loops);
  for (const ws of sockets) ws.close();
  return { messages, seconds, rate: messages / seconds, errors };
}

process.on('message', (message: RunRequest) => {
  if (message.type !== 'run') return;
  run(message).then(
    (result) => parent.send({ type: 'result', ...result }),
    (error: Error) => parent.send({ type: 'error', message: error.message }),
  );
});
parent.send({ type: 'ready' });
