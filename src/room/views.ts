import type { Static } from '@sinclair/typebox';
import {
  Direction,
  Status,
  type FileEntry,
  type HistoryEntry,
  type IncomingListItem,
  type OutgoingListItem,
} from '../protocol/common-types.js';
import type { FileRecord, HistoryRecord, RequestRecord } from './store.js';

/**
 * The shapes records take on the wire. Field names differ between methods on purpose (room-api.md §6): each
 * function here is the one place one of those shapes is built.
 */

const opt = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

export function fileEntry(file: FileRecord): Static<typeof FileEntry> {
  return { fileId: file.fileId, fileName: file.fileName, fileSize: file.fileSize, timestamp: file.timestamp };
}

export function historyFields(entry: HistoryRecord): Static<typeof HistoryEntry> {
  return {
    directionType: entry.direction,
    fileName: entry.fileName,
    fileSize: entry.fileSize,
    timestamp: entry.timestamp,
    fileRequestId: entry.fileRequestId,
    fileId: entry.fileId,
    peerId: opt(entry.peerId),
    peerDn: opt(entry.peerDn),
    confId: opt(entry.confId),
  };
}

export function incomingListItem(request: RequestRecord): Static<typeof IncomingListItem> {
  return {
    fileRequestId: request.fileRequestId,
    peerId: request.peerId ?? '',
    peerDn: request.peerDn ?? '',
    fileName: request.fileName,
    size: request.fileSize,
    status: request.status,
    timestamp: request.timestamp,
    confId: opt(request.confId),
  };
}

export function outgoingListItem(request: RequestRecord): Static<typeof OutgoingListItem> {
  return {
    fileRequestId: request.fileRequestId,
    fileName: request.fileName,
    status: request.status,
    size: request.fileSize,
    timestamp: request.timestamp,
    fileId: request.fileId ?? 0,
    peerId: opt(request.peerId),
    peerDn: opt(request.peerDn),
    confId: opt(request.confId),
  };
}

/** getFileRequestInfo and fileRequestStatusChanged: `fileSize`, `peerDisplayName`, fileId by the §6 rules. */
export function requestInfo(request: RequestRecord) {
  const showFileId = request.direction === Direction.Outgoing || request.status === Status.Done;
  return {
    fileRequestId: request.fileRequestId,
    status: request.status,
    directionType: request.direction,
    fileName: request.fileName,
    fileSize: request.fileSize,
    timestamp: request.timestamp,
    peerId: opt(request.peerId),
    peerDisplayName: opt(request.peerDn),
    confId: opt(request.confId),
    fileId: showFileId ? opt(request.fileId) : undefined,
    // [ext] why a request ended in status 0, here as in its fileRequestStatusChanged.
    statusReason: request.status === Status.Failed ? opt(request.statusReason) : undefined,
    // [ext] the same in words, when the hub or the room said more (over quota, a full store).
    statusReasonText: request.status === Status.Failed ? request.statusReasonText || undefined : undefined,
  };
}

/** Fields of receivedFileRequest, incomingFileRequestAccepted and incomingFileRequestRejected. */
export function incomingEventFields(request: RequestRecord) {
  return {
    fileRequestId: request.fileRequestId,
    peerId: request.peerId ?? '',
    peerDn: request.peerDn ?? '',
    fileName: request.fileName,
    fileSize: request.fileSize,
    timestamp: request.timestamp,
    confId: opt(request.confId),
  };
}
