import { Type as T, type Static, type TObject } from '@sinclair/typebox';
import { FileRequestStatus, StatusReason } from './common-types.js';
import { ConferenceRole } from './codes.js';

/**
 * The room↔hub link (docs/hub-protocol.md): JSON text frames over one WebSocket per room. It is not the Room API
 * and shares none of its shapes; the hub never sees Room API JSON. Every op has the schema of its arguments and of
 * its reply, every push the schema of its fields: both ends check what they receive against this table.
 */
export const LINK_PATH = '/link';
/** The version is the WebSocket subprotocol: a hub refuses a room that speaks another one. */
export const LINK_SUBPROTOCOL = 'roomfiles-link.1';
export const LINK_MAX_MESSAGE_BYTES = 256 * 1024;

export const LinkErrorCodes = [
  'bad_request',
  'unauthorized',
  'not_found',
  'wrong_password',
  'locked',
  'forbidden',
  'conflict',
  'too_large',
  'internal',
] as const;
export type LinkErrorCode = (typeof LinkErrorCodes)[number];

/** A body's content address: its sha256 in lower-case hex. */
export const Sha256 = T.String({ pattern: '^[0-9a-f]{64}$' });
/** Ids of sends and offers: UUIDs in lower case. */
export const Uuid = T.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const PeerId = T.String({ minLength: 1, maxLength: 320 });
const DisplayName = T.String({ maxLength: 1024 });
const ConfId = T.String({ maxLength: 200 });
const Millis = T.Integer({ minimum: 0 });
const Bytes = T.Integer({ minimum: 0 });
/** `peerId/instance`: one room's presence (room-api.md §5 InstanceId). */
const InstanceId = T.String({ minLength: 1, maxLength: 400 });
/** Titles the hub reports: an operator's named conference may have a longer one than a room may ask for. */
const Title = T.String({ maxLength: 1024 });
const Peer = T.Object({ peerId: PeerId, peerDn: DisplayName });
export { ConferenceRole } from './codes.js';
const Role = T.Union([T.Literal(ConferenceRole.Participant), T.Literal(ConferenceRole.Owner)]);

// --- shapes shared by several ops and pushes ---------------------------------------------------------------

export const OfferStates = [
  'waiting',
  'accepted',
  'rejected',
  'expired',
  'failed',
  'done',
  'cancelled',
] as const;
export const OfferStateSchema = T.Union(OfferStates.map((state) => T.Literal(state)));
/** Where one recipient's copy of a send stands at the hub. */
export type OfferState = (typeof OfferStates)[number];

/** Why a send ended without its body reaching the hub: the statusReason its outgoing request shows. */
export const SendEndReasonSchema = StatusReason;
export type SendEndReason = Static<typeof SendEndReasonSchema>;

/** A send's status is the status its sender's outgoing request shows (room-api.md §6). */
export const SendStatusSchema = FileRequestStatus;

/** An offer as its recipient sees it. */
export const IncomingOfferSchema = T.Object({
  offerId: Uuid,
  from: Peer,
  fileName: T.String({ minLength: 1, maxLength: 1024 }),
  fileSize: Bytes,
  sha256: Sha256,
  confId: T.Optional(ConfId),
  createdAt: Millis,
  state: OfferStateSchema,
});
export type IncomingOffer = Static<typeof IncomingOfferSchema>;

/** A send as its sender sees it: the status its outgoing request should show. */
export const SendStateSchema = T.Object({
  sendId: Uuid,
  status: SendStatusSchema,
  reason: T.Optional(SendEndReasonSchema),
  /**
   * Why the send failed, in words, when the hub knows more than `reason` says (over quota, the hub's store is full,
   * the upload stalled): the sender's room logs it and shows it in getFileRequestInfo. Only on the push that
   * reports the failure; a later sync does not repeat it (the room keeps what it was told).
   */
  detail: T.Optional(T.String({ maxLength: 500 })),
  /** Bytes of the body the hub already holds (resume from here). */
  held: Bytes,
});
export type SendState = Static<typeof SendStateSchema>;

/** A running conference as a participant sees it. */
export const ConferenceViewSchema = T.Object({
  confId: ConfId,
  title: Title,
  confType: T.Integer({ minimum: 1, maximum: 3 }),
  owner: PeerId,
  participants: T.Array(
    T.Object({
      /** The participant's InstanceId (room-api.md §5). */
      peerId: InstanceId,
      peerDn: DisplayName,
      role: Role,
    }),
  ),
});
export type ConferenceView = Static<typeof ConferenceViewSchema>;

const Done = T.Object({});

function op<A extends TObject, R extends TObject>(args: A, reply: R) {
  return { args, reply };
}

/** Requests a room sends, by `op`: their arguments and the hub's reply. */
export const linkOps = {
  hello: op(
    T.Object({
      room: T.String({ maxLength: 100 }),
      instance: T.String({ pattern: '^[0-9a-f]{8}$' }),
      software: T.String({ maxLength: 100 }),
    }),
    T.Object({ domain: T.String({ minLength: 1, maxLength: 253 }), hubId: T.String({ maxLength: 64 }) }),
  ),
  login: op(
    T.Object({
      login: T.String({ minLength: 1, maxLength: 320 }),
      password: T.String({ maxLength: 1024 }),
    }),
    T.Object({
      peerId: PeerId,
      peerDn: DisplayName,
      instanceId: InstanceId,
      fileTransfer: T.Boolean(),
      /** Bearer token for the hub's body routes, valid while this login lasts. */
      session: T.String({ minLength: 1, maxLength: 256 }),
    }),
  ),
  logout: op(T.Object({}), Done),
  /** Everything a room should show that it may have missed: run at every login. */
  sync: op(
    T.Object({}),
    T.Object({ incoming: T.Array(IncomingOfferSchema), sends: T.Array(SendStateSchema) }),
  ),
  'offer.create': op(
    T.Object({
      sendId: Uuid,
      to: T.Optional(PeerId),
      conference: T.Optional(T.Boolean()),
      fileName: T.String({ minLength: 1, maxLength: 1024 }),
      fileSize: Bytes,
      sha256: Sha256,
    }),
    T.Object({
      sendId: Uuid,
      /** When the hub recorded the send: both sides use it as the request's timestamp. */
      createdAt: Millis,
      confId: T.Optional(ConfId),
      offers: T.Array(T.Object({ offerId: Uuid, peerId: PeerId, peerDn: DisplayName })),
    }),
  ),
  'offer.seen': op(
    T.Object({
      offers: T.Array(T.Object({ offerId: Uuid, state: OfferStateSchema }), { maxItems: 10000 }),
    }),
    Done,
  ),
  'offer.accept': op(T.Object({ offerId: Uuid }), Done),
  'offer.reject': op(T.Object({ offerId: Uuid }), Done),
  'offer.done': op(T.Object({ offerId: Uuid }), Done),
  'offer.failed': op(T.Object({ offerId: Uuid, reason: T.String({ maxLength: 200 }) }), Done),
  'send.seen': op(T.Object({ sendId: Uuid, status: SendStatusSchema }), Done),
  'conf.create': op(
    T.Object({
      title: T.String({ maxLength: 256 }),
      confType: T.Integer({ minimum: 1, maximum: 3 }),
      invite: T.Array(PeerId, { maxItems: 500 }),
    }),
    ConferenceViewSchema,
  ),
  'conf.join': op(T.Object({ cid: T.String({ minLength: 1, maxLength: 100 }) }), ConferenceViewSchema),
  'conf.accept': op(T.Object({ confId: ConfId }), ConferenceViewSchema),
  'conf.reject': op(T.Object({ confId: ConfId }), Done),
  'conf.leave': op(T.Object({ forAll: T.Boolean() }), T.Object({ confId: ConfId })),
  'conf.invite': op(T.Object({ peerId: PeerId }), Done),
} satisfies Record<string, { args: TObject; reply: TObject }>;

export type LinkOp = keyof typeof linkOps;
export type LinkArgs<O extends LinkOp> = Static<(typeof linkOps)[O]['args']>;
export type LinkResult<O extends LinkOp> = Static<(typeof linkOps)[O]['reply']>;

/** What the hub tells a room without being asked, by `push`: the fields of each. */
export const linkPushes = {
  /** The account's permission to transfer files changed. */
  policy: T.Object({ fileTransfer: T.Boolean() }),
  /** The hub ended this login: the account was removed or locked. */
  loggedOut: T.Object({ reason: T.Union([T.Literal('locked'), T.Literal('removed')]) }),
  /** A new offer for an account logged in on this room. */
  offer: T.Object({ offer: IncomingOfferSchema }),
  /** An offer to this account changed (expired, failed, cancelled, or decided by another of its rooms). */
  'offer.state': T.Object({ offerId: Uuid, state: OfferStateSchema }),
  /** A send of this account changed: the status its outgoing request should show. */
  'send.state': SendStateSchema,
  'conf.invite': T.Object({
    confId: ConfId,
    title: Title,
    confType: T.Integer({ minimum: 1, maximum: 3 }),
    from: Peer,
  }),
  'conf.joined': T.Object({
    confId: ConfId,
    peerId: InstanceId,
    peerDn: DisplayName,
    role: Role,
  }),
  'conf.left': T.Object({ confId: ConfId, peerId: InstanceId }),
  'conf.ended': T.Object({ confId: ConfId }),
  'conf.rejected': T.Object({ confId: ConfId, peerId: PeerId, peerDn: DisplayName }),
  /** The conference ended before the invitation was answered. */
  'conf.uninvite': T.Object({ confId: ConfId }),
} satisfies Record<string, TObject>;

export type LinkPushName = keyof typeof linkPushes;
export type LinkPushFields<P extends LinkPushName> = Static<(typeof linkPushes)[P]>;
/** A push as it travels: its name beside its fields, one member of the union per push. */
export type LinkPush = { [P in LinkPushName]: { push: P } & LinkPushFields<P> }[LinkPushName];

/** A failure reply, checked by the room like any other frame of the hub's. */
export const LinkFailureSchema = T.Object({
  re: T.Integer(),
  ok: T.Literal(false),
  code: T.Union(LinkErrorCodes.map((code) => T.Literal(code))),
  message: T.String({ maxLength: 2000 }),
});

export { BLOB_PATH, UPLOAD_OFFSET_HEADER } from './body-routes.js';
