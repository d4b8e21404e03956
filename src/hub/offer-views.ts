import type { IncomingOffer, OfferState, SendState } from '../protocol/hub-link.js';
import { Status } from '../protocol/common-types.js';
import type { Accounts } from './accounts.js';
import type { BodyOwnership } from './body-ownership.js';
import type { LinkRegistry } from './link-registry.js';
import type { HubQueries, OfferRow, SendRow } from './repository.js';
import { isActive, sendStatus } from './send-status.js';

/** What each side is shown of sends and offers, and the pushes that show it (docs/hub-protocol.md, "Offers"). */
export class OfferViews {
  constructor(
    private readonly repo: HubQueries,
    private readonly ownership: BodyOwnership,
    private readonly accounts: Accounts,
    private readonly links: LinkRegistry,
  ) {}

  /** The offer as one recipient room sees it: accepted by another room of the same account means cancelled here. */
  incoming(send: SendRow, offer: OfferRow, instanceId: string | null): IncomingOffer {
    const state: OfferState =
      offer.acceptedBy && instanceId && offer.acceptedBy !== instanceId && isActive(offer.state)
        ? 'cancelled'
        : offer.state;
    return {
      offerId: offer.offerId,
      from: { peerId: this.accounts.peerIdOf(send.sender), peerDn: send.senderDn },
      fileName: send.fileName,
      fileSize: send.fileSize,
      sha256: send.sha256,
      ...(send.confId ? { confId: send.confId } : {}),
      createdAt: send.createdAt,
      state,
    };
  }

  /** The send as its sender sees it: the status its outgoing request shows, and the bytes the hub holds. */
  async sendState(send: SendRow): Promise<SendState> {
    const offers = await this.repo.offersOfSend(send.sendId);
    const { status, reason } = sendStatus(send, offers);
    const held =
      status === Status.Transferring
        ? await this.ownership.held(send)
        : status === Status.Done
          ? send.fileSize
          : 0;
    return { sendId: send.sendId, status, ...(reason ? { reason } : {}), held };
  }

  /** Pushes the send's state to its sender's rooms; `detail` says in words why it failed (only with status 0). */
  async pushSendState(sendId: string, detail?: string): Promise<void> {
    const send = await this.repo.getSend(sendId);
    if (!send) return;
    const state = await this.sendState(send);
    if (detail && state.status === Status.Failed) state.detail = detail.slice(0, 500);
    this.links.pushTo(this.accounts.peerIdOf(send.sender), 'send.state', state);
  }

  /** Tells the recipient's rooms that an offer changed state (expired, failed). */
  pushOfferState(offer: OfferRow, state: OfferState): void {
    this.links.pushTo(this.accounts.peerIdOf(offer.recipient), 'offer.state', {
      offerId: offer.offerId,
      state,
    });
  }
}
