import WebSocket from 'ws';
import { RoomConnection, type WebSocketLike } from './room-client.js';

export * from './room-client.js';
export * from './errors.js';

/** Opens a Room API connection from Node (the `ws` package provides the socket). */
export async function openRoomConnection(url: string, options: { origin?: string; timeoutMs?: number } = {}) {
  const connection = new RoomConnection({
    url,
    timeoutMs: options.timeoutMs,
    createSocket: (target) =>
      new WebSocket(target, {
        perMessageDeflate: false,
        ...(options.origin ? { origin: options.origin } : {}),
      }) as unknown as WebSocketLike,
  });
  await connection.open();
  return connection;
}
