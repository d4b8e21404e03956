import { randomBytes } from 'node:crypto';
import {
  ConferenceRole,
  type ConferenceView,
  type LinkPushFields,
  type LinkPushName,
} from '../protocol/hub-link.js';
import type { Accounts } from './accounts.js';
import type { LinkRegistry } from './link-registry.js';
import type { LinkSession } from './link-session.js';
import { LinkOpError } from './link-op-error.js';
import type { HubQueries } from './repository.js';

export interface Participant {
  session: LinkSession;
  instanceId: string;
  peerId: string;
  peerDn: string;
  role: ConferenceRole;
}

export interface Conference {
  confId: string;
  title: string;
  confType: number;
  ownerPeerId: string;
  /** The CID of a named conference (joinable as `\c\<CID>`), or null for an ad-hoc one. */
  cid: string | null;
  participants: Map<string, Participant>;
  /** Accounts invited and not yet answered, with who invited them. */
  invited: Map<string, { by: LinkSession }>;
}

/**
 * Running conferences. They live in memory: a conference is a meeting of rooms that are connected now, so it
 * ends when its last participant leaves, and a room whose link drops leaves it. Named conferences (created by
 * `roomfiles hub conference add`) are stored; each time someone joins an empty one it starts a new session.
 */
export class Conferences {
  private readonly running = new Map<string, Conference>();

  constructor(
    private readonly repo: HubQueries,
    private readonly accounts: Accounts,
    private readonly links: LinkRegistry,
  ) {}

  private newConfId(): string {
    return `${randomBytes(8).toString('hex')}@${this.accounts.domain}#vcs`;
  }

  conferenceOf(session: LinkSession): Conference | undefined {
    for (const conference of this.running.values()) {
      if (session.instanceId && conference.participants.has(session.instanceId)) return conference;
    }
    return undefined;
  }

  /** One entry per other account present (a file offer goes to an account, not to each of its rooms). */
  otherAccounts(conference: Conference, session: LinkSession) {
    const seen = new Map<string, { name: string; peerId: string; peerDn: string }>();
    for (const participant of conference.participants.values()) {
      if (participant.peerId === session.peerId) continue;
      const name = participant.session.account?.name;
      if (name && !seen.has(name))
        seen.set(name, { name, peerId: participant.peerId, peerDn: participant.peerDn });
    }
    return [...seen.values()];
  }

  view(conference: Conference): ConferenceView {
    return {
      confId: conference.confId,
      title: conference.title,
      confType: conference.confType,
      owner: conference.ownerPeerId,
      participants: [...conference.participants.values()].map((p) => ({
        peerId: p.instanceId,
        peerDn: p.peerDn,
        role: p.role,
      })),
    };
  }

  private broadcast<P extends LinkPushName>(
    conference: Conference,
    name: P,
    fields: LinkPushFields<P>,
    except?: LinkSession,
  ): void {
    for (const participant of conference.participants.values()) {
      if (participant.session !== except) participant.session.push(name, fields);
    }
  }

  private join(conference: Conference, session: LinkSession, role: ConferenceRole): void {
    const participant: Participant = {
      session,
      instanceId: session.instanceId!,
      peerId: session.peerId!,
      peerDn: session.account!.displayName,
      role,
    };
    conference.participants.set(participant.instanceId, participant);
    conference.invited.delete(session.peerId!);
    this.broadcast(
      conference,
      'conf.joined',
      { confId: conference.confId, peerId: participant.instanceId, peerDn: participant.peerDn, role },
      session,
    );
  }

  private ensureFree(session: LinkSession): void {
    if (this.conferenceOf(session))
      throw new LinkOpError('conflict', 'already in a conference; hang up first');
  }

  private async invite(conference: Conference, from: LinkSession, peerIds: string[]): Promise<void> {
    // One invitation per account, however often (and however spelled: `bob`, `Bob@domain`) the list names it.
    const invitedNow = new Set<string>();
    for (const peerId of peerIds) {
      const account = await this.accounts.find(peerId);
      if (!account) continue;
      const target = this.accounts.peerIdOf(account.name);
      if (target === from.peerId || invitedNow.has(target)) continue;
      invitedNow.add(target);
      conference.invited.set(target, { by: from });
      this.links.pushTo(target, 'conf.invite', {
        confId: conference.confId,
        title: conference.title,
        confType: conference.confType,
        from: { peerId: from.peerId!, peerDn: from.account!.displayName },
      });
    }
  }

  async create(session: LinkSession, title: string, confType: number, invite: string[]) {
    this.ensureFree(session);
    const conference: Conference = {
      confId: this.newConfId(),
      title: title || `${session.account!.displayName}'s conference`,
      confType,
      ownerPeerId: session.peerId!,
      cid: null,
      participants: new Map(),
      invited: new Map(),
    };
    this.running.set(conference.confId, conference);
    this.join(conference, session, ConferenceRole.Owner);
    await this.invite(conference, session, invite);
    return this.view(conference);
  }

  async joinNamed(session: LinkSession, cid: string) {
    this.ensureFree(session);
    const named = await this.repo.getConference(cid);
    if (!named) throw new LinkOpError('not_found', `conference ${cid} does not exist`);
    let conference = [...this.running.values()].find((c) => c.cid === cid);
    if (!conference) {
      conference = {
        confId: this.newConfId(),
        title: named.title,
        confType: 1,
        ownerPeerId: session.peerId!,
        cid,
        participants: new Map(),
        invited: new Map(),
      };
      this.running.set(conference.confId, conference);
    }
    this.join(
      conference,
      session,
      conference.participants.size === 0 ? ConferenceRole.Owner : ConferenceRole.Participant,
    );
    return this.view(conference);
  }

  accept(session: LinkSession, confId: string) {
    this.ensureFree(session);
    const conference = this.running.get(confId);
    if (!conference || !conference.invited.has(session.peerId!)) {
      throw new LinkOpError('not_found', `no invitation to conference ${confId}`);
    }
    this.join(conference, session, ConferenceRole.Participant);
    return this.view(conference);
  }

  reject(session: LinkSession, confId: string): void {
    const conference = this.running.get(confId);
    const invitation = conference?.invited.get(session.peerId!);
    if (!conference || !invitation)
      throw new LinkOpError('not_found', `no invitation to conference ${confId}`);
    conference.invited.delete(session.peerId!);
    invitation.by.push('conf.rejected', {
      confId,
      peerId: session.peerId!,
      peerDn: session.account!.displayName,
    });
  }

  async inviteMore(session: LinkSession, peerId: string): Promise<void> {
    const conference = this.conferenceOf(session);
    if (!conference) throw new LinkOpError('conflict', 'not in a conference');
    if (conference.participants.get(session.instanceId!)?.role !== ConferenceRole.Owner) {
      throw new LinkOpError('forbidden', 'only the owner of the conference may invite');
    }
    const account = await this.accounts.find(peerId);
    if (!account) throw new LinkOpError('not_found', `user ${peerId} does not exist`);
    await this.invite(conference, session, [peerId]);
  }

  leave(session: LinkSession, forAll: boolean): { confId: string } {
    const conference = this.conferenceOf(session);
    if (!conference) throw new LinkOpError('conflict', 'not in a conference');
    const me = conference.participants.get(session.instanceId!)!;
    if (forAll) {
      if (me.role !== ConferenceRole.Owner)
        throw new LinkOpError('forbidden', 'only the owner may end the conference for everyone');
      this.end(conference, session);
      return { confId: conference.confId };
    }
    this.remove(conference, me.instanceId);
    return { confId: conference.confId };
  }

  private end(conference: Conference, by: LinkSession | null): void {
    this.running.delete(conference.confId);
    this.broadcast(conference, 'conf.ended', { confId: conference.confId }, by ?? undefined);
    conference.participants.clear();
    this.withdrawInvitations(conference);
  }

  private remove(conference: Conference, instanceId: string): void {
    conference.participants.delete(instanceId);
    if (conference.participants.size === 0) {
      this.running.delete(conference.confId);
      this.withdrawInvitations(conference);
      return;
    }
    this.broadcast(conference, 'conf.left', { confId: conference.confId, peerId: instanceId });
  }

  /** A conference that ended takes back its open invitations: the invitees stop being called (appState 4). */
  private withdrawInvitations(conference: Conference): void {
    for (const peerId of conference.invited.keys()) {
      this.links.pushTo(peerId, 'conf.uninvite', { confId: conference.confId });
    }
    conference.invited.clear();
  }

  /** A room whose link closed or that logged out leaves whatever conference it was in. */
  onSessionGone(session: LinkSession, instanceId: string | null): void {
    if (!instanceId) return;
    for (const conference of [...this.running.values()]) {
      if (conference.participants.has(instanceId)) this.remove(conference, instanceId);
      if (session.peerId) conference.invited.delete(session.peerId);
    }
  }
}
