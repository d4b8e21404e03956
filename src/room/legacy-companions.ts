import { eventMessage, type EventEnvelope } from '../protocol/envelope.js';
import type { LegacyEventFields, LegacyEventName } from '../protocol/legacy-events.js';
import type { FileRecord, RequestRecord } from './store.js';
import { legacyIdOf } from './legacy-views.js';
import { fileEntry } from './views.js';

/** What an emitter knows that the event and the store cannot tell afterwards. */
export interface LegacyHints {
  /** The file a deleteFileTransferFile removed: given with the first of its history entries' events only. */
  deletedFile?: FileRecord;
}

/** How a current event reaches connections in legacy mode (room-api.md §10). */
export interface LegacyShapes {
  /** Sent to legacy connections instead of the current event (the same name, with the legacy keys added). */
  instead?: EventEnvelope;
  /** The legacy events that follow it, in order. */
  companions: EventEnvelope[];
}

const legacyEvent = <E extends LegacyEventName>(event: E, fields: LegacyEventFields<E>) =>
  eventMessage(event, fields);

type Message = EventEnvelope & Record<string, unknown>;

/**
 * The legacy shapes of one current event: its fields, plus the request it names as the store has it now (the
 * legacy id, the conference, the status). Every status change is stored before it is announced, so the store
 * agrees with the event.
 */
export function legacyShapesOf(
  message: Message,
  findRequest: (fileRequestId: string) => RequestRecord | undefined,
  hints: LegacyHints,
): LegacyShapes {
  const none: LegacyShapes = { companions: [] };
  switch (message.event) {
    case 'fileTransferAvailabilityChanged':
      return {
        companions: [legacyEvent('fileTransferAvailable', { available: message.availability === 3 })],
      };
    case 'fileTransferHistoryCleared':
      return { companions: [legacyEvent('fileTransferCleared', {})] };
    case 'fileDeletedFromFileTransferHistory':
      return hints.deletedFile
        ? { companions: [legacyEvent('fileTransferFileDeleted', { file: fileEntry(hints.deletedFile) })] }
        : none;
    default:
      break;
  }
  if (typeof message.fileRequestId !== 'string') return none;
  const request = findRequest(message.fileRequestId);
  if (!request) return none;
  const id = legacyIdOf(request);
  const confId = request.confId;
  switch (message.event) {
    case 'receivedFileRequest':
      return { instead: { ...message, id, confId }, companions: [] };
    case 'outgoingFileRequestSent':
      return {
        companions: [
          legacyEvent('fileSent', {
            name: request.fileName,
            id,
            peerId: request.peerId ?? '',
            peerDn: request.peerDn ?? '',
            fileId: request.fileId ?? 0,
            confId,
          }),
        ],
      };
    case 'outgoingFileRequestSentToConference':
      return {
        companions: [
          legacyEvent('fileConferenceSent', {
            name: request.fileName,
            id,
            fileId: request.fileId ?? 0,
            confId: confId ?? '',
          }),
        ],
      };
    case 'incomingFileRequestAccepted':
      return { companions: [legacyEvent('fileAccepted', { id, confId })] };
    case 'incomingFileRequestRejected':
      return { companions: [legacyEvent('fileRejected', { id, confId })] };
    case 'fileRequestStatusChanged':
      return { companions: statusCompanions(message, request, id) };
    case 'incomingFileRequestDownloadingProgress':
      return {
        companions: [
          legacyEvent('fileDownloadingProgress', {
            totalSize: request.fileSize,
            processedSize: message.processedSize as number,
            speed: message.speed as number,
            id,
            status: request.status,
            fileId: request.status === 3 ? request.fileId : null,
            fileName: request.fileName,
            peerId: request.peerId ?? '',
            peerDisplayName: request.peerDn ?? '',
            confId,
            timestamp: request.timestamp,
          }),
        ],
      };
    case 'outgoingFileRequestUploadingProgress':
      return {
        companions: [
          legacyEvent('fileUploadingProgress', {
            totalSize: request.fileSize,
            processedSize: message.processedSize as number,
            speed: message.speed as number,
            id,
            status: request.status,
            fileId: request.fileId ?? 0,
            fileName: request.fileName,
            peerId: request.peerId,
            peerDisplayName: request.peerDn,
            confId,
            timestamp: request.timestamp,
            directionType: request.direction,
          }),
        ],
      };
    default:
      return none;
  }
}

/**
 * fileStatus follows every status change. On the sender's side of a request to a user, the change to 2 is the
 * peer's accept and status 0 "rejected" its rejection: fileAccepted or fileRejected come first, as on the
 * recipient's side, where the accept or rejection event precedes the status.
 */
function statusCompanions(message: Message, request: RequestRecord, id: number): EventEnvelope[] {
  const confId = request.confId;
  const out: EventEnvelope[] = [];
  const toUser = request.direction === 1 && request.confId === null;
  if (toUser && message.status === 2) out.push(legacyEvent('fileAccepted', { id, confId }));
  if (toUser && message.status === 0 && message.statusReason === 'rejected') {
    out.push(legacyEvent('fileRejected', { id, confId }));
  }
  out.push(
    legacyEvent('fileStatus', {
      id,
      status: message.status as 0 | 1 | 2 | 3,
      directionType: message.directionType as 0 | 1,
      confId,
    }),
  );
  return out;
}
