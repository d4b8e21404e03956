import { randomUUID } from 'node:crypto';
import type { IncomingOffer, LinkArgs, LinkResult, OfferState, SendState } from '../protocol/hub-link.js';
import type { Hub } from './hub.js';
import type { LinkSession } from './link-session.js';
import { LinkOpError } from './link-server.js';
import type { OfferRow, SendRow } from './repository.js';
import { Status } from '../protocol/common-types.js';

const ACTIVE: OfferState[] = ['waiting', 'accepted'];

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

/**
 * Offers and their routing: a send is what one sender offered once; an offer is one recipient's copy of it.
 * Every change is stored first and pushed after; rooms confirm what they show, and whatever they have not
 * confirmed is sent again when they next sync, so a dropped link or a restart loses nothing.
 */
export class Offers {
  private expiryTimer: NodeJS.Timeout | undefined;
  private unsubscribeClock: (() => void) | undefined;

  constructor(private readonly hub: Hub) {}

  start(): void {
    // Every 30 s, or ten times per TTL when an operator sets a short one, so an offer ends close to its deadline.
    const everyMs = Math.min(30_000, Math.max(100, Math.floor(this.hub.offerTtlMs / 10)));
    this.expiryTimer = setInterval(() => void this.expire(), everyMs);
    this.expiryTimer.unref();
    this.unsubscribeClock = this.hub.clock.onAdvance(() => void this.expire());
    void this.expire();
  }

  stop(): void {
    clearInterval(this.expiryTimer);
    this.unsubscribeClock?.();
  }

  private get repo() {
    return this.hub.repo;
  }

  async create(session: LinkSession, args: LinkArgs<'offer.create'>): Promise<LinkResult<'offer.create'>> {
    const sender = session.account!;
    if (!sender.fileTransfer)
      throw new LinkOpError('forbidden', 'file transfer is not allowed for this account');
    if (args.fileSize > this.hub.maxFileSize) {
      throw new LinkOpError(
        'too_large',
        `the file is larger than the server's limit of ${this.hub.maxFileSize} bytes`,
      );
    }
    if (await this.repo.getSend(args.sendId))
      throw new LinkOpError('conflict', `send ${args.sendId} exists already`);
    const now = this.hub.clock.now();
    let recipients: { name: string; peerId: string; peerDn: string }[];
    let confId: string | null = null;
    if (args.conference) {
      const conference = this.hub.conferences.conferenceOf(session);
      if (!conference) throw new LinkOpError('conflict', 'not in a group conference');
      confId = conference.confId;
      recipients = this.hub.conferences.otherAccounts(conference, session);
    } else {
      if (!args.to) throw new LinkOpError('bad_request', 'missing recipient');
      if (args.to.includes('/'))
        throw new LinkOpError('bad_request', `"${args.to}" is an InstanceId; send to a TrueConf ID`);
      const account = await this.hub.accounts.find(args.to);
      if (!account) throw new LinkOpError('not_found', `user ${args.to} does not exist`);
      if (account.name === sender.name)
        throw new LinkOpError('bad_request', 'cannot send a file to yourself');
      if (!account.fileTransfer)
        throw new LinkOpError(
          'forbidden',
          `${this.hub.accounts.peerIdOf(account.name)} may not receive files`,
        );
      recipients = [
        { name: account.name, peerId: this.hub.accounts.peerIdOf(account.name), peerDn: account.displayName },
      ];
    }
    const send: SendRow = {
      sendId: args.sendId,
      sender: sender.name,
      senderDn: sender.displayName,
      fileName: args.fileName,
      fileSize: args.fileSize,
      sha256: args.sha256,
      confId,
      createdAt: now,
      expiresAt: now + this.hub.offerTtlMs,
      seenStatus: confId ? 2 : 1,
      uploaded: false,
      closed: false,
      closedReason: null,
    };
    // A body the hub already holds is never uploaded again; a conference send is "uploaded" at once then.
    if (confId && (await this.hub.blobs.isComplete(args.sha256))) send.uploaded = true;
    const offers: OfferRow[] = recipients.map((recipient) => ({
      offerId: randomUUID(),
      sendId: send.sendId,
      recipient: recipient.name,
      state: 'waiting',
      delivered: false,
      seenState: null,
      acceptedBy: null,
      updatedAt: now,
    }));
    await this.repo.insertSend(send, offers);
    // Pushed after the reply has gone out, so the sender's room knows its request before anyone can act on it.
    setImmediate(() => {
      for (const offer of offers) {
        this.hub.links.pushTo(this.hub.accounts.peerIdOf(offer.recipient), 'offer', {
          offer: this.incomingView(send, offer, null),
        });
      }
      if (send.uploaded) void this.pushSendState(send.sendId);
    });
    return {
      sendId: send.sendId,
      createdAt: send.createdAt,
      ...(confId ? { confId } : {}),
      offers: offers.map((offer, i) => ({
        offerId: offer.offerId,
        peerId: recipients[i].peerId,
        peerDn: recipients[i].peerDn,
      })),
    };
  }

  /** The offer as one recipient room sees it: accepted by another room of the same account means cancelled here. */
  incomingView(send: SendRow, offer: OfferRow, instanceId: string | null): IncomingOffer {
    const state: OfferState =
      offer.acceptedBy && instanceId && offer.acceptedBy !== instanceId && ACTIVE.includes(offer.state)
        ? 'cancelled'
        : offer.state;
    return {
      offerId: offer.offerId,
      from: { peerId: this.hub.accounts.peerIdOf(send.sender), peerDn: send.senderDn },
      fileName: send.fileName,
      fileSize: send.fileSize,
      sha256: send.sha256,
      ...(send.confId ? { confId: send.confId } : {}),
      createdAt: send.createdAt,
      state,
    };
  }

  private async ownOffer(session: LinkSession, offerId: string): Promise<{ offer: OfferRow; send: SendRow }> {
    const offer = await this.repo.getOffer(offerId);
    // Another account's offer is reported as unknown: a room learns nothing of offers that are not its own.
    if (!offer || offer.recipient !== session.account!.name)
      throw new LinkOpError('not_found', `offer ${offerId} does not exist`);
    const send = (await this.repo.getSend(offer.sendId))!;
    return { offer, send };
  }

  async accept(session: LinkSession, offerId: string): Promise<void> {
    const { offer, send } = await this.ownOffer(session, offerId);
    if (!session.account!.fileTransfer)
      throw new LinkOpError('forbidden', 'file transfer is not allowed for this account');
    if (offer.state === 'accepted' && offer.acceptedBy === session.instanceId) return;
    const changed = await this.repo.transitionOffer(
      offerId,
      ['waiting'],
      'accepted',
      { acceptedBy: session.instanceId! },
      this.hub.clock.now(),
    );
    if (!changed)
      throw new LinkOpError(
        'conflict',
        `offer ${offerId} is ${offer.acceptedBy ? 'accepted elsewhere' : offer.state}`,
      );
    // Other rooms logged in as the same account see it taken.
    for (const other of this.hub.links.sessionsOf(session.peerId!)) {
      if (other !== session) other.push('offer.state', { offerId, state: 'cancelled' });
    }
    if (!send.uploaded && (await this.hub.blobs.isComplete(send.sha256))) {
      await this.repo.updateSend(send.sendId, { uploaded: true });
    }
    await this.pushSendState(send.sendId);
  }

  async reject(session: LinkSession, offerId: string): Promise<void> {
    const { offer } = await this.ownOffer(session, offerId);
    if (offer.state === 'rejected') return;
    const changed = await this.repo.transitionOffer(
      offerId,
      ['waiting'],
      'rejected',
      {},
      this.hub.clock.now(),
    );
    if (!changed) throw new LinkOpError('conflict', `offer ${offerId} is ${offer.state}`);
    await this.repo.markOfferSeen(offerId, 'rejected');
    // Other rooms logged in as the same account stop showing it as waiting.
    for (const other of this.hub.links.sessionsOf(session.peerId!)) {
      if (other !== session) other.push('offer.state', { offerId, state: 'rejected' });
    }
    await this.pushSendState(offer.sendId);
    await this.collect(offer.sendId);
  }

  async finish(session: LinkSession, offerId: string, outcome: 'done' | 'failed'): Promise<void> {
    const { offer } = await this.ownOffer(session, offerId);
    if (offer.state === outcome) return;
    if (offer.acceptedBy !== session.instanceId)
      throw new LinkOpError('conflict', `offer ${offerId} was not accepted by this room`);
    const changed = await this.repo.transitionOffer(offerId, ['accepted'], outcome, {}, this.hub.clock.now());
    if (!changed) throw new LinkOpError('conflict', `offer ${offerId} is ${offer.state}`);
    await this.repo.markOfferSeen(offerId, outcome);
    await this.pushSendState(offer.sendId);
    await this.collect(offer.sendId);
  }

  async seen(session: LinkSession, offers: { offerId: string; state: OfferState }[]): Promise<void> {
    for (const { offerId, state } of offers) {
      const offer = await this.repo.getOffer(offerId);
      if (!offer || offer.recipient !== session.account!.name) continue;
      if (offer.acceptedBy && offer.acceptedBy !== session.instanceId && state === 'cancelled') continue;
      await this.repo.markOfferSeen(offerId, state);
    }
  }

  async sendSeen(session: LinkSession, sendId: string, status: number): Promise<void> {
    const send = await this.repo.getSend(sendId);
    if (!send || send.sender !== session.account!.name) return;
    await this.repo.updateSend(sendId, { seenStatus: status });
    await this.repo.pruneFinished();
  }

  async sendState(send: SendRow): Promise<SendState> {
    const offers = await this.repo.offersOfSend(send.sendId);
    const { status, reason } = sendStatus(send, offers);
    const held =
      status === Status.Transferring
        ? await this.hub.blobs.held(send.sha256, send.sender, send.fileSize)
        : status === Status.Done
          ? send.fileSize
          : 0;
    return { sendId: send.sendId, status, ...(reason ? { reason } : {}), held };
  }

  async pushSendState(sendId: string): Promise<void> {
    const send = await this.repo.getSend(sendId);
    if (!send) return;
    const state = await this.sendState(send);
    this.hub.links.pushTo(this.hub.accounts.peerIdOf(send.sender), 'send.state', state);
  }

  /** Everything a room should show that it may have missed: run at every login. */
  async sync(session: LinkSession): Promise<LinkResult<'sync'>> {
    const name = session.account!.name;
    const incoming: IncomingOffer[] = [];
    for (const offer of await this.repo.offersForRecipient(name)) {
      const send = await this.repo.getSend(offer.sendId);
      if (!send) continue;
      const view = this.incomingView(send, offer, session.instanceId);
      if (ACTIVE.includes(view.state) || offer.seenState !== offer.state) incoming.push(view);
    }
    const sends: SendState[] = [];
    for (const send of await this.repo.sendsBySender(name)) {
      const state = await this.sendState(send);
      const open = state.status === Status.Waiting || state.status === Status.Transferring;
      if (open || state.status !== send.seenStatus) sends.push(state);
    }
    return { incoming, sends };
  }

  /** Called when a body is complete and verified at the hub: sends of it that were uploading are done. */
  async onBlobComplete(sha256: string): Promise<void> {
    for (const send of await this.repo.sendsBySha(sha256)) {
      if (send.uploaded || send.closed) continue;
      const { status } = sendStatus(send, await this.repo.offersOfSend(send.sendId));
      if (status !== Status.Transferring) continue;
      await this.repo.updateSend(send.sendId, { uploaded: true });
      await this.pushSendState(send.sendId);
      await this.collect(send.sendId);
    }
  }

  /** Called when an uploaded body failed its check: every send and accepted offer of it fails. */
  async onBlobMismatch(sha256: string, uploader: string): Promise<void> {
    for (const send of await this.repo.sendsBySha(sha256)) {
      if (send.uploaded || send.closed || send.sender !== uploader) continue;
      await this.repo.updateSend(send.sendId, { closed: true, closedReason: 'failed' });
      for (const offer of await this.repo.offersOfSend(send.sendId)) {
        if (await this.repo.transitionOffer(offer.offerId, ACTIVE, 'failed', {}, this.hub.clock.now())) {
          this.hub.links.pushTo(this.hub.accounts.peerIdOf(offer.recipient), 'offer.state', {
            offerId: offer.offerId,
            state: 'failed',
          });
        }
      }
      await this.pushSendState(send.sendId);
      await this.collect(send.sendId);
    }
  }

  /**
   * Offers past their time expire (room-api.md §8): waiting ones, and accepted ones whose body never arrived.
   * An accepted offer whose body the hub holds gets one more period to be downloaded.
   */
  async expire(): Promise<void> {
    const now = this.hub.clock.now();
    try {
      for (const send of await this.repo.expiredSends(now)) {
        const hardDeadline = send.expiresAt + this.hub.offerTtlMs;
        for (const offer of await this.repo.offersOfSend(send.sendId)) {
          const expire =
            offer.state === 'waiting' ||
            (offer.state === 'accepted' && (!send.uploaded || now >= hardDeadline));
          if (!expire) continue;
          if (await this.repo.transitionOffer(offer.offerId, ACTIVE, 'expired', {}, now)) {
            this.hub.links.pushTo(this.hub.accounts.peerIdOf(offer.recipient), 'offer.state', {
              offerId: offer.offerId,
              state: 'expired',
            });
          }
        }
        if (!send.uploaded && !send.closed)
          await this.repo.updateSend(send.sendId, { closed: true, closedReason: 'expired' });
        await this.pushSendState(send.sendId);
        await this.collect(send.sendId);
      }
    } catch (error) {
      this.hub.logger.error({ err: error }, 'offer expiry failed');
    }
  }

  /** Whether any send or offer still needs this body; when none does, it is removed. */
  async collect(sendId: string): Promise<void> {
    const send = await this.repo.getSend(sendId);
    if (!send) return;
    if (await this.bodyNeeded(send.sha256)) return;
    await this.hub.blobs.remove(send.sha256);
  }

  async bodyNeeded(sha256: string): Promise<boolean> {
    for (const send of await this.repo.sendsBySha(sha256)) {
      const offers = await this.repo.offersOfSend(send.sendId);
      if (offers.some((offer) => ACTIVE.includes(offer.state))) return true;
      if (send.confId && !send.uploaded && !send.closed) return true;
    }
    return false;
  }

  /** The send an upload of this body by this account is for, if one is waiting for its bytes. */
  async uploadTarget(sender: string, sha256: string): Promise<SendRow | undefined> {
    for (const send of await this.repo.sendsBySha(sha256)) {
      if (send.sender !== sender || send.uploaded || send.closed) continue;
      const { status } = sendStatus(send, await this.repo.offersOfSend(send.sendId));
      if (status === Status.Transferring) return send;
    }
    return undefined;
  }
}
