import type { Logger } from 'pino';
import type { LinkOp, LinkPushFields, LinkPushName } from '../protocol/hub-link.js';
import { isLinkPush } from '../protocol/hub-link-checks.js';
import type { BodyBearer, LinkOpHandler, LinkRegistry } from './link-registry.js';
import type { LinkServer } from './link-server.js';
import type { LinkSession } from './link-session.js';
import type { ClusterPush, PostgresCluster } from './postgres-cluster.js';

/**
 * The links of every hub process on one PostgreSQL database, as the hub's parts see them: ops and sessions are
 * this process's (LinkServer); a push goes to the links of this process at once and to the other processes
 * through the database (they deliver it to the links they hold); a bearer token is good on every process while
 * the process holding its link is alive. Pushes are handed over after the reply that caused them was sent, as in
 * one process, so "reply, then push" holds across processes too.
 */
export class ClusterLinks implements LinkRegistry {
  /** The token each session of this process stored, to remove it when the link closes (LinkServer forgets it first). */
  private readonly stored = new Map<LinkSession, string>();

  constructor(
    private readonly local: LinkServer,
    private readonly cluster: PostgresCluster,
    private readonly logger: Logger,
  ) {}

  get sessions(): ReadonlySet<LinkSession> {
    return this.local.sessions;
  }

  register<O extends LinkOp>(op: O, handler: LinkOpHandler<O>): void {
    this.local.register(op, handler);
  }

  sessionsOf(peerId: string): LinkSession[] {
    return this.local.sessionsOf(peerId);
  }

  pushTo<P extends LinkPushName>(
    peerId: string,
    name: P,
    fields: LinkPushFields<P>,
    except?: LinkSession,
  ): void {
    this.local.pushTo(peerId, name, fields, except);
    this.cluster.publish(peerId, name, fields);
  }

  pushToRoom<P extends LinkPushName>(instanceId: string, name: P, fields: LinkPushFields<P>): void {
    // A room has one link: held here, it goes no further.
    if (this.local.pushToRoom(instanceId, name, fields)) return;
    const peerId = instanceId.slice(0, instanceId.lastIndexOf('/'));
    this.cluster.publish(peerId, name, fields, instanceId);
  }

  /** A push another process handed over: to the links this process holds for its peer (or its one room). */
  deliver(push: ClusterPush): void {
    if (!isLinkPush(push.name)) return;
    try {
      if (push.instanceId) this.local.pushToRoom(push.instanceId, push.name, push.fields as never);
      else this.local.pushTo(push.peerId, push.name, push.fields as never);
    } catch (error) {
      this.logger.error({ err: error, name: push.name }, 'a push handed over does not match its schema');
    }
  }

  async setToken(session: LinkSession, token: string | null): Promise<void> {
    this.local.setToken(session, token);
    const previous = this.stored.get(session);
    this.stored.delete(session);
    if (previous) {
      await this.cluster
        .dropToken(previous)
        .catch((error: unknown) =>
          this.logger.warn({ err: (error as Error).message }, 'removing a body token failed'),
        );
    }
    if (token && session.account && session.instanceId) {
      // Awaited by the login: its reply (which gives the token) goes out once every process accepts the token.
      await this.cluster.saveToken(token, { account: session.account.name, instanceId: session.instanceId });
      // The link may have closed (or logged out) while the token was being stored.
      if (session.token === token) this.stored.set(session, token);
      else await this.cluster.dropToken(token);
    }
  }

  async bearerOf(token: string | undefined): Promise<BodyBearer | undefined> {
    if (!token) return undefined;
    return this.local.bearerOf(token) ?? (await this.cluster.findToken(token));
  }
}
