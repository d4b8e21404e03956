import type { WebSocket } from 'ws';
import type { AccountRow } from './repository.js';

let nextSessionId = 1;

/** One room's link to the hub: who it is (after hello) and who it is logged in as (after login). */
export class LinkSession {
  readonly id = nextSessionId++;
  room: string | null = null;
  /** The room's own 8-hex instance id, stable across its restarts. */
  instance: string | null = null;
  account: AccountRow | null = null;
  peerId: string | null = null;
  /** `peerId/instance`: this room's presence (room-api.md §5 InstanceId). */
  instanceId: string | null = null;
  /** Bearer token for the body routes, valid while this login lasts. */
  token: string | null = null;
  missedPongs = 0;

  constructor(
    readonly socket: WebSocket,
    readonly address: string,
  ) {}

  get loggedIn(): boolean {
    return this.peerId !== null;
  }

  send(message: object): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  push(name: string, fields: object = {}): void {
    this.send({ push: name, ...fields });
  }
}
