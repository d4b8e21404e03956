import type { BodyNeeds } from './body-needs.js';
import type { OfferViews } from './offer-views.js';
import type { HubRepository, OfferRow, SendRow } from './repository.js';
import { PeriodicPass, type PeriodicPassParts } from './periodic-pass.js';
import { ACTIVE_OFFER_STATES } from './send-status.js';

/** The name under which one process at a time expires offers (HubRepository.exclusively). */
export const EXPIRY_JOB = 'offer-expiry';

/**
 * Offers past their time expire (room-api.md §8): waiting ones, and accepted ones whose body never arrived. An
 * accepted offer whose body the hub holds gets one more period to be downloaded.
 */
export class OfferExpiry {
  private readonly periodic: PeriodicPass;

  constructor(
    private readonly parts: PeriodicPassParts & {
      repo: HubRepository;
      views: OfferViews;
      needs: BodyNeeds;
      offerTtlMs: number;
    },
  ) {
    this.periodic = new PeriodicPass('the expiry pass', parts, () => this.pass());
  }

  start(): void {
    // Every 30 s, or ten times per TTL when an operator sets a short one, so an offer ends close to its deadline.
    this.periodic.start(Math.min(30_000, Math.max(100, Math.floor(this.parts.offerTtlMs / 10))));
  }

  stop(): void {
    this.periodic.stop();
  }

  /**
   * One pass over the sends past their time (passes never overlap: one asked for during another runs after it), so
   * whoever awaits it knows every send due before the call was dealt with (its offers pushed, its body collected).
   */
  expire(): Promise<void> {
    return this.periodic.run();
  }

  /** A pass of this process, unless another process sharing the database is running one (it covers the same sends). */
  private async pass(): Promise<void> {
    const { repo, logger } = this.parts;
    try {
      if (repo.exclusively) await repo.exclusively(EXPIRY_JOB, () => this.sweep());
      else await this.sweep();
    } catch (error) {
      logger.error({ err: error }, 'offer expiry failed');
    }
  }

  private async sweep(): Promise<void> {
    const { repo, views, needs, clock, logger } = this.parts;
    const now = clock.now();
    try {
      for (const send of await repo.expiredSends(now)) {
        const expired = await this.expireSend(send, now);
        for (const offer of expired) views.pushOfferState(offer, 'expired');
        await views.pushSendState(send.sendId);
        await needs.collect(send.sendId);
      }
    } catch (error) {
      logger.error({ err: error }, 'offer expiry failed');
    }
  }

  /** One send's offers expire and the send closes, in one transaction; resolves to the offers that expired. */
  private expireSend({ sendId }: SendRow, now: number): Promise<OfferRow[]> {
    return this.parts.repo.transaction(async (tx) => {
      const send = await tx.getSend(sendId);
      if (!send) return [];
      const hardDeadline = send.expiresAt + this.parts.offerTtlMs;
      const expired: OfferRow[] = [];
      for (const offer of await tx.offersOfSend(sendId)) {
        const due =
          offer.state === 'waiting' ||
          (offer.state === 'accepted' && (!send.uploaded || now >= hardDeadline));
        if (due && (await tx.transitionOffer(offer.offerId, ACTIVE_OFFER_STATES, 'expired', {}, now))) {
          expired.push(offer);
        }
      }
      if (!send.uploaded && !send.closed)
        await tx.updateSend(sendId, { closed: true, closedReason: 'expired' });
      return expired;
    });
  }
}
