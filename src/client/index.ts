import WebSocket from 'ws';
import { RoomConnection, type WebSocketLike } from './connection.js';

/** The Node entry point of the SDK (`roomfiles/client`). */
export {
  NodeRoomClient as RoomClient,
  type NodeRoomClientOptions as RoomClientOptions,
  type SendFileOptions,
} from './node.js';
export {
  RoomClient as BaseRoomClient,
  type RoomClientOptions as BaseRoomClientOptions,
  type CallOptions,
  type ConnectionState,
  type Reply,
  type ReplyEnvelope,
  type RoomApiMethods,
} from './client.js';
export {
  RoomConnection,
  type EventMessage,
  type RoomConnectionOptions,
  type RoomEvents,
  type WebSocketLike,
  type WebSocketFactory,
} from './connection.js';
export { RoomApiError, RoomConnectionError } from './errors.js';
export { TransferFailedError, untilDelivered, type TransferWatchOptions } from './transfer-helpers.js';
export {
  appStateText,
  asLabel,
  availabilityText,
  formatFullTime,
  formatSize,
  formatSpeed,
  formatTime,
  loginResultText,
  type FormatStyle,
} from './format.js';
export type { TransferProgress } from './node-files.js';
export type { MethodName, MethodParams, MethodReply } from '../protocol/methods.js';
export type { EventName, EventFields } from '../protocol/events.js';

/** A bare Room API connection (no auth, no reconnect): for tests and for speaking raw JSON. */
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
