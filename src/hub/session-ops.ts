import type { Logger } from 'pino';
import type { LinkResult } from '../protocol/hub-link.js';
import { AccountError, type Accounts } from './accounts.js';
import { LinkOpError } from './link-op-error.js';
import type { LinkRegistry } from './link-registry.js';
import type { HubIdentity } from './hub-identity.js';
import type { Logins } from './logins.js';

/** hello, login, logout: who a room is and who it is logged in as (docs/hub-protocol.md). */
export function registerSessionOps(
  links: LinkRegistry,
  parts: { identity: HubIdentity; accounts: Accounts; logins: Logins; logger: Logger },
): void {
  const { identity, accounts, logins, logger } = parts;
  links.register('hello', (session, args) => {
    session.room = args.room;
    session.instance = args.instance;
    return { domain: identity.domain, hubId: identity.hubId };
  });

  links.register('login', async (session, args) => {
    if (session.loggedIn) throw new LinkOpError('conflict', `already logged in as ${session.peerId}`);
    let account;
    try {
      account = await accounts.authenticate(args.login, args.password);
    } catch (error) {
      if (error instanceof AccountError) {
        const code = error.code === 'bad_request' || error.code === 'conflict' ? 'bad_request' : error.code;
        throw new LinkOpError(code, error.message);
      }
      throw error;
    }
    const { peerId, instanceId, token } = await logins.begin(session, account);
    logger.info({ peerId, room: session.room }, 'logged in');
    const result: LinkResult<'login'> = {
      peerId,
      peerDn: account.displayName,
      instanceId,
      fileTransfer: account.fileTransfer,
      session: token,
    };
    return result;
  });

  links.register('logout', (session) => {
    logins.end(session);
    return {};
  });
}
