import WebSocket from 'ws';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { childSide } from '../lib/children.js';

/**
 * The clients of the API latency row, in their own process: `clients` authorized connections to one room (they
 * receive every event the room broadcasts), of which `samplers` measure `getAppState` round trips, each sending
 * one request, waiting for its reply, pausing `intervalMs`, and again, between `sample` and `stop`.
 */
type Command =
  | { type: 'connect'; url: string; clients: number }
  | { type: 'sample'; samplers: number; intervalMs: number }
  | { type: 'stop' }
  | { type: 'close' };

const parent = childSide();
const sockets: WebSocket[] = [];
let dropped = 0;
let sampling: { stop: () => Promise<{ rtts: number[]; errors: number }> } | null = null;

function openAuthorized(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('open', () => {
      const onMessage = (data: WebSocket.RawData) => {
        const reply = JSON.parse(String(data)) as { requestId?: string; result?: boolean };
        if (reply.requestId !== 'auth') return;
        ws.off('message', onMessage);
        if (reply.result === true) resolve(ws);
        else reject(new Error(`auth refused: ${String(data)}`));
      };
      ws.on('message', onMessage);
      // Version 2, as roomfiles' own clients select: the current events only, no legacy ones (room-api.md §10).
      ws.send(JSON.stringify({ method: 'setUsedApiVersion', version: '2', requestId: 'version' }));
      ws.send(JSON.stringify({ method: 'auth', type: 'unsecured', requestId: 'auth' }));
    });
    ws.on('close', () => (dropped += 1));
  });
}

async function connect(url: string, clients: number): Promise<void> {
  // In batches, as a crowd of clients arriving over a moment would.
  for (let i = 0; i < clients; i += 50) {
    const batch = Math.min(50, clients - i);
    sockets.push(...(await Promise.all(Array.from({ length: batch }, () => openAuthorized(url)))));
  }
}

function sample(samplers: number, intervalMs: number) {
  const rtts: number[] = [];
  let errors = 0;
  let stopping = false;
  const loops = sockets.slice(0, samplers).map(async (ws, k) => {
    // Spread the samplers over the interval.
    await sleep((intervalMs * k) / samplers);
    let n = 0;
    while (!stopping) {
      n += 1;
      const requestId = `lat.${k}.${n}`;
      const start = performance.now();
      const ok = await new Promise<boolean>((resolve) => {
        const onMessage = (data: WebSocket.RawData) => {
          const message = JSON.parse(String(data)) as { requestId?: string; result?: boolean };
          if (message.requestId !== requestId) return;
          ws.off('message', onMessage);
          resolve(message.result === true);
        };
        ws.on('message', onMessage);
        ws.send(JSON.stringify({ method: 'getAppState', requestId }));
      });
      if (ok) rtts.push(performance.now() - start);
      else errors += 1;
      await sleep(intervalMs);
    }
  });
  return {
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return { rtts, errors };
    },
  };
}

process.on('message', (command: Command) => {
  const handle = async () => {
    switch (command.type) {
      case 'connect':
        await connect(command.url, command.clients);
        return { type: 'connected', count: sockets.length };
      case 'sample':
        sampling = sample(command.samplers, command.intervalMs);
        return { type: 'sampling' };
      case 'stop': {
        const result = await sampling!.stop();
        sampling = null;
        return {
          type: 'samples',
          ...result,
          dropped,
          open: sockets.filter((ws) => ws.readyState === 1).length,
        };
      }
      case 'close':
        for (const ws of sockets) ws.terminate();
        return { type: 'closed' };
    }
  };
  handle().then(
    (reply) => parent.send(reply),
    (error: Error) => parent.send({ type: 'error', message: error.message }),
  );
});
parent.send({ type: 'ready' });
