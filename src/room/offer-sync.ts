import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Direction, Status } from '../protocol/common-types.js';
import { sanitizeFileName } from '../protocol/file-name.js';
import type { IncomingOffer, LinkResult, OfferState, SendState } from '../protocol/hub-link.js';
import type { BodyMover } from './body-mover.js';
import type { HubLink } from './hub-link.js';
import type { HubNotices } from './hub-notices.js';
import type { TransferPush } from './link-pushes.js';
import { isOpen, type RequestLedger } from './request-ledger.js';
import type { RequestRecord } from './store.js';
import type { TransferEvents } from './transfer-events.js';

export interface OfferSyncDeps {
  requests: RequestLedger;
  events: TransferEvents;
  link: Pick<HubLink, 'request'>;
  notices: HubNotices;
  mover: BodyMover;
  /** Incoming requests whose acceptance is on its way to the hub: the method that sent it announces it. */
  deciding: ReadonlySet<string>;
  logger: Logger;
}

/**
 * Keeps the room's requests in step with the hub's offers and sends (docs/hub-protocol.md): everything the hub
 * lists at a login, and every offer, offer.state and send.state it pushes, is applied to the store and shown,
 * then acknowledged, so the hub stops repeating it.
 */
export class OfferSync {
  constructor(private readonly deps: OfferSyncDeps) {}

  async atLogin(peerId: string): Promise<void> {
    this.deps.requests.rememberAccount(peerId);
    await this.resync();
  }

  /** Applies one push of the hub's about a transfer. */
  async apply(push: TransferPush): Promise<void> {
    switch (push.push) {
      case 'offer':
        return this.receiveOffer(push.offer);
      case 'offer.state': {
        const request = this.deps.requests.byHubId(Direction.Incoming, push.offerId);
        if (request) await this.applyOfferState(request, push.state);
        return;
      }
      case 'send.state':
        return this.applySendState(push);
    }
  }

  /** Brings the room and the hub into agreement: run at every login, and when the hub says we are out of step. */
  async resync(): Promise<void> {
    const { requests, mover } = this.deps;
    // Only requests open before the sync was asked for can be judged by its answer: one created meanwhile
    // (a sendFile, an offer pushed while the sync was on its way) is not in it.
    const open = (direction: Direction) =>
      requests
        .list(direction)
        .filter(isOpen)
        .map((r) => r.fileRequestId);
    const openBefore = new Set([...open(Direction.Incoming), ...open(Direction.Outgoing)]);
    let sync: LinkResult<'sync'>;
    try {
      sync = await this.deps.link.request('sync', {});
    } catch (error) {
      this.deps.logger.warn({ err: (error as Error).message }, 'sync with the server failed');
      return;
    }
    for (const offer of sync.incoming) await this.receiveOffer(offer);
    const listed = new Set(sync.sends.map((send) => send.sendId));
    for (const send of sync.sends) await this.applySendState(send);
    // Outgoing requests still open here that the hub no longer lists as open have ended without us hearing.
    for (const request of requests.list(Direction.Outgoing)) {
      if (isOpen(request) && !listed.has(request.hubId) && openBefore.has(request.fileRequestId)) {
        mover.halt(request.fileRequestId);
        requests.setStatus(request, Status.Failed, 'failed');
      }
    }
    // Likewise incoming ones: the hub lists every offer still open for this room, so one it leaves out was
    // taken or answered by another room of this account (or ended) while this one was away.
    const offered = new Set(sync.incoming.map((offer) => offer.offerId));
    for (const request of requests.list(Direction.Incoming)) {
      if (isOpen(request) && !offered.has(request.hubId) && openBefore.has(request.fileRequestId)) {
        await mover.discard(request.fileRequestId);
        const current = requests.get(request.fileRequestId)!;
        if (isOpen(current)) requests.setStatus(current, Status.Failed, 'cancelled');
      } else if (request.status === Status.Transferring) mover.startDownload(request.fileRequestId);
    }
  }

  private async receiveOffer(offer: IncomingOffer): Promise<void> {
    const { requests, notices } = this.deps;
    const existing = requests.byHubId(Direction.Incoming, offer.offerId);
    if (existing) return this.applyOfferState(existing, offer.state);
    if (offer.state !== 'waiting') {
      // Ended before this room ever showed it: nothing to show now.
      await notices.offerSeen(offer.offerId, offer.state);
      return;
    }
    const request: RequestRecord = {
      fileRequestId: randomUUID(),
      direction: Direction.Incoming,
      status: Status.Waiting,
      statusReason: null,
      fileName: sanitizeFileName(offer.fileName),
      fileSize: offer.fileSize,
      sha256: offer.sha256,
      fileId: null,
      peerId: offer.from.peerId,
      peerDn: offer.from.peerDn,
      confId: offer.confId || null,
      timestamp: offer.createdAt,
      hubId: offer.offerId,
      processed: 0,
      account: requests.account,
    };
    requests.insert(request);
    this.deps.events.received(request);
    await notices.offerSeen(offer.offerId, 'waiting');
  }

  private async applyOfferState(request: RequestRecord, state: OfferState): Promise<void> {
    const { requests, mover, notices } = this.deps;
    const offerId = request.hubId;
    switch (state) {
      case 'expired':
      case 'failed':
      case 'cancelled':
        if (isOpen(request)) {
          await mover.discard(request.fileRequestId);
          requests.setStatus(request, Status.Failed, state);
        }
        break;
      case 'waiting':
        if (request.status === Status.Failed && request.statusReason === 'rejected')
          await notices.offerEnded('offer.reject', offerId);
        break;
      case 'rejected':
        // Rejected by another room logged in as the same account: it leaves this room's list too.
        if (request.status === Status.Waiting) requests.setStatus(request, Status.Failed, 'rejected');
        break;
      case 'accepted':
        // Our own acceptance on its way: the method that sent it announces it once the hub's reply is in.
        if (this.deps.deciding.has(request.fileRequestId)) break;
        if (request.status === Status.Waiting) {
          // The hub took our acceptance but the room stopped before storing it.
          this.deps.events.accepted(request);
          requests.setStatus(request, Status.Transferring);
        }
        if (request.status === Status.Done) await notices.offerEnded('offer.done', offerId);
        else if (request.status === Status.Failed) await notices.offerEnded('offer.failed', offerId);
        else mover.startDownload(request.fileRequestId);
        break;
      default:
        break;
    }
    await notices.offerSeen(offerId, state);
  }

  private async applySendState(state: SendState): Promise<void> {
    const { requests, mover, notices } = this.deps;
    let request = requests.byHubId(Direction.Outgoing, state.sendId);
    // Not ours: another room logged in as this account sent it. Confirming here would tell the hub that the
    // sending room has seen this status, and that room, if away, would then never hear of it.
    if (!request) return;
    if (request.status === Status.Waiting && state.status >= Status.Transferring) {
      request = requests.setStatus(request, Status.Transferring);
    }
    if (request.status === Status.Transferring && state.status === Status.Transferring) {
      mover.startUpload(request.fileRequestId);
    } else if (request.status === Status.Transferring && state.status === Status.Done) {
      await mover.completeUpload(request);
    } else if (isOpen(request) && state.status === Status.Failed) {
      mover.halt(request.fileRequestId);
      if (state.detail) {
        // The hub said why (over quota, its store full, a stalled upload): the sender's side must be able to tell.
        this.deps.logger.warn(
          { fileRequestId: request.fileRequestId, sendId: state.sendId, reason: state.detail },
          `send failed at the server: ${state.detail}`,
        );
      }
      requests.setStatus(request, Status.Failed, state.reason ?? 'failed', null, state.detail ?? null);
    }
    await notices.sendSeen(state.sendId, requests.get(request.fileRequestId)!.status);
  }
}
