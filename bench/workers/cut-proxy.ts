import { connect, createServer, type Socket } from 'node:net';
import { reportListening } from '../lib/children.js';

/**
 * A TCP relay in front of the server listening on the port given as argv[2], for the resume row: it counts the
 * bytes clients send through it and can destroy a connection mid-body, the same way for roomfiles and for the
 * peer. After `arm` (`cutAt`: a byte count, or null for none) it counts from zero; the first connection whose
 * client has sent `cutAt` bytes since then is destroyed on both sides, once, before that chunk is passed on.
 * `report` answers with the bytes clients sent since `arm` (every connection: the body and the protocol around
 * it) and whether the cut happened.
 */
interface Link {
  client: Socket;
  upstream: Socket;
  sent: number;
}

const target = Number(process.argv[2]);
const links = new Set<Link>();
let cutAt = Infinity;
let sent = 0;
let cut = false;

const server = createServer((client) => {
  const upstream = connect(target, '127.0.0.1');
  const link: Link = { client, upstream, sent: 0 };
  links.add(link);
  const close = () => {
    links.delete(link);
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
  client.on('data', (chunk: Buffer) => {
    link.sent += chunk.length;
    sent += chunk.length;
    if (!cut && link.sent >= cutAt) {
      cut = true;
      close();
      return;
    }
    if (!upstream.write(chunk)) {
      client.pause();
      upstream.once('drain', () => client.resume());
    }
  });
  upstream.pipe(client);
});

process.on('message', (message: { type: string; cutAt?: number | null }) => {
  if (message.type === 'arm') {
    cutAt = message.cutAt ?? Infinity;
    cut = false;
    sent = 0;
    for (const link of links) link.sent = 0;
    process.send?.({ type: 'armed' });
  } else if (message.type === 'report') {
    process.send?.({ type: 'report', sent, cut });
  }
});
server.listen(0, '127.0.0.1', () => reportListening(server.address()));
