import { notFound } from '../protocol/errors.js';
import { Status, type Direction, type StatusReason } from '../protocol/common-types.js';
import type { Clock } from '../common/clock.js';
import type { RoomStore, RequestRecord } from './store.js';
import type { TransferEvents } from './transfer-events.js';

const LAST_ACCOUNT = 'lastAccount';

export interface RequestLedgerDeps {
  store: RoomStore;
  events: TransferEvents;
  clock: Clock;
  /** The account logged in now, or null. */
  loggedInAs: () => string | null;
}

/** Waiting for a decision or moving its body: the hub still has a say in it. */
export function isOpen(request: RequestRecord): boolean {
  return request.status === Status.Waiting || request.status === Status.Transferring;
}

/**
 * The file requests of the account the room shows, as the store keeps them. Every status change goes through
 * here: it is stored, with the history entry of a completed request, before it is announced.
 */
export class RequestLedger {
  constructor(private readonly deps: RequestLedgerDeps) {}

  /** Whose requests the lists show: the account logged in now, or the last one when logged out. */
  get account(): string {
    return this.deps.loggedInAs() ?? this.deps.store.get<string>(LAST_ACCOUNT) ?? '';
  }

  rememberAccount(peerId: string): void {
    this.deps.store.set(LAST_ACCOUNT, peerId);
  }

  get(fileRequestId: string): RequestRecord | undefined {
    return this.deps.store.getRequest(fileRequestId);
  }

  /** The request, or the API's 404. */
  require(fileRequestId: string): RequestRecord {
    const request = this.get(fileRequestId);
    if (!request) throw notFound(`file request ${fileRequestId} does not exist`);
    return request;
  }

  byHubId(direction: Direction, hubId: string): RequestRecord | undefined {
    return this.deps.store.getRequestByHubId(direction, hubId);
  }

  /** The shown account's requests in one direction, newest first. */
  list(direction: Direction): RequestRecord[] {
    return this.deps.store.listRequests(direction, this.account);
  }

  insert(request: RequestRecord): void {
    this.deps.store.insertRequest(request);
  }

  /**
   * Stores a new status (and the history entry when it is Done) without announcing it; returns the request.
   * `reasonText` says in words why a request failed, when something said more than `reason`.
   */
  record(
    request: RequestRecord,
    status: Status,
    reason: StatusReason | null = null,
    fileId: number | null = null,
    reasonText: string | null = null,
  ): RequestRecord {
    const store = this.deps.store;
    store.transaction(() => {
      store.setRequestStatus(request.fileRequestId, status, reason, fileId, reasonText);
      if (status === Status.Done) {
        const done = store.getRequest(request.fileRequestId)!;
        store.setProcessed(done.fileRequestId, done.fileSize);
        store.addHistory(
          {
            fileRequestId: done.fileRequestId,
            direction: done.direction,
            fileName: done.fileName,
            fileSize: done.fileSize,
            timestamp: done.timestamp,
            fileId: done.fileId!,
            peerId: done.peerId,
            peerDn: done.peerDn,
            confId: done.confId,
          },
          this.deps.clock.now(),
        );
      }
    });
    return store.getRequest(request.fileRequestId)!;
  }

  /** Announces a status stored with `record` (fileRequestStatusChanged). */
  announce(request: RequestRecord): void {
    this.deps.events.statusChanged(request);
  }

  /** Stores a new status, then announces it (fileRequestStatusChanged); returns the request. */
  setStatus(
    request: RequestRecord,
    status: Status,
    reason: StatusReason | null = null,
    fileId: number | null = null,
    reasonText: string | null = null,
  ): RequestRecord {
    const updated = this.record(request, status, reason, fileId, reasonText);
    this.deps.events.statusChanged(updated);
    return updated;
  }
}
