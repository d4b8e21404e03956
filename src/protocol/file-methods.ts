import { Type as T } from '@sinclair/typebox';
import { method } from './method-spec.js';
import {
  Empty,
  FileEntry,
  FileIdParam,
  FileRequestInfoFields,
  HistoryEntry,
  IncomingListItem,
  OutgoingListItem,
} from './common-types.js';

const RequestIdParam = T.Object({ fileRequestId: T.String({ minLength: 1, maxLength: 100 }) });

export const fileMethods = {
  getFileList: method('user', Empty, T.Object({ fileList: T.Array(FileEntry) })),
  getFileTransferAvailability: method('user', Empty, T.Object({ availability: T.Integer() })),
  getFileRequestInfo: method(
    'user',
    RequestIdParam,
    T.Object({ ...FileRequestInfoFields, processedPercents: T.Optional(T.Integer()) }),
  ),
  sendFile: method(
    'user',
    T.Object({
      fileId: FileIdParam,
      // `callId` is the published name; every real client sends `peerId`. Either is accepted.
      callId: T.Optional(T.String({ minLength: 1, maxLength: 320 })),
      peerId: T.Optional(T.String({ minLength: 1, maxLength: 320 })),
    }),
    T.Object({ sentFileRequestId: T.String() }),
  ),
  sendFileToConference: method(
    'user',
    T.Object({ fileId: FileIdParam }),
    T.Object({ sentFileRequestId: T.String() }),
  ),
  acceptIncomingFileRequest: method('user', RequestIdParam, Empty),
  rejectIncomingFileRequest: method('user', RequestIdParam, Empty),
  getIncomingFilesRequests: method(
    'user',
    Empty,
    T.Object({ incomingFilesRequests: T.Array(IncomingListItem) }),
  ),
  getOutgoingFilesRequests: method(
    'user',
    Empty,
    T.Object({ outgoingFilesRequests: T.Array(OutgoingListItem) }),
  ),
  getFileTransferHistory: method('user', Empty, T.Object({ filesRequests: T.Array(HistoryEntry) })),
  deleteFileTransferFile: method('user', T.Object({ fileId: FileIdParam }), Empty),
  clearFileTransferHistory: method('user', T.Object({ deleteFilesFromDisk: T.Optional(T.Boolean()) }), Empty),
};
