import { ApiError, ErrorCode, badRequest } from '../../protocol/errors.js';
import { Privileges } from '../../protocol/session-methods.js';
import type { sessionMethods } from '../../protocol/session-methods.js';
import { DEFAULT_HUB_PORT } from '../session.js';
import { productVersion } from '../version.js';
import { HubTargetError, parseHubTarget } from '../hub-target.js';
import type { HandlersOf } from './handler.js';

const SUPPORTED_API_VERSIONS = new Set(['1', '2']);

export const sessionHandlers: HandlersOf<keyof typeof sessionMethods> = {
  auth({ room, connection }, params) {
    // `{"method":"auth","role":"user"}` on an authorized connection switches it down to the user role.
    if (params.type === undefined && params.credentials === undefined && connection.authorized) {
      const role = params.role ?? connection.role ?? 'user';
      if (role === 'admin' && connection.role !== 'admin') {
        throw new ApiError(
          ErrorCode.Unauthorized,
          'a user connection cannot raise itself to the admin role',
          {
            resultCode: 3,
          },
        );
      }
      const grant = room.auth.reissue(role, connection.tokenExpiresAt);
      const changed = connection.role !== grant.role;
      connection.role = grant.role;
      // With --single-client, taking the user role unseats the connection that held it.
      if (changed && !connection.closed) room.onAuthorized(connection);
      return {
        previleges: Privileges[grant.role],
        token: grant.token,
        tokenForHttpServer: grant.tokenForHttpServer,
        resultCode: 0,
      };
    }
    const grant = room.auth.authenticate(params, connection.address);
    // An auth still queued when its client left authorizes nobody (and, with --single-client, unseats nobody).
    if (!connection.closed) {
      connection.authorized = true;
      connection.role = grant.role;
      connection.tokenExpiresAt = grant.tokenExpiresAt;
      room.onAuthorized(connection);
    }
    return {
      previleges: Privileges[grant.role],
      token: grant.token,
      tokenForHttpServer: grant.tokenForHttpServer,
      resultCode: 0,
    };
  },

  setUsedApiVersion({ connection }, params) {
    const version = String(params.version);
    if (!SUPPORTED_API_VERSIONS.has(version)) {
      throw badRequest(`unsupported API version "${version}": use "1" or "2"`);
    }
    connection.apiVersion = version;
    return {};
  },

  getAppState({ room }) {
    return { appState: room.session.appState(), embeddedHttpPort: room.httpPort };
  },

  getSystemInfo({ room }) {
    const identity = room.session.identity;
    const version = productVersion();
    return {
      authInfo: identity ? { peerId: identity.peerId, peerDn: identity.peerDn } : undefined,
      productInfo: version,
      fileInfo: version,
    };
  },

  getSettings({ room }) {
    return {
      settings: [
        { name: 'autoAccept', value: false },
        { name: 'roomName', value: room.name },
        { name: 'language', value: 'en' },
      ],
    };
  },

  getMonitorsInfo() {
    return { monitors: [] };
  },

  connectToServer({ room, afterReply }, params) {
    // `wss://host[:port]` / `https://…` is a hub behind TLS; a bare host (the contract's form) is cleartext.
    let target;
    try {
      target = parseHubTarget(nonBlank(params.server, 'server'), DEFAULT_HUB_PORT, params.port);
    } catch (error) {
      if (error instanceof HubTargetError) throw badRequest(error.message);
      throw error;
    }
    afterReply(() => room.session.connectToServer(target));
    return {};
  },

  getConnected({ room }) {
    const state = room.session.connectedState();
    const server = room.session.link.target;
    if (state === 0 || !server) return { state: 0 };
    return {
      state,
      serverInfo: {
        server: server.host,
        service: false,
        port: server.port,
        domain: room.session.domain ?? '',
      },
    };
  },

  login({ room, afterReply }, params) {
    const login = nonBlank(params.login, 'login');
    afterReply(() => room.session.login({ login, password: params.password }));
    return {};
  },

  getLogin({ room }) {
    const identity = room.session.identity;
    if (!identity) return { isLoggedIn: false };
    return { isLoggedIn: true, peerId: identity.peerId, peerDn: identity.peerDn };
  },

  logout({ room, afterReply }) {
    afterReply(() => room.session.logout());
    return {};
  },

  getTokenForHttpServer({ room }) {
    return { token: room.auth.issueHttpToken() };
  },

  clearTokens({ room }) {
    room.auth.clearTokens();
    return {};
  },
};

/** A string parameter without its surrounding spaces; an empty one is bad input, not a name the hub has to refuse. */
function nonBlank(value: string, name: string): string {
  const trimmed = value.trim();
  if (trimmed === '') throw badRequest(`parameter "${name}" must not be empty`);
  return trimmed;
}
