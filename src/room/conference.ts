import { ApiError, ErrorCode, badRequest, conflict, forbidden, notFound } from '../protocol/errors.js';
import { ConfTypeNames } from '../protocol/conference-methods.js';
import type { ConferenceView, LinkPush } from '../protocol/hub-link.js';
import { AppState } from '../protocol/session-methods.js';
import { LinkError } from './hub-link.js';
import type { Room } from './room.js';

interface Current {
  confId: string;
  /** The CID of a named conference, or the confId of an ad-hoc one. */
  id: string;
  title: string;
  confType: number;
  owner: string;
  participants: Map<string, { peerDn: string; role: number }>;
}

interface Invitation {
  confId: string;
  title: string;
  confType: number;
  from: { peerId: string; peerDn: string };
}

/** `rejectReceived` cause when the called conference does not exist. */
const CAUSE_NOT_FOUND = 19;

function confTypeOf(value: string | number | undefined): number {
  if (value === undefined) return 1;
  if (typeof value === 'number') return value;
  const name = value.toLowerCase();
  // Own keys only: "constructor" or "__proto__" must not find Object.prototype's members (a 400, not a 500).
  const type = Object.hasOwn(ConfTypeNames, name) ? ConfTypeNames[name] : undefined;
  if (!type) throw badRequest(`parameter "confType" must be symmetric, asymmetric or role, not "${value}"`);
  return type;
}

function fail(error: unknown, subject: string): ApiError {
  if (error instanceof LinkError) {
    if (error.code === 'not_found') return notFound(error.message);
    if (error.code === 'forbidden') return forbidden(error.message);
    if (error.code === 'conflict') return conflict(error.message);
    if (error.code === 'disconnected' || error.code === 'timeout')
      return conflict(`${subject}: not connected to a server`);
  }
  return new ApiError(ErrorCode.Internal, `${subject}: ${(error as Error).message}`);
}

/**
 * The room's part in a conference (room-api.md §5): the subset a client needs before a conference file send.
 * There is no media; a conference is who is present, and that is what sendFileToConference offers to.
 */
export class ConferenceState {
  private current: Current | null = null;
  private invitation: Invitation | null = null;

  constructor(private readonly room: Room) {
    room.session.on('loggedOut', () => {
      this.current = null;
      this.invitation = null;
    });
  }

  private get events() {
    return this.room.events;
  }

  private requireLogin(): void {
    if (!this.room.session.identity) throw conflict('not logged in to a server');
  }

  private enter(view: ConferenceView, id: string): () => void {
    this.invitation = null;
    this.current = {
      confId: view.confId,
      id,
      title: view.title,
      confType: view.confType,
      owner: view.owner,
      participants: new Map(view.participants.map((p) => [p.peerId, { peerDn: p.peerDn, role: p.role }])),
    };
    const current = this.current;
    return () => {
      this.room.session.setConferenceState(AppState.InConference);
      this.events.emit('conferenceCreated', {
        confId: current.confId,
        confTitle: current.title,
        confType: current.confType,
        conferenceOwner: current.owner,
        isSmartMeeting: false,
        joinUrl: '',
      });
    };
  }

  async create(
    title: string,
    confType: string | number | undefined,
    inviteList: string[],
  ): Promise<() => void> {
    this.requireLogin();
    if (this.current) throw conflict('already in a conference: hang up first');
    const type = confTypeOf(confType);
    try {
      const view = await this.room.session.link.request('conf.create', {
        title,
        confType: type,
        invite: inviteList,
      });
      return this.enter(view, view.confId);
    } catch (error) {
      throw fail(error, 'createConference');
    }
  }

  async call(peerId: string): Promise<() => void> {
    this.requireLogin();
    const match = /^\\c\\(.+)$/.exec(peerId.trim());
    if (!match) throw conflict('calls to users are not supported; use createConference with inviteList');
    if (this.current) throw conflict('already in a conference: hang up first');
    const cid = match[1];
    try {
      const view = await this.room.session.link.request('conf.join', { cid });
      return this.enter(view, cid);
    } catch (error) {
      if (error instanceof LinkError && error.code === 'not_found') {
        return () => this.events.emit('rejectReceived', { cause: CAUSE_NOT_FOUND, peerId: peerId.trim() });
      }
      throw fail(error, 'call');
    }
  }

  async accept(): Promise<() => void> {
    const invitation = this.invitation;
    if (!invitation) throw conflict('there is no invitation to accept');
    try {
      const view = await this.room.session.link.request('conf.accept', { confId: invitation.confId });
      return this.enter(view, view.confId);
    } catch (error) {
      // Dropped once the failure reply is out (replies are sent before any setImmediate callback runs).
      if (error instanceof LinkError && error.code === 'not_found') setImmediate(() => this.dropInvitation());
      throw fail(error, 'accept');
    }
  }

  async reject(): Promise<() => void> {
    const invitation = this.invitation;
    if (!invitation) throw conflict('there is no invitation to reject');
    this.invitation = null;
    try {
      await this.room.session.link.request('conf.reject', { confId: invitation.confId });
    } catch (error) {
      this.room.logger.debug({ err: (error as Error).message }, 'rejection not delivered');
    }
    return () => {
      this.events.emit('rejectSent', {
        peerId: invitation.from.peerId,
        peerDn: invitation.from.peerDn,
        cause: 0,
        confId: invitation.confId,
      });
      this.room.session.setConferenceState(this.current ? AppState.InConference : null);
    };
  }

  async hangUp(forAll: boolean): Promise<() => void> {
    const current = this.current;
    if (!current) throw conflict('not in a conference');
    if (forAll && current.owner !== this.room.session.identity?.peerId) {
      throw forbidden('only the owner may end the conference for everyone');
    }
    try {
      await this.room.session.link.request('conf.leave', { forAll });
    } catch (error) {
      if (error instanceof LinkError && error.code === 'forbidden') throw fail(error, 'hangUp');
      // Any other failure: the link is gone and the hub drops us from the conference anyway.
    }
    // Ended meanwhile (conf.ended, or the link dropped): that was announced already.
    if (this.current !== current) return () => undefined;
    this.current = null;
    // Events follow the reply: appState 6, conferenceDeleted, then appState 3 (room-api.md §5).
    return () => {
      this.room.session.setConferenceState(AppState.Leaving);
      this.left(current.confId);
    };
  }

  private left(confId: string): void {
    this.events.emit('conferenceDeleted', { confId });
    this.room.session.setConferenceState(this.invitation ? AppState.Calling : null);
  }

  async invite(peerId: string): Promise<void> {
    if (!this.current) throw conflict('not in a conference');
    try {
      await this.room.session.link.request('conf.invite', { peerId });
    } catch (error) {
      throw fail(error, 'inviteToConference');
    }
  }

  conferences() {
    const current = this.current;
    if (!current) return {};
    return {
      confId: current.confId,
      id: current.id,
      confType: current.confType,
      confTitle: current.title,
      conferenceOwner: current.owner,
      confState: 1,
    };
  }

  participants() {
    const current = this.current;
    if (!current) return { participants: [] };
    return {
      confId: current.confId,
      participants: [...current.participants].map(([peerId, p]) => ({
        peerId,
        peerDn: p.peerDn,
        role: p.role,
      })),
    };
  }

  /**
   * The accounts present in the conference other than ours: whom a conference send is offered to (the hub makes
   * one offer per other account present, docs/decisions.md).
   */
  otherAccountsPresent(): number {
    const current = this.current;
    if (!current) return 0;
    const self = this.room.session.identity?.peerId;
    const accounts = new Set([...current.participants.keys()].map((instanceId) => instanceId.split('/')[0]));
    if (self) accounts.delete(self);
    return accounts.size;
  }

  private dropInvitation(): void {
    this.invitation = null;
    this.room.session.setConferenceState(this.current ? AppState.InConference : null);
  }

  onPush(push: LinkPush): void {
    switch (push.push) {
      case 'conf.invite': {
        const { confId, title, confType, from } = push;
        this.invitation = { confId, title, confType, from };
        if (!this.current) this.room.session.setConferenceState(AppState.Calling);
        this.events.emit('inviteReceived', {
          peerId: from.peerId,
          peerDn: from.peerDn,
          type: confType,
          confTitle: title,
          confId,
        });
        break;
      }
      case 'conf.joined': {
        const { confId, peerId, peerDn, role } = push;
        if (this.current?.confId !== confId) return;
        this.current.participants.set(peerId, { peerDn, role });
        this.events.emit('newParticipantInConference', { peerId, peerDn, confId, role });
        break;
      }
      case 'conf.left':
        if (this.current?.confId !== push.confId) return;
        this.current.participants.delete(push.peerId);
        this.events.emit('participantLeftConference', { peerId: push.peerId, confId: push.confId });
        break;
      case 'conf.ended':
        if (this.current?.confId !== push.confId) return;
        this.current = null;
        this.left(push.confId);
        break;
      case 'conf.uninvite':
        if (this.invitation?.confId === push.confId) this.dropInvitation();
        break;
      case 'conf.rejected':
        this.events.emit('rejectReceived', { cause: 0, peerId: push.peerId, peerDn: push.peerDn });
        break;
      default:
        this.room.logger.debug({ push: push.push }, 'push not for conferences');
    }
  }
}
