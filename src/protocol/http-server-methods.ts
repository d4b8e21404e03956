import { Type as T } from '@sinclair/typebox';
import { method } from './method-spec.js';
import { Empty } from './common-types.js';

/** The settings of the built-in HTTP server, in the order getHttpServerSettings reports them (port first). */
export const HttpServerSettingNames = [
  'httpServerPort',
  'httpServerConnectionsLimit',
  'httpServerMaxPostFileSizeInBytes',
] as const;
export type HttpServerSettingName = (typeof HttpServerSettingNames)[number];

export const httpServerMethods = {
  getHttpServerSettings: method(
    'user',
    Empty,
    T.Object({ settings: T.Array(T.Object({ name: T.String(), value: T.Integer() })) }),
  ),
  setHttpServerSettings: method(
    'admin',
    T.Object({
      settings: T.Object(
        {
          httpServerPort: T.Optional(T.Integer({ minimum: 0, maximum: 65535 })),
          httpServerConnectionsLimit: T.Optional(T.Integer({ minimum: 1, maximum: 100000 })),
          httpServerMaxPostFileSizeInBytes: T.Optional(T.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    }),
    Empty,
  ),
  getHttpServerState: method(
    'user',
    Empty,
    T.Object({ state: T.Union([T.Literal('running'), T.Literal('stopped')]) }),
  ),
  startHttpServer: method('admin', Empty, Empty),
  stopHttpServer: method('admin', Empty, Empty),
};
