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
  apiVersion = '1';
  /** The socket has closed: requests still queued run, but nothing authorizes this connection any more. */
  closed = false;

  constructor(
    readonly socket: WebSocket,
    readonly address: string,
  ) {}

  send(message: object): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  deauthorize(): void {
    this.authorized = false;
    this.role = null;
    this.tokenExpiresAt = 0;
  }
}
