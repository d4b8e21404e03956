import type { Clock } from '../common/clock.js';
import { Status } from '../protocol/common-types.js';
import type { BodyNeeds } from './body-needs.js';
import type { OfferViews } from './offer-views.js';
import type { HubRepository, OfferRow } from './repository.js';
import { ACTIVE_OFFER_STATES, sendStatus } from './send-status.js';

/** What a finished upload means for the sends of its body: done when verified, failed when not. */
export class UploadOutcomes {
  constructor(
    private readonly repo: HubRepository,
    private readonly views: OfferViews,
    private readonly needs: BodyNeeds,
    private readonly clock: Clock,
  ) {}

  /**
   * `uploader`'s upload of a body was verified at the hub: that account's sends of it that were uploading are
   * done. Other accounts' sends of the same bytes are not: each sender proves it holds them (BodyOwnership).
   */
  async completed(sha256: string, uploader: string): Promise<void> {
    for (const send of await this.repo.sendsBySha(sha256)) {
      if (send.uploaded || send.closed || send.sender !== uploader) continue;
      const { status } = sendStatus(send, await this.repo.offersOfSend(send.sendId));
      if (status !== Status.Transferring) continue;
      await this.repo.updateSend(send.sendId, { uploaded: true });
      await this.views.pushSendState(send.sendId);
      await this.needs.collect(send.sendId);
    }
  }

  /**
   * A body uploaded by `uploader` failed its check: its sends by that account fail with every offer still open,
   * all in one transaction; the rooms are told after it.
   */
  async mismatched(
    sha256: string,
    uploader: string,
    detail = 'the uploaded body does not match its sha256',
  ): Promise<void> {
    return this.failed(sha256, uploader, detail);
  }

  /**
   * `uploader`'s upload of a body cannot go on (its check failed, the store is full, the account is over its
   * quota): its sends of that body fail for the sender and every recipient, in one transaction. `detail` says why in
   * words: the sender's rooms get it with the failure (send.state), to log and to show.
   */
  async failed(sha256: string, uploader: string, detail?: string): Promise<void> {
    const now = this.clock.now();
    const { sends, offers } = await this.repo.transaction(async (tx) => {
      const failed = { sends: [] as string[], offers: [] as OfferRow[] };
      for (const send of await tx.sendsBySha(sha256)) {
        if (send.uploaded || send.closed || send.sender !== uploader) continue;
        await tx.updateSend(send.sendId, { closed: true, closedReason: 'failed' });
        failed.sends.push(send.sendId);
        for (const offer of await tx.offersOfSend(send.sendId)) {
          if (await tx.transitionOffer(offer.offerId, ACTIVE_OFFER_STATES, 'failed', {}, now)) {
            failed.offers.push(offer);
          }
        }
      }
      return failed;
    });
    for (const offer of offers) this.views.pushOfferState(offer, 'failed');
    for (const sendId of sends) {
      await this.views.pushSendState(sendId, detail);
      await this.needs.collect(sendId);
    }
  }
}
