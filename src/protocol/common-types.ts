import { Type as T, type Static } from '@sinclair/typebox';
import { Direction, Status } from './codes.js';

/** A fileId is a number on the wire; a string of digits is accepted because one published example sends it so. */
export const FileIdParam = T.Union([T.Integer({ minimum: 0 }), T.String({ pattern: '^[0-9]{1,10}$' })], {
  description: 'fileId',
});

export { Status, Direction, Availability } from './codes.js';

export const FileRequestStatus = T.Union(
  [
    T.Literal(Status.Failed),
    T.Literal(Status.Waiting),
    T.Literal(Status.Transferring),
    T.Literal(Status.Done),
  ],
  { description: '0 failed, 1 waiting for a decision, 2 transferring, 3 done' },
);
export const DirectionType = T.Union([T.Literal(Direction.Incoming), T.Literal(Direction.Outgoing)], {
  description: '0 incoming, 1 outgoing',
});
export const StatusReason = T.Union(
  [T.Literal('rejected'), T.Literal('expired'), T.Literal('failed'), T.Literal('cancelled')],
  { description: '[ext] why a request ended in status 0' },
);
export type StatusReason = Static<typeof StatusReason>;

export const FileEntry = T.Object({
  fileId: T.Integer(),
  fileName: T.String(),
  fileSize: T.Integer(),
  timestamp: T.Integer(),
});

/** Items of getIncomingFilesRequests: `size` and `peerDn`, no fileId (room-api.md §6). */
export const IncomingListItem = T.Object({
  fileRequestId: T.String(),
  peerId: T.String(),
  peerDn: T.String(),
  fileName: T.String(),
  size: T.Integer(),
  status: FileRequestStatus,
  timestamp: T.Integer(),
  confId: T.Optional(T.String()),
});

/** Items of getOutgoingFilesRequests: `size`, `fileId`, peer fields only when sent to a user. */
export const OutgoingListItem = T.Object({
  fileRequestId: T.String(),
  fileName: T.String(),
  status: FileRequestStatus,
  size: T.Integer(),
  timestamp: T.Integer(),
  fileId: T.Integer(),
  peerId: T.Optional(T.String()),
  peerDn: T.Optional(T.String()),
  confId: T.Optional(T.String()),
});

/** getFileRequestInfo and fileRequestStatusChanged: `fileSize` and `peerDisplayName`. */
export const FileRequestInfoFields = {
  fileRequestId: T.String(),
  status: FileRequestStatus,
  directionType: DirectionType,
  fileName: T.String(),
  fileSize: T.Integer(),
  timestamp: T.Integer(),
  peerId: T.Optional(T.String()),
  peerDisplayName: T.Optional(T.String()),
  confId: T.Optional(T.String()),
  fileId: T.Optional(T.Integer()),
  statusReason: T.Optional(StatusReason),
  /** [ext] Why the request failed, in words, when the server or the room said more than `statusReason`. */
  statusReasonText: T.Optional(
    T.String({ description: '[ext] the same in words, when the server or the room said more (over quota)' }),
  ),
};

/** History entries and fileDeletedFromFileTransferHistory: `fileSize` and `peerDn`. */
export const HistoryEntry = T.Object({
  directionType: DirectionType,
  fileName: T.String(),
  fileSize: T.Integer(),
  timestamp: T.Integer(),
  fileRequestId: T.String(),
  fileId: T.Integer(),
  peerId: T.Optional(T.String()),
  peerDn: T.Optional(T.String()),
  confId: T.Optional(T.String()),
});

/** Fields shared by receivedFileRequest, incomingFileRequestAccepted and incomingFileRequestRejected. */
export const IncomingRequestEventFields = {
  fileRequestId: T.String(),
  peerId: T.String(),
  peerDn: T.String(),
  fileName: T.String(),
  fileSize: T.Integer(),
  timestamp: T.Integer(),
  confId: T.Optional(T.String()),
};

export const Empty = T.Object({});
