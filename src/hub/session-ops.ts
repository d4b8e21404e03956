import type { LinkResult } from '../protocol/hub-link.js';
import { AccountError } from './accounts.js';
import type { Hub } from './hub.js';
import { LinkOpError } from './link-server.js';

/** hello, login, logout: who a room is and who it is logged in as (docs/hub-protocol.md). */
export function registerSessionOps(hub: Hub): void {
  hub.links.register('hello', (session, args) => {
    session.room = args.room;
    session.instance = args.instance;
    return { domain: hub.domain, hubId: hub.hubId };
  });

  hub.links.register('login', async (session, args) => {
    if (session.loggedIn) throw new LinkOpError('conflict', `already logged in as ${session.peerId}`);
    let account;
    try {
      account = await hub.accounts.authenticate(args.login, args.password);
    } catch (error) {
      if (error instanceof AccountError) {
        const code = error.code === 'bad_request' || error.code === 'conflict' ? 'bad_request' : error.code;
        throw new LinkOpError(code, error.message);
      }
      throw error;
    }
    session.account = account;
    session.peerId = hub.accounts.peerIdOf(account.name);
    session.instanceId = `${session.peerId}/${session.instance}`;
    const token = hub.newSessionToken();
    hub.links.setToken(session, token);
    hub.logger.info({ peerId: session.peerId, room: session.room }, 'logged in');
    const result: LinkResult<'login'> = {
      peerId: session.peerId,
      peerDn: account.displayName,
      instanceId: session.instanceId,
      fileTransfer: account.fileTransfer,
      session: token,
    };
    return result;
  });

  hub.links.register('logout', (session) => {
    hub.endLogin(session);
    return {};
  });
}
