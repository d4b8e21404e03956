import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
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
import type {
  ConferenceMemberRow,
  HubQueries,
  HubRepository,
  MemberCondition,
  RunningConferenceRow,
} from './repository.js';

/** A running conference with the rooms present in it, in the order they joined. */
export interface Conference extends RunningConferenceRow {
  members: ConferenceMemberRow[];
}

/** How often a process renews the presence of the rooms it holds, and after how long without it a room is gone. */
export interface PresenceLease {
  renewMs: number;
  staleMs: number;
}

export const DEFAULT_PRESENCE_LEASE: PresenceLease = { renewMs: 5000, staleMs: 20_000 };

/** Pushes to make once the change that caused them is committed (and, for an op, once its reply is sent). */
type Pushes = (() => void)[];

/**
 * Running conferences, kept in the repository so that every hub process sees the same ones: which run, which room
 * is present in which (a room is in one at most), who is invited. A conference is a meeting of rooms connected
 * now: it ends when its last participant leaves, and a room whose link drops, that logs out or that logs in
 * again leaves it. Named conferences (`roomfiles hub conference add`) are stored apart; each time someone joins an
 * empty one it starts a new session.
 *
 * A room's presence belongs to the process holding its link, which renews it every `renewMs`; a process that dies
 * (kill -9, a lost machine) renews nothing, and after `staleMs` any other process takes its rooms out, telling the
 * others present. Each change of a conference's members is one transaction that locks the conference's row
 * first, so that processes changing it at once do so one after the other. Pushes go through the link registry
 * (to the process holding each room's link) after the change is committed and after the op's reply.
 */
export class Conferences {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Departures under way (links closed), awaited by `stop`. */
  private readonly leaving = new Set<Promise<void>>();

  constructor(
    private readonly parts: {
      repo: HubRepository;
      accounts: Accounts;
      links: LinkRegistry;
      /** This process's name: the owner of the presence rows of the rooms it holds. */
      process: string;
      logger: Logger;
      lease?: PresenceLease;
      /** True when no other hub process shares the repository (SQLite). */
      alone?: boolean;
    },
  ) {}

  private get repo(): HubRepository {
    return this.parts.repo;
  }

  private get lease(): PresenceLease {
    return this.parts.lease ?? DEFAULT_PRESENCE_LEASE;
  }

  /**
   * Starts renewing this process's presence rows and removing those of processes that are gone. Called before the
   * process takes links: a process alone on its database (SQLite) first removes every presence left by an earlier
   * run, which cannot be there any more.
   */
  async start(): Promise<void> {
    this.stopped = false;
    if (this.parts.alone) await this.sweep(Number.MAX_SAFE_INTEGER);
    this.timer = setInterval(() => void this.keepPresence(), this.lease.renewMs);
    this.timer.unref();
  }

  /**
   * Takes the rooms of this process out of their conferences (the others present are told) before the process
   * stops holding links; a process that stops in order leaves nothing for the others to clean.
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.leaving]);
    const departures = [...this.parts.links.sessions]
      .filter((session) => session.instanceId)
      .map((session) => this.leaveQuietly(session.instanceId!, { link: this.linkOf(session) }));
    await Promise.allSettled(departures);
    this.stopped = true;
  }

  /** One tick of the lease: renews this process's rooms, then takes out those no process renewed in time. */
  async keepPresence(now = Date.now()): Promise<void> {
    try {
      await this.repo.renewConferencePresence(this.parts.process, now);
      await this.sweep(now - this.lease.staleMs);
    } catch (error) {
      this.parts.logger.warn({ err: (error as Error).message }, 'keeping conference presence failed');
    }
  }

  /** Takes out of their conferences the rooms whose presence was not renewed since `seenBefore`. */
  private async sweep(seenBefore: number): Promise<void> {
    for (const member of await this.repo.staleConferenceMembers(seenBefore)) {
      // Only if still not renewed: its process may have come back meanwhile.
      const pushes = await this.repo.transaction((tx) => this.leaveIn(tx, member.instanceId, { seenBefore }));
      if (pushes.length > 0)
        this.parts.logger.info(
          { instanceId: member.instanceId, process: member.process },
          'a room whose hub process is gone left its conference',
        );
      this.push(pushes);
    }
  }

  private newConfId(): string {
    return `${randomBytes(8).toString('hex')}@${this.parts.accounts.domain}#vcs`;
  }

  private linkOf(session: LinkSession): string {
    return `${this.parts.process}/${session.id}`;
  }

  /** The conference this room is in now, with everyone present; undefined outside one. */
  async conferenceOf(session: LinkSession): Promise<Conference | undefined> {
    if (!session.instanceId) return undefined;
    const me = await this.repo.conferenceMemberOf(session.instanceId);
    if (!me) return undefined;
    const running = await this.repo.getRunningConference(me.confId);
    if (!running) return undefined;
    return { ...running, members: await this.repo.conferenceMembers(me.confId) };
  }

  /** One entry per other account present (a file offer goes to an account, not to each of its rooms). */
  otherAccounts(conference: Conference, session: LinkSession) {
    const seen = new Map<string, { name: string; peerId: string; peerDn: string }>();
    for (const member of conference.members) {
      if (member.peerId === session.peerId || seen.has(member.account)) continue;
      seen.set(member.account, { name: member.account, peerId: member.peerId, peerDn: member.peerDn });
    }
    return [...seen.values()];
  }

  view(conference: RunningConferenceRow, members: ConferenceMemberRow[]): ConferenceView {
    return {
      confId: conference.confId,
      title: conference.title,
      confType: conference.confType,
      owner: conference.ownerPeerId,
      participants: members.map((m) => ({
        peerId: m.instanceId,
        peerDn: m.peerDn,
        role: m.role as ConferenceRole,
      })),
    };
  }

  /** Pushes made after the reply to the op that caused them has gone out ("reply, then push"). */
  private afterReply(pushes: Pushes): void {
    if (pushes.length > 0) setImmediate(() => this.push(pushes));
  }

  private push(pushes: Pushes): void {
    for (const push of pushes) {
      try {
        push();
      } catch (error) {
        this.parts.logger.error({ err: error }, 'a conference push failed');
      }
    }
  }

  private toMembers<P extends LinkPushName>(
    members: ConferenceMemberRow[],
    name: P,
    fields: LinkPushFields<P>,
    exceptInstance?: string,
  ): Pushes {
    return members
      .filter((member) => member.instanceId !== exceptInstance)
      .map((member) => () => this.parts.links.pushToRoom(member.instanceId, name, fields));
  }

  private memberRow(session: LinkSession, confId: string, role: ConferenceRole): ConferenceMemberRow {
    const now = Date.now();
    return {
      instanceId: session.instanceId!,
      confId,
      peerId: session.peerId!,
      account: session.account!.name,
      peerDn: session.account!.displayName,
      role,
      process: this.parts.process,
      link: this.linkOf(session),
      joinedAt: now,
      seenAt: now,
    };
  }

  /** Inside a transaction: adds the room, or refuses when it is in a conference already. */
  private async join(tx: HubQueries, member: ConferenceMemberRow): Promise<void> {
    if (!(await tx.joinConference(member)))
      throw new LinkOpError('conflict', 'already in a conference; hang up first');
  }

  private async ensureFree(tx: HubQueries, session: LinkSession): Promise<void> {
    if (await tx.conferenceMemberOf(session.instanceId!))
      throw new LinkOpError('conflict', 'already in a conference; hang up first');
  }

  /** The TrueConf IDs to invite: once per account, however often (and however spelled) the list names it. */
  private async invitees(from: LinkSession, peerIds: string[]): Promise<string[]> {
    const targets = new Set<string>();
    for (const peerId of peerIds) {
      const account = await this.parts.accounts.find(peerId);
      if (!account) continue;
      const target = this.parts.accounts.peerIdOf(account.name);
      if (target !== from.peerId) targets.add(target);
    }
    return [...targets];
  }

  private invitePushes(conference: RunningConferenceRow, from: LinkSession, targets: string[]): Pushes {
    return targets.map(
      (target) => () =>
        this.parts.links.pushTo(target, 'conf.invite', {
          confId: conference.confId,
          title: conference.title,
          confType: conference.confType,
          from: { peerId: from.peerId!, peerDn: from.account!.displayName },
        }),
    );
  }

  async create(session: LinkSession, title: string, confType: number, invite: string[]) {
    const targets = await this.invitees(session, invite);
    const conference: RunningConferenceRow = {
      confId: this.newConfId(),
      title: title || `${session.account!.displayName}'s conference`,
      confType,
      ownerPeerId: session.peerId!,
      cid: null,
      startedAt: Date.now(),
    };
    const me = this.memberRow(session, conference.confId, ConferenceRole.Owner);
    await this.repo.transaction(async (tx) => {
      await this.ensureFree(tx, session);
      await tx.startConference(conference);
      await this.join(tx, me);
      for (const peerId of targets)
        await tx.inviteToConference({ confId: conference.confId, peerId, by: me.instanceId });
    });
    this.afterReply(this.invitePushes(conference, session, targets));
    return this.view(conference, [me]);
  }

  async joinNamed(session: LinkSession, cid: string) {
    const named = await this.repo.getConference(cid);
    if (!named) throw new LinkOpError('not_found', `conference ${cid} does not exist`);
    const { running, members, me } = await this.repo.transaction(async (tx) => {
      await this.ensureFree(tx, session);
      // The running session of this CID, or a new one (another process may start it at the same moment: then
      // its insert wins and this one joins it).
      const fresh: RunningConferenceRow = {
        confId: this.newConfId(),
        title: named.title,
        confType: 1,
        ownerPeerId: session.peerId!,
        cid,
        startedAt: Date.now(),
      };
      let current = await tx.runningConferenceOf(cid);
      if (!current) {
        await tx.startConference(fresh);
        current = await tx.runningConferenceOf(cid);
      }
      const locked = current && (await tx.lockRunningConference(current.confId));
      if (!locked) throw new LinkOpError('conflict', `conference ${cid} is ending; call again`);
      const present = await tx.conferenceMembers(locked.confId);
      const role = present.length === 0 ? ConferenceRole.Owner : ConferenceRole.Participant;
      const member = this.memberRow(session, locked.confId, role);
      await this.join(tx, member);
      return { running: locked, members: present, me: member };
    });
    this.afterReply(this.joinedPushes(running, members, me));
    return this.view(running, [...members, me]);
  }

  private joinedPushes(
    conference: RunningConferenceRow,
    others: ConferenceMemberRow[],
    me: ConferenceMemberRow,
  ): Pushes {
    return this.toMembers(others, 'conf.joined', {
      confId: conference.confId,
      peerId: me.instanceId,
      peerDn: me.peerDn,
      role: me.role as ConferenceRole,
    });
  }

  async accept(session: LinkSession, confId: string) {
    const { running, members, me } = await this.repo.transaction(async (tx) => {
      await this.ensureFree(tx, session);
      const locked = await tx.lockRunningConference(confId);
      if (!locked || !(await tx.takeConferenceInvitation(confId, session.peerId!)))
        throw new LinkOpError('not_found', `no invitation to conference ${confId}`);
      const present = await tx.conferenceMembers(confId);
      const member = this.memberRow(session, confId, ConferenceRole.Participant);
      await this.join(tx, member);
      return { running: locked, members: present, me: member };
    });
    this.afterReply(this.joinedPushes(running, members, me));
    return this.view(running, [...members, me]);
  }

  async reject(session: LinkSession, confId: string): Promise<void> {
    const invitation = await this.repo.takeConferenceInvitation(confId, session.peerId!);
    if (!invitation) throw new LinkOpError('not_found', `no invitation to conference ${confId}`);
    const fields = { confId, peerId: session.peerId!, peerDn: session.account!.displayName };
    this.afterReply([() => this.parts.links.pushToRoom(invitation.by, 'conf.rejected', fields)]);
  }

  async inviteMore(session: LinkSession, peerId: string): Promise<void> {
    const conference = await this.conferenceOf(session);
    if (!conference) throw new LinkOpError('conflict', 'not in a conference');
    const me = conference.members.find((m) => m.instanceId === session.instanceId);
    if (me?.role !== ConferenceRole.Owner) {
      throw new LinkOpError('forbidden', 'only the owner of the conference may invite');
    }
    const account = await this.parts.accounts.find(peerId);
    if (!account) throw new LinkOpError('not_found', `user ${peerId} does not exist`);
    const targets = await this.invitees(session, [peerId]);
    await this.repo.transaction(async (tx) => {
      // Invitations to a conference that ended meanwhile would never be withdrawn.
      if (!(await tx.lockRunningConference(conference.confId)))
        throw new LinkOpError('conflict', 'not in a conference');
      for (const target of targets)
        await tx.inviteToConference({ confId: conference.confId, peerId: target, by: me.instanceId });
    });
    this.afterReply(this.invitePushes(conference, session, targets));
  }

  async leave(session: LinkSession, forAll: boolean): Promise<{ confId: string }> {
    const { confId, pushes } = await this.repo.transaction(async (tx) => {
      const me = await tx.conferenceMemberOf(session.instanceId!);
      const running = me && (await tx.lockRunningConference(me.confId));
      if (!me || !running) throw new LinkOpError('conflict', 'not in a conference');
      if (!forAll) return { confId: me.confId, pushes: await this.leaveIn(tx, me.instanceId) };
      if (me.role !== ConferenceRole.Owner)
        throw new LinkOpError('forbidden', 'only the owner may end the conference for everyone');
      return { confId: me.confId, pushes: await this.endIn(tx, running, me.instanceId) };
    });
    this.afterReply(pushes);
    return { confId };
  }

  /** Inside a transaction: ends a conference for everyone present but `by`, and withdraws its invitations. */
  private async endIn(tx: HubQueries, conference: RunningConferenceRow, by?: string): Promise<Pushes> {
    const members = await tx.conferenceMembers(conference.confId);
    const invitations = await tx.conferenceInvitations(conference.confId);
    await tx.removeRunningConference(conference.confId);
    return [
      ...this.toMembers(members, 'conf.ended', { confId: conference.confId }, by),
      ...this.uninvitePushes(
        conference.confId,
        invitations.map((i) => i.peerId),
      ),
    ];
  }

  /** A conference that ended takes back its open invitations: the invitees stop being called (appState 4). */
  private uninvitePushes(confId: string, peerIds: string[]): Pushes {
    return peerIds.map((peerId) => () => this.parts.links.pushTo(peerId, 'conf.uninvite', { confId }));
  }

  /**
   * Inside a transaction: takes a room out of its conference (as far as `only` allows), ending the conference
   * when it was the last one there. Resolves to the pushes that tell the others; none when nothing changed.
   */
  private async leaveIn(tx: HubQueries, instanceId: string, only?: MemberCondition): Promise<Pushes> {
    const member = await tx.conferenceMemberOf(instanceId);
    if (!member) return [];
    const running = await tx.lockRunningConference(member.confId);
    const removed = await tx.removeConferenceMember(instanceId, only);
    if (!removed) return [];
    if (!running) return [];
    const remaining = await tx.conferenceMembers(running.confId);
    if (remaining.length === 0) {
      const invitations = await tx.conferenceInvitations(running.confId);
      await tx.removeRunningConference(running.confId);
      return this.uninvitePushes(
        running.confId,
        invitations.map((i) => i.peerId),
      );
    }
    return this.toMembers(remaining, 'conf.left', { confId: running.confId, peerId: instanceId });
  }

  /** Takes a room out of its conference now, telling the others (no reply to wait for). */
  private async leaveQuietly(instanceId: string, only?: MemberCondition): Promise<void> {
    // Most logins and closed links concern a room in no conference: no transaction for them.
    if (!(await this.repo.conferenceMemberOf(instanceId))) return;
    const pushes = await this.repo.transaction((tx) => this.leaveIn(tx, instanceId, only));
    this.push(pushes);
  }

  /**
   * A room that logs in (again) starts outside any conference: whatever membership its presence still has (its
   * previous link on a process that died, or not yet noticed as closed) ends now.
   */
  async onLogin(instanceId: string): Promise<void> {
    await this.leaveQuietly(instanceId);
  }

  /** A room whose link closed or that logged out leaves whatever conference it was in through that link. */
  onSessionGone(session: LinkSession, instanceId: string | null): void {
    if (!instanceId || this.stopped) return;
    const peerId = session.peerId;
    const gone = (async () => {
      await this.leaveQuietly(instanceId, { link: this.linkOf(session) });
      if (peerId) await this.repo.dropConferenceInvitationsOf(peerId);
    })()
      .catch((error: unknown) =>
        this.parts.logger.warn({ err: (error as Error).message, instanceId }, 'leaving a conference failed'),
      )
      .finally(() => this.leaving.delete(gone));
    this.leaving.add(gone);
  }
}
