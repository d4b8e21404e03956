import type { OfferState, SendState } from '../protocol/hub-link.js';
import { Status } from '../protocol/common-types.js';
import type { OfferRow, SendRow } from './repository.js';

/** Offer states in which the recipient may still receive the body. */
export const ACTIVE_OFFER_STATES: OfferState[] = ['waiting', 'accepted'];

export const isActive = (state: OfferState) => ACTIVE_OFFER_STATES.includes(state);

/** The status a sender's outgoing request should show, from its send and offers (room-api.md §9). */
export function sendStatus(send: SendRow, offers: OfferRow[]): Pick<SendState, 'status' | 'reason'> {
  if (send.uploaded) return { status: Status.Done };
  if (send.closed) return { status: Status.Failed, reason: send.closedReason ?? 'failed' };
  if (send.confId !== null) return { status: Status.Transferring };
  const offer = offers[0];
  if (!offer) return { status: Status.Failed, reason: 'failed' };
  switch (offer.state) {
    case 'waiting':
      return { status: Status.Waiting };
    case 'accepted':
    case 'done':
      return { status: Status.Transferring };
    case 'rejected':
      return { status: Status.Failed, reason: 'rejected' };
    case 'expired':
      return { status: Status.Failed, reason: 'expired' };
    case 'cancelled':
      return { status: Status.Failed, reason: 'cancelled' };
    default:
      return { status: Status.Failed, reason: 'failed' };
  }
}
