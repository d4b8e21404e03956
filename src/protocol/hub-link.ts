import { Type as T, type Static, type TObject } from '@sinclair/typebox';

/**
 * The room↔hub link (docs/hub-protocol.md): JSON text frames over one WebSocket per room. It is not the Room API
 * and shares none of its shapes; the hub never sees Room API JSON.
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

const Sha256 = T.String({ pattern: '^[0-9a-f]{64}$' });
const Uuid = T.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const PeerId = T.String({ minLength: 1, maxLength: 320 });

/** Requests a room sends, by `op`, with their arguments. */
export const linkRequests = {
  hello: T.Object({
    room: T.String({ maxLength: 100 }),
    instance: T.String({ pattern: '^[0-9a-f]{8}$' }),
    software: T.String({ maxLength: 100 }),
  }),
  login: T.Object({
    login: T.String({ minLength: 1, maxLength: 320 }),
    password: T.String({ maxLength: 1024 }),
  }),
  logout: T.Object({}),
  sync: T.Object({}),
  'offer.create': T.Object({
    sendId: Uuid,
    to: T.Optional(PeerId),
    conference: T.Optional(T.Boolean()),
    fileName: T.String({ minLength: 1, maxLength: 1024 }),
    fileSize: T.Integer({ minimum: 0 }),
    sha256: Sha256,
  }),
  'offer.seen': T.Object({
    offers: T.Array(
      T.Object({
        offerId: Uuid,
        state: T.Union([
          T.Literal('waiting'),
          T.Literal('accepted'),
          T.Literal('rejected'),
          T.Literal('expired'),
          T.Literal('failed'),
          T.Literal('done'),
          T.Literal('cancelled'),
        ]),
      }),
      { maxItems: 10000 },
    ),
  }),
  'offer.accept': T.Object({ offerId: Uuid }),
  'offer.reject': T.Object({ offerId: Uuid }),
  'offer.done': T.Object({ offerId: Uuid }),
  'offer.failed': T.Object({ offerId: Uuid, reason: T.String({ maxLength: 200 }) }),
  'send.seen': T.Object({ sendId: Uuid, status: T.Integer({ minimum: 0, maximum: 3 }) }),
  'conf.create': T.Object({
    title: T.String({ maxLength: 256 }),
    confType: T.Integer({ minimum: 1, maximum: 3 }),
    invite: T.Array(PeerId, { maxItems: 500 }),
  }),
  'conf.join': T.Object({ cid: T.String({ minLength: 1, maxLength: 100 }) }),
  'conf.accept': T.Object({ confId: T.String({ maxLength: 200 }) }),
  'conf.reject': T.Object({ confId: T.String({ maxLength: 200 }) }),
  'conf.leave': T.Object({ forAll: T.Boolean() }),
  'conf.invite': T.Object({ peerId: PeerId }),
} satisfies Record<string, TObject>;

export type LinkOp = keyof typeof linkRequests;
export type LinkArgs<O extends LinkOp> = Static<(typeof linkRequests)[O]>;

export interface LinkRequest {
  id: number;
  op: string;
  [arg: string]: unknown;
}

export type LinkReply =
  | ({ re: number; ok: true } & Record<string, unknown>)
  | { re: number; ok: false; code: LinkErrorCode; message: string };

export interface LinkPush {
  push: string;
  [field: string]: unknown;
}

// --- results ------------------------------------------------------------------------------------------------

export interface HelloResult {
  domain: string;
  hubId: string;
}

export interface LoginResult {
  peerId: string;
  peerDn: string;
  instanceId: string;
  fileTransfer: boolean;
  /** Bearer token for the hub's body routes, valid while this login lasts. */
  session: string;
}

export interface OfferCreated {
  sendId: string;
  /** When the hub recorded the send: both sides use it as the request's timestamp. */
  createdAt: number;
  confId?: string;
  offers: { offerId: string; peerId: string; peerDn: string }[];
}

/** An offer as its recipient sees it. */
export interface IncomingOffer {
  offerId: string;
  from: { peerId: string; peerDn: string };
  fileName: string;
  fileSize: number;
  sha256: string;
  confId?: string;
  createdAt: number;
  state: OfferState;
}

export type OfferState = 'waiting' | 'accepted' | 'rejected' | 'expired' | 'failed' | 'done' | 'cancelled';

/** A send as its sender sees it: the status its outgoing request should show. */
export interface SendState {
  sendId: string;
  status: 0 | 1 | 2 | 3;
  reason?: 'rejected' | 'expired' | 'failed' | 'cancelled';
  /** Bytes of the body the hub already holds (resume from here). */
  held: number;
}

export interface SyncResult {
  incoming: IncomingOffer[];
  sends: SendState[];
}

export { BLOB_PATH, UPLOAD_OFFSET_HEADER } from './body-routes.js';
