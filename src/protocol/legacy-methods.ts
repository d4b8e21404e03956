import { Type as T } from '@sinclair/typebox';
import { method } from './method-spec.js';
import { Empty, FileIdParam } from './common-types.js';
import { LegacyId, LegacyIdParam, LegacyItem, LegacyItemFields } from './legacy-types.js';

/**
 * The legacy method names (room-api.md §10): accepted on every connection, whatever API version it selected,
 * with the rules, status codes and errors of the current method each one names.
 */
export const legacyFileMethods = {
  acceptFile: method(
    'user',
    T.Object({ id: LegacyIdParam }),
    Empty,
    'Legacy name of acceptIncomingFileRequest: accepts the incoming request with this legacy id.',
  ),
  rejectFile: method(
    'user',
    T.Object({ id: LegacyIdParam }),
    Empty,
    'Legacy name of rejectIncomingFileRequest: rejects the incoming request with this legacy id.',
  ),
  sendConferenceFile: method(
    'user',
    T.Object({ fileId: FileIdParam }),
    T.Object({ id: LegacyId, sentFileRequestId: T.String() }),
    "Legacy name of sendFileToConference; the reply also carries the new request's legacy id.",
  ),
  getFileRequests: method(
    'user',
    Empty,
    T.Object({ files: T.Array(LegacyItem) }),
    'Legacy name of getIncomingFilesRequests: the incoming requests as legacy items, newest first.',
  ),
  getFileUploads: method(
    'user',
    Empty,
    T.Object({ files: T.Array(LegacyItem) }),
    'Legacy name of getOutgoingFilesRequests: the outgoing requests as legacy items, newest first.',
  ),
  getFileTransferInfo: method(
    'user',
    Empty,
    T.Object({ files: T.Array(LegacyItem) }),
    'Both lists at once (incoming and outgoing) as legacy items, newest first.',
  ),
  getFileInfo: method(
    'user',
    T.Object({ id: LegacyIdParam }),
    T.Object(LegacyItemFields),
    'Legacy name of getFileRequestInfo: the legacy item of the request with this id, its keys at top level.',
  ),
  clearFileTransfer: method(
    'user',
    Empty,
    Empty,
    'Legacy name of clearFileTransferHistory with deleteFilesFromDisk false: empties the history, keeps the files.',
  ),
};
