import type { Static } from '@sinclair/typebox';
import type { LegacyItem } from '../protocol/legacy-types.js';
import type { RequestRecord } from './store.js';

/** The bytes moved so far and the speed of a request in status 2, as its last progress event gave them. */
export interface LiveProgress {
  processedSize: number;
  speed: number;
}

/** A request's legacy id: every record read from the store carries one (room-api.md §10). */
export function legacyIdOf(request: RequestRecord): number {
  if (request.legacyId === undefined) throw new Error(`request ${request.fileRequestId} has no legacy id`);
  return request.legacyId;
}

/** The legacy item of a request (room-api.md §10): every key present, `null` where there is no value. */
export function legacyItem(
  request: RequestRecord,
  live: LiveProgress | undefined,
): Static<typeof LegacyItem> {
  const done = request.status === 3;
  const moving = request.status === 2;
  const conferenceSend = request.direction === 1 && request.confId !== null;
  return {
    id: legacyIdOf(request),
    fileRequestId: request.fileRequestId,
    status: request.status,
    directionType: request.direction,
    fileName: request.fileName,
    // As in the current shapes (§6): an incoming request names its file once the body is complete.
    fileId: request.direction === 1 || done ? request.fileId : null,
    peerId: request.peerId,
    peerDisplayName: request.peerDn,
    timestamp: request.timestamp,
    confId: request.confId,
    totalSize: request.fileSize,
    processedSize: done
      ? request.fileSize
      : moving
        ? (live?.processedSize ?? request.processed)
        : request.processed,
    speed: moving ? (live?.speed ?? 0) : 0,
    // A conference send made before its recipients were counted says 0: unknown, not one.
    peersCount: conferenceSend ? (request.peersCount ?? 0) : 1,
  };
}
