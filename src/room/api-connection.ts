import type { WebSocket } from 'ws';
import type { Role } from './auth.js';

let nextConnectionId = 1;

/** One WebSocket client of the Room API and what it is allowed to do. */
export class ApiConnection {
  readonly id = nextConnectionId++;
  authorized = false;
  role: Role | null = null;
  /** When the token this connection authorized with runs out (authorizationNeeded cause 8). */
  tokenExpiresAt = 0;
  /** As set by setUsedApiVersion; "1" until the client selects one. */
  apiVersion = '1';
  /** The socket has closed: requests still queued run, but nothing authorizes this connection any more. */
  closed = false;

  constructor(
    readonly socket: WebSocket,
    readonly address: string,
  ) {}

  /**
   * Legacy mode (room-api.md §10): a connection that did not select API version 2 also gets the legacy events
   * and the legacy keys, as TrueConf's older clients expect.
   */
  get legacyMode(): boolean {
    return this.apiVersion !== '2';
  }

  send(message: object): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  deauthorize(): void {
    this.authorized = false;
    this.role = null;
    this.tokenExpiresAt = 0;
  }
}
