import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ApiError, ErrorCode, badRequest, conflict, forbidden, notFound } from '../protocol/errors.js';
import type { LinkResult } from '../protocol/hub-link.js';
import { Availability, Direction, Status } from '../protocol/common-types.js';
import { AppState } from '../protocol/session-methods.js';
import type { Clock } from '../common/clock.js';
import type { BodyMover } from './body-mover.js';
import type { FileLibrary } from './file-library.js';
import { LinkError, type HubLink } from './hub-link.js';
import type { ProgressReporting } from './progress-reporting.js';
import type { RequestLedger } from './request-ledger.js';
import type { Session } from './session.js';
import type { RequestRecord } from './store.js';
import type { TransferEvents } from './transfer-events.js';
import { requestInfo } from './views.js';

export interface FileRequestMethodsDeps {
  requests: RequestLedger;
  events: TransferEvents;
  progress: ProgressReporting;
  mover: BodyMover;
  link: Pick<HubLink, 'request'>;
  session: Pick<Session, 'availability' | 'appState'>;
  library: Pick<FileLibrary, 'get' | 'hold'>;
  /** Bytes the room's files take now, and the most they may take. */
  storage: { usedBytes: () => number; quotaBytes: () => number };
  /** Incoming requests with an accept on its way to the hub (shared with the offer sync, which waits for it). */
  deciding: Set<string>;
  /** Asks the hub for its whole account of this room's transfers (it said we are out of step). */
  resync: () => Promise<void>;
  clock: Clock;
  logger: Logger;
  background: (work: Promise<unknown>) => void;
}

/** A method's answer and the step that announces its outcome once the reply is out. */
export interface Sent {
  fileRequestId: string;
  announce: () => void;
}

function linkFailure(error: unknown, subject: string): ApiError {
  if (error instanceof LinkError) {
    switch (error.code) {
      case 'not_found':
        return notFound(error.message);
      case 'too_large':
        return new ApiError(ErrorCode.TooLarge, error.message);
      case 'forbidden':
        return forbidden(error.message);
      case 'conflict':
        return conflict(error.message);
      case 'bad_request':
        return badRequest(error.message);
      case 'disconnected':
      case 'timeout':
        return forbidden(`${subject}: the server cannot be reached (${error.message})`);
      case 'unauthorized':
        // The hub ended the login before the room heard of it: availability is 2, as after a logout.
        return forbidden(`${subject}: file transfer is not available: not logged in to the server`);
      default:
        return new ApiError(ErrorCode.Internal, `${subject}: ${error.message}`);
    }
  }
  return new ApiError(ErrorCode.Internal, `${subject}: ${(error as Error).message}`);
}

/**
 * The Room API's methods on file requests (room-api.md §8): the lists and info, sending, accepting and
 * rejecting. A decision is the hub's to take: each method asks it first and changes the store after.
 */
export class FileRequestMethods {
  constructor(private readonly deps: FileRequestMethodsDeps) {}

  info(fileRequestId: string) {
    const request = this.deps.requests.require(fileRequestId);
    const info = requestInfo(request);
    if (request.status !== Status.Transferring) return info;
    return { ...info, processedPercents: this.deps.progress.processedPercents(request) };
  }

  /** Incoming requests, newest first; rejected ones are removed from the list (room-api.md §8). */
  incoming(): RequestRecord[] {
    return this.deps.requests
      .list(Direction.Incoming)
      .filter((r) => !(r.status === Status.Failed && r.statusReason === 'rejected'));
  }

  outgoing(): RequestRecord[] {
    return this.deps.requests.list(Direction.Outgoing);
  }

  async sendToUser(fileId: number, peer: string | undefined): Promise<Sent> {
    if (!peer) throw badRequest('missing parameter "peerId" (or "callId")');
    if (peer.includes('/'))
      throw badRequest(`"${peer}" is an InstanceId: send to a TrueConf ID (name@domain)`);
    this.requireAvailable();
    const request = await this.offer(fileId, { to: peer.trim() }, 'sendFile');
    return { fileRequestId: request.fileRequestId, announce: () => this.deps.events.sentToUser(request) };
  }

  async sendToConference(fileId: number): Promise<Sent> {
    this.requireAvailable();
    this.deps.library.get(fileId);
    if (this.deps.session.appState() !== AppState.InConference) {
      throw conflict('sendFileToConference needs a group conference (appState 5)');
    }
    const request = await this.offer(fileId, { conference: true }, 'sendFileToConference');
    return {
      fileRequestId: request.fileRequestId,
      announce: () => {
        this.deps.events.sentToConference(request);
        this.deps.events.statusChanged(request);
        this.deps.mover.startUpload(request.fileRequestId);
      },
    };
  }

  async accept(fileRequestId: string): Promise<() => void> {
    const { requests, deciding, storage } = this.deps;
    const request = this.requireWaitingIncoming(fileRequestId, 'accepted');
    this.requireAvailable();
    const free = storage.quotaBytes() - storage.usedBytes();
    if (request.fileSize > free) {
      throw new ApiError(
        ErrorCode.TooLarge,
        `not enough storage: the file needs ${request.fileSize} bytes, ${free} are free`,
      );
    }
    deciding.add(fileRequestId);
    try {
      await this.deps.link.request('offer.accept', { offerId: request.hubId });
    } catch (error) {
      if (error instanceof LinkError && error.code === 'conflict') this.deps.background(this.deps.resync());
      throw linkFailure(error, 'acceptIncomingFileRequest');
    } finally {
      deciding.delete(fileRequestId);
    }
    const accepted = requests.record(request, Status.Transferring);
    return () => {
      this.deps.events.accepted(accepted);
      this.deps.events.statusChanged(accepted);
      this.deps.mover.startDownload(fileRequestId);
    };
  }

  async reject(fileRequestId: string): Promise<() => void> {
    const request = this.requireWaitingIncoming(fileRequestId, 'rejected');
    // Stored first: when the server cannot be told now, it is told at the next login (see OfferSync).
    this.deps.requests.record(request, Status.Failed, 'rejected');
    try {
      await this.deps.link.request('offer.reject', { offerId: request.hubId });
    } catch (error) {
      if (error instanceof LinkError && error.code === 'conflict') this.deps.background(this.deps.resync());
      else this.deps.logger.info({ fileRequestId }, 'rejection will reach the server at the next login');
    }
    return () => this.deps.events.rejected(request);
  }

  private requireWaitingIncoming(fileRequestId: string, verb: 'accepted' | 'rejected'): RequestRecord {
    const request = this.deps.requests.require(fileRequestId);
    if (request.direction !== Direction.Incoming)
      throw conflict(`file request ${fileRequestId} is outgoing; only incoming ones are ${verb}`);
    if (request.status !== Status.Waiting)
      throw conflict(`file request ${fileRequestId} is not waiting (status ${request.status})`);
    if (this.deps.deciding.has(fileRequestId))
      throw conflict(`file request ${fileRequestId} is being accepted already`);
    return request;
  }

  private requireAvailable(): void {
    const availability = this.deps.session.availability();
    if (availability !== Availability.Available) {
      const why =
        availability === Availability.Forbidden
          ? 'the server forbids it for this account'
          : 'not logged in to a server';
      throw forbidden(`file transfer is not available: ${why} (availability ${availability})`);
    }
  }

  /**
   * Offers a stored file through the hub and records the outgoing request. The file is held for the duration of
   * the hub's answer, so it cannot be deleted between the check and the record (room-api.md §8: 409).
   */
  private async offer(
    fileId: number,
    target: { to: string } | { conference: true },
    subject: 'sendFile' | 'sendFileToConference',
  ): Promise<RequestRecord> {
    const { library, requests } = this.deps;
    const file = library.get(fileId);
    const fileRequestId = randomUUID();
    const release = library.hold(fileId);
    try {
      let created: LinkResult<'offer.create'>;
      try {
        created = await this.deps.link.request('offer.create', {
          sendId: fileRequestId,
          ...target,
          fileName: file.fileName,
          fileSize: file.fileSize,
          sha256: file.sha256,
        });
      } catch (error) {
        throw linkFailure(error, subject);
      }
      const recipient = 'to' in target ? created.offers[0] : null;
      const request: RequestRecord = {
        fileRequestId,
        direction: Direction.Outgoing,
        status: recipient ? Status.Waiting : Status.Transferring,
        statusReason: null,
        fileName: file.fileName,
        fileSize: file.fileSize,
        sha256: file.sha256,
        fileId: file.fileId,
        peerId: recipient?.peerId ?? null,
        peerDn: recipient?.peerDn ?? null,
        // The hub names the conference of every conference send (docs/hub-protocol.md); "" would be none.
        confId: recipient ? null : created.confId || null,
        timestamp: created.createdAt ?? this.deps.clock.now(),
        hubId: fileRequestId,
        processed: 0,
        account: requests.account,
        // The legacy peersCount (room-api.md §10): the hub made one offer per recipient.
        peersCount: created.offers.length,
      };
      requests.insert(request);
      return request;
    } finally {
      release();
    }
  }
}
