import type { WebSocket } from 'ws';
import type { LinkPushFields, LinkPushName } from '../protocol/hub-link.js';
import { checkLinkPush } from '../protocol/hub-link-checks.js';
import type { Heartbeat } from '../common/heartbeat.js';
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
  heartbeat: Heartbeat | null = null;

  constructor(
    readonly socket: WebSocket,
    readonly address: string,
  ) {}

  get missedPongs(): number {
    return this.heartbeat?.missedPongs ?? 0;
  }

  get loggedIn(): boolean {
    return this.peerId !== null;
  }

  send(message: object): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  /** Sends a push of the link table; one that does not match its schema is a bug of the hub's and throws. */
  push<P extends LinkPushName>(name: P, fields: LinkPushFields<P>): void {
    const problem = checkLinkPush(name, fields);
    if (problem) throw new Error(`push "${name}" does not match its schema: ${problem}`);
    this.send({ push: name, ...fields });
  }
}
