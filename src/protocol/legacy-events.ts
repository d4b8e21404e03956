import { Type as T, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { DirectionType, FileEntry, FileRequestStatus } from './common-types.js';
import { LegacyId, Nullable } from './legacy-types.js';

/** An event with exactly these keys (besides `method` and `event`): what a key-presence filter sees. */
const exactly = <P extends TProperties>(properties: P, description: string) =>
  T.Object(properties, { additionalProperties: false, description });

const NullableConfId = Nullable(T.String({ description: 'null outside a conference' }));

const ProgressFields = {
  totalSize: T.Integer(),
  processedSize: T.Integer(),
  speed: T.Integer(),
  id: LegacyId,
  status: FileRequestStatus,
  fileName: T.String(),
  confId: NullableConfId,
  timestamp: T.Integer(),
};

/**
 * The legacy events (room-api.md §10). A connection in legacy mode (it did not select API version 2) gets each
 * one right after its current counterpart, named in its description; a connection that selected version 2 never
 * gets any of them.
 */
export const legacyEventSchemas = {
  fileSent: exactly(
    {
      name: T.String({ description: 'the file name' }),
      id: LegacyId,
      peerId: T.String(),
      peerDn: T.String(),
      fileId: T.Integer(),
      confId: NullableConfId,
    },
    'After outgoingFileRequestSent.',
  ),
  fileConferenceSent: exactly(
    {
      name: T.String({ description: 'the file name' }),
      id: LegacyId,
      fileId: T.Integer(),
      confId: T.String(),
    },
    'After outgoingFileRequestSentToConference.',
  ),
  fileAccepted: exactly(
    { id: LegacyId, confId: NullableConfId },
    "After incomingFileRequestAccepted; on the sender's side, after the status change to 2 caused by the peer's accept.",
  ),
  fileRejected: exactly(
    { id: LegacyId, confId: NullableConfId },
    'After incomingFileRequestRejected; on the sender\'s side, after status 0 with statusReason "rejected".',
  ),
  fileStatus: exactly(
    { id: LegacyId, status: FileRequestStatus, directionType: DirectionType, confId: NullableConfId },
    'After every fileRequestStatusChanged.',
  ),
  fileDownloadingProgress: exactly(
    {
      ...ProgressFields,
      fileId: Nullable(T.Integer({ description: 'null until the body is complete' })),
      peerId: T.String(),
      peerDisplayName: T.String(),
    },
    'After incomingFileRequestDownloadingProgress.',
  ),
  fileUploadingProgress: exactly(
    {
      ...ProgressFields,
      fileId: T.Integer(),
      peerId: Nullable(T.String()),
      peerDisplayName: Nullable(T.String()),
      directionType: DirectionType,
    },
    'After outgoingFileRequestUploadingProgress.',
  ),
  fileTransferAvailable: exactly(
    { available: T.Boolean({ description: 'true when availability is 3' }) },
    'After fileTransferAvailabilityChanged.',
  ),
  fileTransferCleared: exactly({}, 'After fileTransferHistoryCleared.'),
  fileTransferFileDeleted: exactly(
    { file: FileEntry },
    "After the first fileDeletedFromFileTransferHistory of a deleted file: the file's getFileList item.",
  ),
} satisfies Record<string, TObject>;

/**
 * What a connection in legacy mode gets besides the current shape, on the names both sets share (room-api.md
 * §10). A connection that selected version 2 gets the current shape alone.
 */
export const legacyModeAdditions = {
  replies: {
    sendFile: T.Object({ id: LegacyId }),
    getFileTransferAvailability: T.Object({
      available: T.Boolean({ description: 'true when availability is 3' }),
    }),
  },
  events: {
    receivedFileRequest: T.Object({ id: LegacyId, confId: NullableConfId }),
  },
};

export type LegacyEventName = keyof typeof legacyEventSchemas;
export type LegacyEventFields<E extends LegacyEventName> = Static<(typeof legacyEventSchemas)[E]>;
