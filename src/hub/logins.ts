import { randomBytes } from 'node:crypto';
import type { Accounts } from './accounts.js';
import type { Conferences } from './conferences.js';
import type { LinkRegistry } from './link-registry.js';
import type { LinkSession } from './link-session.js';
import type { AccountRow, HubQueries } from './repository.js';

/**
 * Who each link is logged in as: a login gives the session its account, presence and bearer token; ending it
 * takes them away (and the room out of its conference); an account's changed policy reaches its rooms at once.
 */
export class Logins {
  constructor(
    private readonly repo: HubQueries,
    private readonly accounts: Accounts,
    private readonly links: LinkRegistry,
    private readonly conferences: Conferences,
  ) {}

  /** Logs the session in as `account`: its presence, and the bearer token for the body routes. */
  async begin(
    session: LinkSession,
    account: AccountRow,
  ): Promise<{ peerId: string; instanceId: string; token: string }> {
    const peerId = this.accounts.peerIdOf(account.name);
    const instanceId = `${peerId}/${session.instance}`;
    // The room starts outside any conference, whatever its presence still had through an earlier link.
    await this.conferences.onLogin(instanceId);
    const token = randomBytes(32).toString('base64url');
    session.account = account;
    session.peerId = peerId;
    session.instanceId = instanceId;
    await this.links.setToken(session, token);
    return { peerId, instanceId, token };
  }

  /** Forgets a session's login (its bearer token stops working) without closing its link. */
  end(session: LinkSession): void {
    this.conferences.onSessionGone(session, session.instanceId);
    session.account = null;
    session.peerId = null;
    session.instanceId = null;
    void this.links.setToken(session, null);
  }

  /** Applies an account's changed policy to the rooms logged in as it, at once. */
  async applyAccountChanges(name: string): Promise<void> {
    const account = await this.repo.getAccount(name);
    const peerId = this.accounts.peerIdOf(name);
    for (const session of this.links.sessionsOf(peerId)) {
      if (!account || account.locked) {
        session.push('loggedOut', { reason: account ? 'locked' : 'removed' });
        this.end(session);
        continue;
      }
      if (session.account && session.account.fileTransfer !== account.fileTransfer) {
        session.push('policy', { fileTransfer: account.fileTransfer });
      }
      session.account = account;
    }
  }

  /** The names of the accounts logged in on the links this process holds. */
  accountsLoggedIn(): Set<string> {
    const names = new Set<string>();
    for (const session of this.links.sessions) if (session.account) names.add(session.account.name);
    return names;
  }
}
