/**
 * Hub metadata behind one interface, so that SQLite (the default) and PostgreSQL (for several hub processes)
 * are interchangeable. Every method is async and the SQL of both implementations stays portable. Any
 * implementation must pass test/hub/repository-contract.ts.
 */
import type { Status } from '../protocol/common-types.js';
import type { OfferState, SendEndReason } from '../protocol/hub-link.js';

export interface AccountRow {
  /** The local part of the TrueConf ID: `alice` in `alice@files.local`. */
  name: string;
  displayName: string;
  passwordHash: string;
  fileTransfer: boolean;
  locked: boolean;
  createdAt: number;
}

export type AccountChanges = Partial<
  Pick<AccountRow, 'displayName' | 'passwordHash' | 'fileTransfer' | 'locked'>
>;

/** One sendFile or sendFileToConference: what the sender offered, once. */
export interface SendRow {
  sendId: string;
  sender: string;
  senderDn: string;
  fileName: string;
  fileSize: number;
  sha256: string;
  confId: string | null;
  createdAt: number;
  expiresAt: number;
  /** The status the sender's room last confirmed it shows (0–3), so changes are re-sent until confirmed. */
  seenStatus: Status;
  /** True once the hub held the whole verified body for this send. */
  uploaded: boolean;
  /** True when the send ended before its body was held (expired, failed): nothing more will be uploaded. */
  closed: boolean;
  closedReason: SendEndReason | null;
}

/** One recipient's copy of a send. */
export interface OfferRow {
  offerId: string;
  sendId: string;
  recipient: string;
  state: OfferState;
  /** Whether the recipient's room confirmed it stored the offer. */
  delivered: boolean;
  /** The recipient state its room last confirmed, so changes (expiry, failure) are re-sent until confirmed. */
  seenState: OfferState | null;
  /** The instance that accepted it: only that room may download it. */
  acceptedBy: string | null;
  updatedAt: number;
}

export interface ConferenceRow {
  cid: string;
  title: string;
  createdAt: number;
}

/** A conference running now: in the database, so that every hub process sees the same ones. */
export interface RunningConferenceRow {
  confId: string;
  title: string;
  confType: number;
  /** The TrueConf ID of the account that started it. */
  ownerPeerId: string;
  /** The named conference this is a session of (at most one runs per CID), or null for an ad-hoc one. */
  cid: string | null;
  startedAt: number;
}

/**
 * A room present in a running conference (a room is in one at most). Its row is owned by the hub process holding
 * the room's link, which renews `seenAt` while it lives: a row not renewed for a while is a room whose process
 * died, and any process removes it (src/hub/conferences.ts).
 */
export interface ConferenceMemberRow {
  /** The room's presence, `peerId/instance`. */
  instanceId: string;
  confId: string;
  peerId: string;
  /** The account's name (a conference send goes to each account present once). */
  account: string;
  peerDn: string;
  role: number;
  /** The hub process holding the room's link. */
  process: string;
  /** That link, `process/session`: only its own closing takes the room out (not a later link of the same room). */
  link: string;
  joinedAt: number;
  /** When the owning process last said the room is still there (ms, that process's clock). */
  seenAt: number;
}

/** An account invited to a running conference that has not answered yet. */
export interface ConferenceInvitationRow {
  confId: string;
  /** The invited account's TrueConf ID. */
  peerId: string;
  /** The room that invited it (InstanceId): a rejection is told to it. */
  by: string;
}

/** Which member row `removeConferenceMember` may remove: only that link's, only one not renewed since. */
export interface MemberCondition {
  link?: string;
  seenBefore?: number;
}

/** The reads and writes of the hub's rows: on the repository itself, or on a transaction it opened. */
export interface HubQueries {
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;

  getAccount(name: string): Promise<AccountRow | undefined>;
  listAccounts(): Promise<AccountRow[]>;
  /** Adds an account; false when the name is taken. */
  addAccount(account: AccountRow): Promise<boolean>;
  updateAccount(name: string, changes: AccountChanges): Promise<boolean>;
  removeAccount(name: string): Promise<boolean>;

  insertSend(send: SendRow, offers: OfferRow[]): Promise<void>;
  getSend(sendId: string): Promise<SendRow | undefined>;
  updateSend(
    sendId: string,
    changes: Partial<Pick<SendRow, 'seenStatus' | 'uploaded' | 'closed' | 'closedReason'>>,
  ): Promise<void>;
  sendsBySender(sender: string): Promise<SendRow[]>;
  sendsBySha(sha256: string): Promise<SendRow[]>;
  /** Sends whose expiry passed and that still have something open. */
  expiredSends(now: number): Promise<SendRow[]>;

  getOffer(offerId: string): Promise<OfferRow | undefined>;
  offersOfSend(sendId: string): Promise<OfferRow[]>;
  offersForRecipient(recipient: string): Promise<OfferRow[]>;
  /**
   * Changes an offer's state only if it is currently one of `from`: the compare-and-set that keeps two rooms
   * (or two hub processes) from both accepting one offer. True when it changed.
   */
  transitionOffer(
    offerId: string,
    from: OfferState[],
    to: OfferState,
    extra: Partial<Pick<OfferRow, 'acceptedBy'>>,
    now: number,
  ): Promise<boolean>;
  markOfferDelivered(offerId: string): Promise<void>;
  markOfferSeen(offerId: string, state: OfferState): Promise<void>;
  /** Removes sends (and their offers) that are over and confirmed on every side. */
  pruneFinished(): Promise<number>;

  getConference(cid: string): Promise<ConferenceRow | undefined>;
  listConferences(): Promise<ConferenceRow[]>;
  addConference(row: ConferenceRow): Promise<boolean>;
  removeConference(cid: string): Promise<boolean>;

  /** Records a running conference; false when its confId, or a running session of its CID, exists already. */
  startConference(row: RunningConferenceRow): Promise<boolean>;
  getRunningConference(confId: string): Promise<RunningConferenceRow | undefined>;
  /** The running session of the named conference `cid`, if one runs. */
  runningConferenceOf(cid: string): Promise<RunningConferenceRow | undefined>;
  /**
   * Inside a transaction: locks the running conference's row until the transaction ends (changes of its members
   * and invitations made by several processes at once happen one after the other), and returns it.
   */
  lockRunningConference(confId: string): Promise<RunningConferenceRow | undefined>;
  /** Removes a running conference with its members and invitations; false when it was not running. */
  removeRunningConference(confId: string): Promise<boolean>;
  /** Adds a room to a conference; false when the room is in a conference already. */
  joinConference(member: ConferenceMemberRow): Promise<boolean>;
  conferenceMemberOf(instanceId: string): Promise<ConferenceMemberRow | undefined>;
  /** The rooms present in a conference, in the order they joined. */
  conferenceMembers(confId: string): Promise<ConferenceMemberRow[]>;
  /** Removes a room's membership (only as `only` allows) and returns it; undefined when nothing was removed. */
  removeConferenceMember(
    instanceId: string,
    only?: MemberCondition,
  ): Promise<ConferenceMemberRow | undefined>;
  /** The owning process says its rooms are still there: their `seenAt` becomes `now`. Resolves to how many. */
  renewConferencePresence(process: string, now: number): Promise<number>;
  /** Member rows not renewed since `seenBefore`: rooms whose hub process is gone. */
  staleConferenceMembers(seenBefore: number): Promise<ConferenceMemberRow[]>;
  /** Records an invitation (again: the latest inviter is kept). */
  inviteToConference(row: ConferenceInvitationRow): Promise<void>;
  /** Removes an invitation and returns it; undefined when there was none. */
  takeConferenceInvitation(confId: string, peerId: string): Promise<ConferenceInvitationRow | undefined>;
  conferenceInvitations(confId: string): Promise<ConferenceInvitationRow[]>;
  /** Forgets every invitation of an account (its room left); resolves to how many. */
  dropConferenceInvitationsOf(peerId: string): Promise<number>;
}

/** Stops a watch started by `watchExternalChanges`. */
export type StopWatching = () => void;

export interface HubRepository extends HubQueries {
  /**
   * Runs `work` in one transaction: every write made through `tx` is committed together, or none is when `work`
   * throws. Work inside uses `tx` only (calls on the repository itself wait until the transaction ends) and waits
   * on nothing else, since other writers wait for it meanwhile. Pushes and other effects belong after it.
   */
  transaction<T>(work: (tx: HubQueries) => Promise<T>): Promise<T>;
  /**
   * Declared by a repository that other processes can change (`roomfiles hub user …` on the same SQLite file,
   * another hub process on the same PostgreSQL): calls `listener` after such a change was committed.
   */
  watchExternalChanges?(listener: () => void): StopWatching;
  /**
   * Declared by a repository that must be brought up before use (PostgreSQL: connect, apply schema migrations):
   * resolves when it is usable, rejects with why not. The hub awaits it at start.
   */
  ready?(): Promise<void>;
  /**
   * Declared by a repository that several hub processes share: runs `work` unless another process is running work
   * of the same `name` (then resolves false at once, without running it). Keeps periodic jobs (expiry) to one
   * process at a time.
   */
  exclusively?(name: string, work: () => Promise<void>): Promise<boolean>;
  /** Declared by a repository on a server: whether it answers now (for GET /health). */
  reachable?(): Promise<boolean>;
  close(): Promise<void>;
}
