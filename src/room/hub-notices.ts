import type { Logger } from 'pino';
import type { Status } from '../protocol/common-types.js';
import type { OfferState } from '../protocol/hub-link.js';
import type { HubLink } from './hub-link.js';

export type OfferEnd = 'offer.reject' | 'offer.done' | 'offer.failed';

/**
 * What the room tells the hub without waiting on the answer: how an offer ended here, and that it has shown an
 * offer's or a send's state. One that does not arrive is no loss: the hub still lists that offer or send at the
 * next sync, and hearing of it twice changes nothing.
 */
export class HubNotices {
  constructor(
    private readonly link: Pick<HubLink, 'request'>,
    private readonly logger: Logger,
  ) {}

  async offerEnded(op: OfferEnd, offerId: string): Promise<void> {
    try {
      await this.link.request(op, op === 'offer.failed' ? { offerId, reason: 'failed' } : { offerId });
    } catch (error) {
      this.logger.debug({ err: (error as Error).message, op }, 'could not tell the server');
    }
  }

  async offerSeen(offerId: string, state: OfferState): Promise<void> {
    try {
      await this.link.request('offer.seen', { offers: [{ offerId, state }] });
    } catch {
      // Sent again at the next sync.
    }
  }

  async sendSeen(sendId: string, status: Status): Promise<void> {
    try {
      await this.link.request('send.seen', { sendId, status });
    } catch {
      // Sent again at the next sync.
    }
  }
}
