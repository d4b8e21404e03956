import { Status } from '../protocol/common-types.js';
import type { Bodies } from './bodies.js';
import type { HubQueries, SendRow } from './repository.js';
import { isActive, sendStatus } from './send-status.js';

/** Which sends need a body: the one an upload is for, and whether any still does (when none does, it goes). */
export class BodyNeeds {
  constructor(
    private readonly repo: HubQueries,
    private readonly bodies: Bodies,
  ) {}

  /** The send an upload of this body by this account is for, if one is waiting for its bytes. */
  async uploadTarget(sender: string, sha256: string): Promise<SendRow | undefined> {
    for (const send of await this.repo.sendsBySha(sha256)) {
      if (send.sender !== sender || send.uploaded || send.closed) continue;
      const { status } = sendStatus(send, await this.repo.offersOfSend(send.sendId));
      if (status === Status.Transferring) return send;
    }
    return undefined;
  }

  async isNeeded(sha256: string): Promise<boolean> {
    for (const send of await this.repo.sendsBySha(sha256)) {
      const offers = await this.repo.offersOfSend(send.sendId);
      if (offers.some((offer) => isActive(offer.state))) return true;
      if (send.confId && !send.uploaded && !send.closed) return true;
    }
    return false;
  }

  /** Removes the body of this send when no send or offer needs it any more. */
  async collect(sendId: string): Promise<void> {
    const send = await this.repo.getSend(sendId);
    if (send) await this.collectBody(send.sha256);
  }

  /**
   * Removes a body no send or offer needs any more, once no request reads or writes it on any process (whoever
   * ends the last such request calls this again). Resolves to whether it was removed now.
   */
  async collectBody(sha256: string): Promise<boolean> {
    if (await this.isNeeded(sha256)) return false;
    return this.bodies.collect(sha256, async () => !(await this.isNeeded(sha256)));
  }
}
