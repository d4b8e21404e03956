import { Type as T, type Static, type TObject } from '@sinclair/typebox';
import { FileRequestInfoFields, HistoryEntry, IncomingRequestEventFields } from './common-types.js';

const ProgressExt = {
  // [ext] fields: clients that do not know them ignore them.
  processedSize: T.Integer(),
  speed: T.Integer(),
};

/** Every event a room sends, `{"method":"event","event":<name>, ...fields}` (room-api.md §3.4, §4, §5, §7, §9). */
export const eventSchemas = {
  authorizationNeeded: T.Object({ cause: T.Integer() }),
  appStateChanged: T.Object({ appState: T.Integer(), embeddedHttpPort: T.Integer() }),
  serverConnected: T.Object({
    service: T.Boolean(),
    server: T.String(),
    port: T.Integer(),
    domain: T.String(),
  }),
  serverDisconnected: T.Object({ service: T.Boolean(), server: T.String(), port: T.Integer() }),
  login: T.Object({ result: T.Integer(), peerId: T.Optional(T.String()), peerDn: T.Optional(T.String()) }),
  logout: T.Object({ result: T.Integer(), cause: T.Integer() }),
  fileTransferAvailabilityChanged: T.Object({ availability: T.Integer() }),
  httpServerSettingChanged: T.Object({
    name: T.String(),
    value: T.Integer(),
    httpServerRestartNeededForApplying: T.Boolean(),
    isPendingToBeApplied: T.Boolean(),
    pendingValue: T.Integer(),
  }),
  httpServerStateChanged: T.Object({ state: T.Union([T.Literal('running'), T.Literal('stopped')]) }),

  receivedFileRequest: T.Object(IncomingRequestEventFields),
  incomingFileRequestAccepted: T.Object(IncomingRequestEventFields),
  incomingFileRequestRejected: T.Object(IncomingRequestEventFields),
  incomingFileRequestDownloadingProgress: T.Object({
    fileRequestId: T.String(),
    fileName: T.String(),
    fileSize: T.Integer(),
    processedPercents: T.Integer(),
    peerId: T.String(),
    peerDisplayName: T.String(),
    timestamp: T.Integer(),
    confId: T.Optional(T.String()),
    ...ProgressExt,
  }),
  outgoingFileRequestSent: T.Object({
    fileRequestId: T.String(),
    peerId: T.String(),
    peerDn: T.String(),
    fileName: T.String(),
    fileSize: T.Integer(),
    fileId: T.Integer(),
    timestamp: T.Integer(),
  }),
  outgoingFileRequestSentToConference: T.Object({
    fileRequestId: T.String(),
    fileName: T.String(),
    fileSize: T.Integer(),
    fileId: T.Integer(),
    confId: T.String(),
    timestamp: T.Integer(),
  }),
  outgoingFileRequestUploadingProgress: T.Object({
    fileRequestId: T.String(),
    fileName: T.String(),
    fileId: T.Integer(),
    fileSize: T.Integer(),
    processedPercents: T.Integer(),
    peerId: T.Optional(T.String()),
    peerDisplayName: T.Optional(T.String()),
    confId: T.Optional(T.String()),
    timestamp: T.Integer(),
    ...ProgressExt,
  }),
  fileRequestStatusChanged: T.Object(FileRequestInfoFields),
  fileTransferHistoryCleared: T.Object({ removedFromDisk: T.Boolean() }),
  fileDeletedFromFileTransferHistory: T.Object({ ...HistoryEntry.properties, removedFromDisk: T.Boolean() }),

  conferenceCreated: T.Object({
    confId: T.String(),
    confTitle: T.String(),
    confType: T.Integer(),
    conferenceOwner: T.String(),
    isSmartMeeting: T.Boolean(),
    joinUrl: T.String(),
  }),
  conferenceDeleted: T.Object({ confId: T.String() }),
  inviteReceived: T.Object({
    peerId: T.String(),
    peerDn: T.String(),
    type: T.Integer(),
    confTitle: T.String(),
    confId: T.String(),
  }),
  rejectReceived: T.Object({
    cause: T.Integer(),
    peerId: T.Optional(T.String()),
    peerDn: T.Optional(T.String()),
  }),
  rejectSent: T.Object({ peerId: T.String(), peerDn: T.String(), cause: T.Integer(), confId: T.String() }),
  newParticipantInConference: T.Object({
    peerId: T.String(),
    peerDn: T.String(),
    confId: T.String(),
    role: T.Integer(),
  }),
  participantLeftConference: T.Object({ peerId: T.String(), confId: T.String() }),
} satisfies Record<string, TObject>;

export type EventName = keyof typeof eventSchemas;
export type EventFields<E extends EventName> = Static<(typeof eventSchemas)[E]>;
export type RoomEvent = { [E in EventName]: { event: E } & EventFields<E> }[EventName];
