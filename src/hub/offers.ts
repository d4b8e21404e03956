import { randomUUID } from 'node:crypto';
import type { Clock } from '../common/clock.js';
import { Status } from '../protocol/common-types.js';
import type { IncomingOffer, LinkArgs, LinkResult, OfferState, SendState } from '../protocol/hub-link.js';
import type { Accounts } from './accounts.js';
import type { BodyOwnership } from './body-ownership.js';
import type { BodyNeeds } from './body-needs.js';
import type { Conferences } from './conferences.js';
import { LinkOpError } from './link-op-error.js';
import type { LinkRegistry } from './link-registry.js';
import type { LinkSession } from './link-session.js';
import type { OfferViews } from './offer-views.js';
import type { HubRepository, OfferRow, SendRow } from './repository.js';
import { isActive } from './send-status.js';

/** The limits an offer is checked against. */
export interface OfferLimits {
  /** How long an offer waits for its recipient. */
  offerTtlMs: number;
  /** Largest file the hub relays. */
  maxFileSize: number;
}

/**
 * Offers and their routing: a send is what one sender offered once; an offer is one recipient's copy of it.
 * Every change is stored first and pushed after; rooms confirm what they show, and whatever they have not
 * confirmed is sent again when they next sync, so a dropped link or a restart loses nothing.
 */
export class Offers {
  constructor(
    private readonly parts: {
      repo: HubRepository;
      ownership: BodyOwnership;
      accounts: Accounts;
      links: LinkRegistry;
      conferences: Conferences;
      views: OfferViews;
      needs: BodyNeeds;
      clock: Clock;
      limits: OfferLimits;
    },
  ) {}

  private get repo() {
    return this.parts.repo;
  }

  async create(session: LinkSession, args: LinkArgs<'offer.create'>): Promise<LinkResult<'offer.create'>> {
    const { accounts, ownership, clock, limits, links, views } = this.parts;
    const sender = session.account!;
    if (!sender.fileTransfer)
      throw new LinkOpError('forbidden', 'file transfer is not allowed for this account');
    if (args.fileSize > limits.maxFileSize) {
      throw new LinkOpError(
        'too_large',
        `the file is larger than the server's limit of ${limits.maxFileSize} bytes`,
      );
    }
    if (await this.repo.getSend(args.sendId))
      throw new LinkOpError('conflict', `send ${args.sendId} exists already`);
    const now = clock.now();
    const { recipients, confId } = await this.recipientsOf(session, args);
    const send: SendRow = {
      sendId: args.sendId,
      sender: sender.name,
      senderDn: sender.displayName,
      fileName: args.fileName,
      fileSize: args.fileSize,
      sha256: args.sha256,
      confId,
      createdAt: now,
      expiresAt: now + limits.offerTtlMs,
      seenStatus: confId ? Status.Transferring : Status.Waiting,
      uploaded: false,
      closed: false,
      closedReason: null,
    };
    // A body this account uploaded before is not uploaded again; a conference send is "uploaded" at once then.
    // Another account's copy counts for nothing: this sender streams the whole body (BodyOwnership).
    if (confId && (await ownership.owns(sender.name, args.sha256, args.fileSize))) send.uploaded = true;
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
        links.pushTo(accounts.peerIdOf(offer.recipient), 'offer', {
          offer: views.incoming(send, offer, null),
        });
      }
      if (send.uploaded) void views.pushSendState(send.sendId);
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

  /** Who a send goes to: the other accounts of the sender's conference, or the one account named. */
  private async recipientsOf(session: LinkSession, args: LinkArgs<'offer.create'>) {
    const { accounts, conferences } = this.parts;
    if (args.conference) {
      const conference = await conferences.conferenceOf(session);
      if (!conference) throw new LinkOpError('conflict', 'not in a group conference');
      return { recipients: conferences.otherAccounts(conference, session), confId: conference.confId };
    }
    if (!args.to) throw new LinkOpError('bad_request', 'missing recipient');
    if (args.to.includes('/'))
      throw new LinkOpError('bad_request', `"${args.to}" is an InstanceId; send to a TrueConf ID`);
    const account = await accounts.find(args.to);
    if (!account) throw new LinkOpError('not_found', `user ${args.to} does not exist`);
    if (account.name === session.account!.name)
      throw new LinkOpError('bad_request', 'cannot send a file to yourself');
    if (!account.fileTransfer)
      throw new LinkOpError('forbidden', `${accounts.peerIdOf(account.name)} may not receive files`);
    const recipient = {
      name: account.name,
      peerId: accounts.peerIdOf(account.name),
      peerDn: account.displayName,
    };
    return { recipients: [recipient], confId: null };
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
    const { ownership, clock, links, views } = this.parts;
    const { offer, send } = await this.ownOffer(session, offerId);
    if (!session.account!.fileTransfer)
      throw new LinkOpError('forbidden', 'file transfer is not allowed for this account');
    if (offer.state === 'accepted' && offer.acceptedBy === session.instanceId) return;
    const changed = await this.repo.transitionOffer(
      offerId,
      ['waiting'],
      'accepted',
      { acceptedBy: session.instanceId! },
      clock.now(),
    );
    if (!changed)
      throw new LinkOpError(
        'conflict',
        `offer ${offerId} is ${offer.acceptedBy ? 'accepted elsewhere' : offer.state}`,
      );
    // Other rooms logged in as the same account see it taken.
    links.pushTo(session.peerId!, 'offer.state', { offerId, state: 'cancelled' }, session);
    if (!send.uploaded && (await ownership.owns(send.sender, send.sha256, send.fileSize))) {
      await this.repo.updateSend(send.sendId, { uploaded: true });
    }
    await views.pushSendState(send.sendId);
  }

  /** Moves the offer from `from` to `to` and records that its room shows `to`, in one transaction. */
  private settle(offerId: string, from: OfferState, to: OfferState): Promise<boolean> {
    const now = this.parts.clock.now();
    return this.repo.transaction(async (tx) => {
      if (!(await tx.transitionOffer(offerId, [from], to, {}, now))) return false;
      await tx.markOfferSeen(offerId, to);
      return true;
    });
  }

  async reject(session: LinkSession, offerId: string): Promise<void> {
    const { links, needs, views } = this.parts;
    const { offer } = await this.ownOffer(session, offerId);
    if (offer.state === 'rejected') return;
    if (!(await this.settle(offerId, 'waiting', 'rejected')))
      throw new LinkOpError('conflict', `offer ${offerId} is ${offer.state}`);
    // Other rooms logged in as the same account stop showing it as waiting.
    links.pushTo(session.peerId!, 'offer.state', { offerId, state: 'rejected' }, session);
    await views.pushSendState(offer.sendId);
    await needs.collect(offer.sendId);
  }

  async finish(session: LinkSession, offerId: string, outcome: 'done' | 'failed'): Promise<void> {
    const { needs, views } = this.parts;
    const { offer } = await this.ownOffer(session, offerId);
    if (offer.state === outcome) return;
    if (offer.acceptedBy !== session.instanceId)
      throw new LinkOpError('conflict', `offer ${offerId} was not accepted by this room`);
    if (!(await this.settle(offerId, 'accepted', outcome)))
      throw new LinkOpError('conflict', `offer ${offerId} is ${offer.state}`);
    await views.pushSendState(offer.sendId);
    await needs.collect(offer.sendId);
  }

  async seen(session: LinkSession, offers: { offerId: string; state: OfferState }[]): Promise<void> {
    for (const { offerId, state } of offers) {
      const offer = await this.repo.getOffer(offerId);
      if (!offer || offer.recipient !== session.account!.name) continue;
      if (offer.acceptedBy && offer.acceptedBy !== session.instanceId && state === 'cancelled') continue;
      await this.repo.markOfferSeen(offerId, state);
    }
  }

  async sendSeen(session: LinkSession, sendId: string, status: Status): Promise<void> {
    const send = await this.repo.getSend(sendId);
    if (!send || send.sender !== session.account!.name) return;
    await this.repo.updateSend(sendId, { seenStatus: status });
    await this.repo.pruneFinished();
  }

  /** Everything a room should show that it may have missed: run at every login. */
  async sync(session: LinkSession): Promise<LinkResult<'sync'>> {
    const { views } = this.parts;
    const name = session.account!.name;
    const incoming: IncomingOffer[] = [];
    for (const offer of await this.repo.offersForRecipient(name)) {
      const send = await this.repo.getSend(offer.sendId);
      if (!send) continue;
      const view = views.incoming(send, offer, session.instanceId);
      if (isActive(view.state) || offer.seenState !== offer.state) incoming.push(view);
    }
    const sends: SendState[] = [];
    for (const send of await this.repo.sendsBySender(name)) {
      const state = await views.sendState(send);
      const open = state.status === Status.Waiting || state.status === Status.Transferring;
      if (open || state.status !== send.seenStatus) sends.push(state);
    }
    return { incoming, sends };
  }
}
