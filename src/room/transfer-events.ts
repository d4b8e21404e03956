import { Direction } from '../protocol/common-types.js';
import type { ProgressSample } from './progress.js';
import type { RoomEvents } from './room-events.js';
import type { RequestRecord } from './store.js';
import { incomingEventFields, requestInfo } from './views.js';

/**
 * The Room API events of file requests (room-api.md §8, §9), each built from the stored request. Every transfer
 * event leaves the room through this class, so whatever must go out beside one is added here, once.
 */
export class TransferEvents {
  constructor(private readonly events: RoomEvents) {}

  received(request: RequestRecord): void {
    this.events.emit('receivedFileRequest', incomingEventFields(request));
  }

  accepted(request: RequestRecord): void {
    this.events.emit('incomingFileRequestAccepted', incomingEventFields(request));
  }

  rejected(request: RequestRecord): void {
    this.events.emit('incomingFileRequestRejected', incomingEventFields(request));
  }

  sentToUser(request: RequestRecord): void {
    this.events.emit('outgoingFileRequestSent', {
      fileRequestId: request.fileRequestId,
      peerId: request.peerId ?? '',
      peerDn: request.peerDn ?? '',
      fileName: request.fileName,
      fileSize: request.fileSize,
      fileId: request.fileId ?? 0,
      timestamp: request.timestamp,
    });
  }

  sentToConference(request: RequestRecord): void {
    this.events.emit('outgoingFileRequestSentToConference', {
      fileRequestId: request.fileRequestId,
      fileName: request.fileName,
      fileSize: request.fileSize,
      fileId: request.fileId ?? 0,
      // The hub names the conference of every conference send (docs/hub-protocol.md).
      confId: request.confId!,
      timestamp: request.timestamp,
    });
  }

  statusChanged(request: RequestRecord): void {
    this.events.emit('fileRequestStatusChanged', requestInfo(request));
  }

  progress(request: RequestRecord, sample: ProgressSample): void {
    if (request.direction === Direction.Incoming) {
      this.events.emit('incomingFileRequestDownloadingProgress', {
        fileRequestId: request.fileRequestId,
        fileName: request.fileName,
        fileSize: request.fileSize,
        processedPercents: sample.processedPercents,
        peerId: request.peerId ?? '',
        peerDisplayName: request.peerDn ?? '',
        timestamp: request.timestamp,
        confId: request.confId ?? undefined,
        processedSize: sample.processedSize,
        speed: sample.speed,
      });
    } else {
      this.events.emit('outgoingFileRequestUploadingProgress', {
        fileRequestId: request.fileRequestId,
        fileName: request.fileName,
        fileId: request.fileId ?? 0,
        fileSize: request.fileSize,
        processedPercents: sample.processedPercents,
        peerId: request.peerId ?? undefined,
        peerDisplayName: request.peerDn ?? undefined,
        confId: request.confId ?? undefined,
        timestamp: request.timestamp,
        processedSize: sample.processedSize,
        speed: sample.speed,
      });
    }
  }
}
