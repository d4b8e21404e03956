import type { LinkArgs, LinkOp, LinkPushFields, LinkPushName, LinkResult } from '../protocol/hub-link.js';
import type { LinkSession } from './link-session.js';

export type LinkOpHandler<O extends LinkOp> = (
  session: LinkSession,
  args: LinkArgs<O>,
) => Promise<LinkResult<O>> | LinkResult<O>;

/** Who a body route's bearer token was given to: an account, logged in on one room. */
export interface BodyBearer {
  /** The account's name (the local part of its TrueConf ID). */
  account: string;
  /** The room's presence, `peerId/instance`: only the room that accepted an offer downloads it. */
  instanceId: string;
}

/**
 * The rooms' links as the hub's parts see them: where ops are registered, where pushes go, whose bearer tokens
 * are good. LinkServer holds the links of this process; ClusterLinks (several hub processes on one PostgreSQL)
 * routes pushes and checks tokens across processes behind the same methods.
 */
export interface LinkRegistry {
  /** The sessions whose links this process holds. */
  readonly sessions: ReadonlySet<LinkSession>;
  register<O extends LinkOp>(op: O, handler: LinkOpHandler<O>): void;
  /** The sessions logged in as this TrueConf ID whose links this process holds. */
  sessionsOf(peerId: string): LinkSession[];
  /** Pushes to every room logged in as this TrueConf ID (on any process), but `except`. */
  pushTo<P extends LinkPushName>(
    peerId: string,
    name: P,
    fields: LinkPushFields<P>,
    except?: LinkSession,
  ): void;
  /** Pushes to the one room whose presence is `instanceId` (`peerId/instance`), on whichever process holds it. */
  pushToRoom<P extends LinkPushName>(instanceId: string, name: P, fields: LinkPushFields<P>): void;
  /**
   * Gives a session its bearer token (at login), or takes it away (null: logout, link closed); resolves once the
   * token is good (or no longer good) wherever body requests may arrive.
   */
  setToken(session: LinkSession, token: string | null): void | Promise<void>;
  /** Who a bearer token belongs to while its login lasts; undefined for any other token. */
  bearerOf(token: string | undefined): BodyBearer | undefined | Promise<BodyBearer | undefined>;
}
