import { Type as T } from '@sinclair/typebox';
import { method } from './method-spec.js';
import { Empty } from './common-types.js';

export { AppState, LoginResult, Privileges, ServerConnection } from './codes.js';

const ServerInfo = T.Object({
  server: T.String(),
  service: T.Boolean(),
  port: T.Integer(),
  domain: T.String(),
});

const VersionInfo = T.Object({
  major: T.Integer(),
  minor: T.Integer(),
  revision: T.Integer(),
  build: T.Integer(),
});

export const sessionMethods = {
  auth: method(
    'public',
    T.Object({
      type: T.Optional(T.Union([T.Literal('unsecured'), T.Literal('secured')])),
      credentials: T.Optional(T.String()),
      role: T.Optional(T.Union([T.Literal('admin'), T.Literal('user')])),
    }),
    T.Object({
      previleges: T.Integer(),
      token: T.String(),
      tokenForHttpServer: T.String(),
      resultCode: T.Integer(),
    }),
  ),
  setUsedApiVersion: method('public', T.Object({ version: T.Union([T.String(), T.Integer()]) }), Empty),
  getAppState: method('user', Empty, T.Object({ appState: T.Integer(), embeddedHttpPort: T.Integer() })),
  getSystemInfo: method(
    'user',
    Empty,
    T.Object({
      authInfo: T.Optional(T.Object({ peerId: T.String(), peerDn: T.String() })),
      productInfo: VersionInfo,
      fileInfo: VersionInfo,
    }),
  ),
  getSettings: method(
    'user',
    Empty,
    T.Object({ settings: T.Array(T.Object({ name: T.String(), value: T.Unknown() })) }),
  ),
  getMonitorsInfo: method('user', Empty, T.Object({ monitors: T.Array(T.Unknown()) })),
  connectToServer: method(
    'admin',
    T.Object({
      server: T.String({ minLength: 1, maxLength: 253 }),
      port: T.Optional(T.Integer({ minimum: 1, maximum: 65535 })),
    }),
    Empty,
  ),
  getConnected: method('user', Empty, T.Object({ state: T.Integer(), serverInfo: T.Optional(ServerInfo) })),
  login: method(
    'admin',
    T.Object({
      login: T.String({ minLength: 1, maxLength: 320 }),
      password: T.String({ maxLength: 1024 }),
      encryptPassword: T.Optional(T.Boolean()),
    }),
    Empty,
  ),
  getLogin: method(
    'user',
    Empty,
    T.Object({ isLoggedIn: T.Boolean(), peerId: T.Optional(T.String()), peerDn: T.Optional(T.String()) }),
  ),
  logout: method('admin', Empty, Empty),
  getTokenForHttpServer: method('user', Empty, T.Object({ token: T.String() })),
  clearTokens: method('admin', Empty, Empty),
};
