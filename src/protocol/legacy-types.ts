import { Type as T, type TSchema } from '@sinclair/typebox';
import { DirectionType, FileRequestStatus } from './common-types.js';

/**
 * Shapes of the legacy names (room-api.md §10), spoken by TrueConf's older clients (the Python library
 * `python-trueconf-room`). Those clients fire a handler only when every key of its filter is present, so in these
 * shapes every key is always there and a key without a value is `null`, never absent.
 */

export const Nullable = <S extends TSchema>(schema: S) => T.Union([schema, T.Null()]);

/** The legacy id of a file request: a positive integer in creation order, kept across restarts. */
export const LegacyId = T.Integer({ minimum: 1, description: 'the legacy id of a file request' });

/** How legacy methods take an id: a number, or a string of digits. */
export const LegacyIdParam = T.Union([T.Integer({ minimum: 0 }), T.String({ pattern: '^[0-9]{1,15}$' })], {
  description: 'id',
});

/** The legacy item: one file request in getFileRequests, getFileUploads, getFileTransferInfo, getFileInfo. */
export const LegacyItemFields = {
  id: LegacyId,
  fileRequestId: T.String(),
  status: FileRequestStatus,
  directionType: DirectionType,
  fileName: T.String(),
  fileId: Nullable(T.Integer({ description: 'null for an incoming request until its body is complete' })),
  peerId: Nullable(T.String({ description: 'null for a conference send' })),
  peerDisplayName: Nullable(T.String({ description: 'null for a conference send' })),
  timestamp: T.Integer(),
  confId: Nullable(T.String({ description: 'null outside a conference' })),
  totalSize: T.Integer({ description: "the file's size in bytes" }),
  processedSize: T.Integer({ description: 'bytes moved so far' }),
  speed: T.Integer({ description: 'bytes per second; 0 unless status is 2' }),
  peersCount: T.Integer({
    description: '1 for a request to or from a user, the number of recipients for a conference send',
  }),
};

export const LegacyItem = T.Object(LegacyItemFields, { additionalProperties: false });
