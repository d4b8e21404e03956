import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import type { LinkResult } from '../protocol/hub-link.js';
import { AccountError, type Accounts } from './accounts.js';
import { LinkOpError } from './link-op-error.js';
import type { LinkRegistry } from './link-registry.js';
import type { HubIdentity } from './hub-identity.js';
import type { Logins } from './logins.js';
import { LoginRefused, type LoginLimiter } from './login-limits.js';

/** hello, login, logout: who a room is and who it is logged in as (docs/hub-protocol.md). */
export function registerSessionOps(
  links: LinkRegistry,
  parts: {
    identity: HubIdentity;
    accounts: Accounts;
    logins: Logins;
    logger: Logger;
    /** The brute-force limits; without one, logins are checked without them. */
    limiter?: LoginLimiter;
  },
): void {
  const { identity, accounts, logins, logger, limiter } = parts;
  links.register('hello', (session, args) => {
    session.room = args.room;
    session.instance = args.instance;
    return { domain: identity.domain, hubId: identity.hubId };
  });

  links.register('login', async (session, args) => {
    if (session.loggedIn) throw new LinkOpError('conflict', `already logged in as ${session.peerId}`);
    let account;
    try {
      const authenticate = () => accounts.authenticate(args.login, args.password);
      // Counted under the name as given (lower-cased), whether or not such an account exists.
      const name = accounts.nameOf(args.login) ?? args.login.trim().toLowerCase();
      const outcome = limiter
        ? await limiter.attempt(
            session.address,
            name,
            () => settled(authenticate()),
            (done) => done.ok,
          )
        : await settled(authenticate());
      if (!outcome.ok) throw outcome.error;
      account = outcome.value;
    } catch (error) {
      if (error instanceof LoginRefused) {
        logger.warn({ room: session.room, address: session.address }, 'login refused by the limits');
        throw new LinkOpError('locked', error.message);
      }
      if (error instanceof AccountError) {
        const code = error.code === 'bad_request' || error.code === 'conflict' ? 'bad_request' : error.code;
        throw new LinkOpError(code, error.message);
      }
      throw error;
    }
    const { peerId, instanceId, token } = await logins.begin(session, account);
    if (session.socket.readyState !== WebSocket.OPEN) {
      // The link closed while the password was checked (its login deadline passed, the room went away): the
      // close already forgot this session, so the login given to it now would outlive it (a bearer token that
      // works without a link, in a map nobody empties). Taken back at once.
      logins.end(session);
      logger.info({ peerId, room: session.room }, 'login completed after its link closed: taken back');
      throw new LinkOpError('unauthorized', 'the link closed before the login completed');
    }
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

/** A promise's outcome as a value: the limiter counts a wrong password without it being thrown through it. */
async function settled<T>(
  promise: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}
