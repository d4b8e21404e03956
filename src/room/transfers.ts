import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { ApiError, ErrorCode, badRequest, conflict, forbidden, notFound } from '../protocol/errors.js';
import { sanitizeFileName } from '../protocol/file-name.js';
import type { IncomingOffer, LinkResult, OfferState, SendState } from '../protocol/hub-link.js';
import { AppState } from '../protocol/session-methods.js';
import { Backoff } from '../common/backoff.js';
import { Throttle } from '../common/throttle.js';
import { LinkError } from './hub-link.js';
import { BodyTransferError, HubBodies } from './hub-bodies.js';
import { BodyReceiver } from './body-receiver.js';
import { ProgressReporter, type ProgressSample } from './progress.js';
import type { Room } from './room.js';
import type { TransferPush } from './link-pushes.js';
import type { RequestRecord } from './store.js';
import { Availability, type Status, type StatusReason } from '../protocol/common-types.js';
import { incomingEventFields, requestInfo } from './views.js';

const LAST_ACCOUNT = 'lastAccount';
/** How often the bytes moved so far are written to the store while a body moves (for getFileRequestInfo). */
const PROCESSED_SAVE_MS = 1000;

/** Counts bytes and feeds a hash as they pass, without holding them. */
class Tap extends Transform {
  constructor(private readonly onChunk: (chunk: Buffer) => void) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.onChunk(chunk);
    done(null, chunk);
  }
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
      default:
        return new ApiError(ErrorCode.Internal, `${subject}: ${error.message}`);
    }
  }
  return new ApiError(ErrorCode.Internal, `${subject}: ${(error as Error).message}`);
}

/**
 * The transfer state machine of a room (room-api.md §8, §9, architecture.md "Moving a file"). Requests live in
 * the store; the hub is told of every decision and tells of every change; bodies move over the hub's HTTP routes
 * and resume from the byte where they stopped. Every status change is stored before it is announced.
 */
export class TransferEngine {
  private readonly running = new Map<string, AbortController>();
  private readonly reporters = new Map<string, ProgressReporter>();
  private readonly completing = new Map<string, Promise<void>>();
  /** Incoming requests with an accept or reject on its way to the hub: a second decision meanwhile is refused. */
  private readonly deciding = new Set<string>();
  private readonly bodies: HubBodies;
  private readonly receiver = new BodyReceiver({
    onFallback: (error) =>
      this.room.logger.error(
        { err: error },
        'the receive worker cannot run: bodies are received on the main thread',
      ),
  });
  private readonly unsubscribe: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly room: Room) {
    this.bodies = new HubBodies(
      () => room.session.link.target,
      () => room.session.identity?.session ?? null,
    );
  }

  start(): void {
    const session = this.room.session;
    const onLogin = () => this.background(this.onLogin());
    const onLogout = () => this.pauseAll();
    session.on('loggedIn', onLogin);
    session.on('loggedOut', onLogout);
    this.unsubscribe.push(
      () => session.off('loggedIn', onLogin),
      () => session.off('loggedOut', onLogout),
    );
  }

  stop(): void {
    this.stopped = true;
    for (const fn of this.unsubscribe) fn();
    this.pauseAll();
    this.background(this.receiver.stop());
  }

  /** Work nobody waits for: a failure is logged; after stop() failures are expected (the store is closed). */
  private background(work: Promise<unknown>): void {
    work.catch((error: unknown) => {
      if (!this.stopped) this.room.logger.error({ err: error }, 'transfer step failed');
    });
  }

  private get store() {
    return this.room.store;
  }

  private get events() {
    return this.room.events;
  }

  /** Whose requests the lists show: the account logged in now, or the last one when logged out. */
  private get account(): string {
    return this.room.session.identity?.peerId ?? this.store.get<string>(LAST_ACCOUNT) ?? '';
  }

  // --- queries -------------------------------------------------------------------------------------------

  private request(fileRequestId: string): RequestRecord {
    const request = this.store.getRequest(fileRequestId);
    if (!request) throw notFound(`file request ${fileRequestId} does not exist`);
    return request;
  }

  info(fileRequestId: string) {
    const request = this.request(fileRequestId);
    const info = requestInfo(request);
    if (request.status !== 2) return info;
    const reporter = this.reporters.get(fileRequestId);
    const processed = reporter ? reporter.processedBytes : request.processed;
    const processedPercents =
      request.fileSize > 0 ? Math.min(100, Math.floor((processed * 100) / request.fileSize)) : 100;
    return { ...info, processedPercents };
  }

  /** Incoming requests, newest first; rejected ones are removed from the list (room-api.md §8). */
  incoming(): RequestRecord[] {
    return this.store
      .listRequests(0, this.account)
      .filter((r) => !(r.status === 0 && r.statusReason === 'rejected'));
  }

  outgoing(): RequestRecord[] {
    return this.store.listRequests(1, this.account);
  }

  // --- methods -------------------------------------------------------------------------------------------

  private requireAvailable(): void {
    const availability = this.room.session.availability();
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
    const file = this.room.library.get(fileId);
    const fileRequestId = randomUUID();
    const release = this.room.library.hold(fileId);
    try {
      let created: LinkResult<'offer.create'>;
      try {
        created = await this.room.session.link.request('offer.create', {
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
        direction: 1,
        status: recipient ? 1 : 2,
        statusReason: null,
        fileName: file.fileName,
        fileSize: file.fileSize,
        sha256: file.sha256,
        fileId: file.fileId,
        peerId: recipient?.peerId ?? null,
        peerDn: recipient?.peerDn ?? null,
        // The hub names the conference of every conference send (docs/hub-protocol.md); "" would be none.
        confId: recipient ? null : created.confId || null,
        timestamp: created.createdAt ?? this.room.clock.now(),
        hubId: fileRequestId,
        processed: 0,
        account: this.account,
      };
      this.store.insertRequest(request);
      return request;
    } finally {
      release();
    }
  }

  async sendToUser(
    fileId: number,
    peer: string | undefined,
  ): Promise<{ fileRequestId: string; announce: () => void }> {
    if (!peer) throw badRequest('missing parameter "peerId" (or "callId")');
    if (peer.includes('/'))
      throw badRequest(`"${peer}" is an InstanceId: send to a TrueConf ID (name@domain)`);
    this.requireAvailable();
    const request = await this.offer(fileId, { to: peer.trim() }, 'sendFile');
    return {
      fileRequestId: request.fileRequestId,
      announce: () =>
        this.events.emit('outgoingFileRequestSent', {
          fileRequestId: request.fileRequestId,
          peerId: request.peerId ?? '',
          peerDn: request.peerDn ?? '',
          fileName: request.fileName,
          fileSize: request.fileSize,
          fileId: fileId,
          timestamp: request.timestamp,
        }),
    };
  }

  async sendToConference(fileId: number): Promise<{ fileRequestId: string; announce: () => void }> {
    this.requireAvailable();
    this.room.library.get(fileId);
    if (this.room.session.appState() !== AppState.InConference) {
      throw conflict('sendFileToConference needs a group conference (appState 5)');
    }
    const request = await this.offer(fileId, { conference: true }, 'sendFileToConference');
    return {
      fileRequestId: request.fileRequestId,
      announce: () => {
        this.events.emit('outgoingFileRequestSentToConference', {
          fileRequestId: request.fileRequestId,
          fileName: request.fileName,
          fileSize: request.fileSize,
          fileId,
          confId: request.confId!,
          timestamp: request.timestamp,
        });
        this.announceStatus(request);
        this.startUpload(request.fileRequestId);
      },
    };
  }

  async accept(fileRequestId: string): Promise<() => void> {
    const request = this.request(fileRequestId);
    if (request.direction !== 0)
      throw conflict(`file request ${fileRequestId} is outgoing; only incoming ones are accepted`);
    if (request.status !== 1)
      throw conflict(`file request ${fileRequestId} is not waiting (status ${request.status})`);
    this.requireNoDecision(fileRequestId);
    this.requireAvailable();
    const free = this.room.quotaBytes - this.room.files.usedBytes();
    if (request.fileSize > free) {
      throw new ApiError(
        ErrorCode.TooLarge,
        `not enough storage: the file needs ${request.fileSize} bytes, ${free} are free`,
      );
    }
    this.deciding.add(fileRequestId);
    try {
      await this.room.session.link.request('offer.accept', { offerId: request.hubId });
    } catch (error) {
      if (error instanceof LinkError && error.code === 'conflict') this.background(this.resync());
      throw linkFailure(error, 'acceptIncomingFileRequest');
    } finally {
      this.deciding.delete(fileRequestId);
    }
    this.store.setRequestStatus(fileRequestId, 2);
    const accepted = this.request(fileRequestId);
    return () => {
      this.events.emit('incomingFileRequestAccepted', incomingEventFields(accepted));
      this.announceStatus(accepted);
      this.startDownload(fileRequestId);
    };
  }

  async reject(fileRequestId: string): Promise<() => void> {
    const request = this.request(fileRequestId);
    if (request.direction !== 0)
      throw conflict(`file request ${fileRequestId} is outgoing; only incoming ones are rejected`);
    if (request.status !== 1)
      throw conflict(`file request ${fileRequestId} is not waiting (status ${request.status})`);
    this.requireNoDecision(fileRequestId);
    // Stored first: when the server cannot be told now, it is told at the next login (see reconcile).
    this.store.setRequestStatus(fileRequestId, 0, 'rejected');
    try {
      await this.room.session.link.request('offer.reject', { offerId: request.hubId });
    } catch (error) {
      if (error instanceof LinkError && error.code === 'conflict') this.background(this.resync());
      else this.room.logger.info({ fileRequestId }, 'rejection will reach the server at the next login');
    }
    return () => this.events.emit('incomingFileRequestRejected', incomingEventFields(request));
  }

  private requireNoDecision(fileRequestId: string): void {
    if (this.deciding.has(fileRequestId))
      throw conflict(`file request ${fileRequestId} is being accepted already`);
  }

  // --- status --------------------------------------------------------------------------------------------

  private announceStatus(request: RequestRecord): void {
    this.events.emit('fileRequestStatusChanged', requestInfo(request));
  }

  /** Stores a new status, records history on completion, then announces it. */
  private setStatus(
    request: RequestRecord,
    status: Status,
    reason: StatusReason | null = null,
    fileId: number | null = null,
  ) {
    this.store.transaction(() => {
      this.store.setRequestStatus(request.fileRequestId, status, reason, fileId);
      if (status === 3) {
        const done = this.store.getRequest(request.fileRequestId)!;
        this.store.setProcessed(done.fileRequestId, done.fileSize);
        this.store.addHistory(
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
          this.room.clock.now(),
        );
      }
    });
    const updated = this.store.getRequest(request.fileRequestId)!;
    this.announceStatus(updated);
    return updated;
  }

  // --- the hub's side ------------------------------------------------------------------------------------

  private async onLogin(): Promise<void> {
    const identity = this.room.session.identity;
    if (!identity) return;
    this.store.set(LAST_ACCOUNT, identity.peerId);
    await this.resync();
  }

  /** Brings the room and the hub into agreement: run at every login, and when the hub says we are out of step. */
  private async resync(): Promise<void> {
    // Only requests open before the sync was asked for can be judged by its answer: one created meanwhile
    // (a sendFile, an offer pushed while the sync was on its way) is not in it.
    const open = (direction: 0 | 1) =>
      this.store
        .listRequests(direction, this.account)
        .filter((r) => r.status === 1 || r.status === 2)
        .map((r) => r.fileRequestId);
    const openBefore = new Set([...open(0), ...open(1)]);
    let sync: LinkResult<'sync'>;
    try {
      sync = await this.room.session.link.request('sync', {});
    } catch (error) {
      this.room.logger.warn({ err: (error as Error).message }, 'sync with the server failed');
      return;
    }
    for (const offer of sync.incoming) await this.receiveOffer(offer);
    const listed = new Set(sync.sends.map((send) => send.sendId));
    for (const send of sync.sends) await this.applySendState(send);
    // Outgoing requests still open here that the hub no longer lists as open have ended without us hearing.
    for (const request of this.store.listRequests(1, this.account)) {
      if (
        (request.status === 1 || request.status === 2) &&
        !listed.has(request.hubId) &&
        openBefore.has(request.fileRequestId)
      ) {
        this.stopRunning(request.fileRequestId);
        this.setStatus(request, 0, 'failed');
      }
    }
    // Likewise incoming ones: the hub lists every offer still open for this room, so one it leaves out was
    // taken or answered by another room of this account (or ended) while this one was away.
    const offered = new Set(sync.incoming.map((offer) => offer.offerId));
    for (const request of this.store.listRequests(0, this.account)) {
      if (
        (request.status === 1 || request.status === 2) &&
        !offered.has(request.hubId) &&
        openBefore.has(request.fileRequestId)
      ) {
        this.stopRunning(request.fileRequestId);
        await rm(this.room.files.partialPathOf(request.fileRequestId), { force: true });
        const current = this.store.getRequest(request.fileRequestId)!;
        if (current.status === 1 || current.status === 2) this.setStatus(current, 0, 'cancelled');
      } else if (request.status === 2) this.startDownload(request.fileRequestId);
    }
  }

  /** A push about an offer or a send (see link-pushes.ts). */
  onPush(push: TransferPush): void {
    switch (push.push) {
      case 'offer':
        this.background(this.receiveOffer(push.offer));
        break;
      case 'offer.state': {
        const request = this.store.getRequestByHubId(0, push.offerId);
        if (request) this.background(this.applyOfferState(request, push.state));
        break;
      }
      case 'send.state':
        this.background(this.applySendState(push));
        break;
    }
  }

  private async acknowledge(offerId: string, state: OfferState): Promise<void> {
    try {
      await this.room.session.link.request('offer.seen', { offers: [{ offerId, state }] });
    } catch {
      // Not confirmed: the hub sends it again at the next sync, and applying it twice changes nothing.
    }
  }

  private async receiveOffer(offer: IncomingOffer): Promise<void> {
    const existing = this.store.getRequestByHubId(0, offer.offerId);
    if (existing) return this.applyOfferState(existing, offer.state);
    if (offer.state !== 'waiting') {
      // Ended before this room ever showed it: nothing to show now.
      await this.acknowledge(offer.offerId, offer.state);
      return;
    }
    const request: RequestRecord = {
      fileRequestId: randomUUID(),
      direction: 0,
      status: 1,
      statusReason: null,
      fileName: sanitizeFileName(offer.fileName),
      fileSize: offer.fileSize,
      sha256: offer.sha256,
      fileId: null,
      peerId: offer.from.peerId,
      peerDn: offer.from.peerDn,
      confId: offer.confId || null,
      timestamp: offer.createdAt,
      hubId: offer.offerId,
      processed: 0,
      account: this.account,
    };
    this.store.insertRequest(request);
    this.events.emit('receivedFileRequest', incomingEventFields(request));
    await this.acknowledge(offer.offerId, 'waiting');
  }

  private async applyOfferState(request: RequestRecord, state: OfferState): Promise<void> {
    const offerId = request.hubId;
    const tell = async (op: 'offer.reject' | 'offer.done' | 'offer.failed') => {
      try {
        await this.room.session.link.request(
          op,
          op === 'offer.failed' ? { offerId, reason: 'failed' } : { offerId },
        );
      } catch (error) {
        this.room.logger.debug({ err: (error as Error).message, op }, 'could not tell the server');
      }
    };
    switch (state) {
      case 'expired':
      case 'failed':
      case 'cancelled':
        if (request.status === 1 || request.status === 2) {
          this.stopRunning(request.fileRequestId);
          await rm(this.room.files.partialPathOf(request.fileRequestId), { force: true });
          this.setStatus(request, 0, state);
        }
        break;
      case 'waiting':
        if (request.status === 0 && request.statusReason === 'rejected') await tell('offer.reject');
        break;
      case 'rejected':
        // Rejected by another room logged in as the same account: it leaves this room's list too.
        if (request.status === 1) this.setStatus(request, 0, 'rejected');
        break;
      case 'accepted':
        // Our own acceptance on its way: accept() announces it once the hub's reply is in.
        if (this.deciding.has(request.fileRequestId)) break;
        if (request.status === 1) {
          // The hub took our acceptance but the room stopped before storing it.
          this.events.emit('incomingFileRequestAccepted', incomingEventFields(request));
          this.setStatus(request, 2);
        }
        if (request.status === 3) await tell('offer.done');
        else if (request.status === 0) await tell('offer.failed');
        else this.startDownload(request.fileRequestId);
        break;
      default:
        break;
    }
    await this.acknowledge(offerId, state);
  }

  private async applySendState(state: SendState): Promise<void> {
    let request = this.store.getRequestByHubId(1, state.sendId);
    // Not ours: another room logged in as this account sent it. Confirming here would tell the hub that the
    // sending room has seen this status, and that room, if away, would then never hear of it.
    if (!request) return;
    if (request.status === 1 && state.status >= 2) {
      request = this.setStatus(request, 2);
    }
    if (request.status === 2 && state.status === 2) {
      this.startUpload(request.fileRequestId);
    } else if (request.status === 2 && state.status === 3) {
      await this.completeUpload(request);
    } else if ((request.status === 1 || request.status === 2) && state.status === 0) {
      this.stopRunning(request.fileRequestId);
      this.setStatus(request, 0, state.reason ?? 'failed');
    }
    await this.confirmSend(state.sendId, this.store.getRequest(request.fileRequestId)!.status);
  }

  private async confirmSend(sendId: string, status: Status): Promise<void> {
    try {
      await this.room.session.link.request('send.seen', { sendId, status });
    } catch {
      // Sent again at the next sync.
    }
  }

  // --- bodies --------------------------------------------------------------------------------------------

  private pauseAll(): void {
    for (const id of [...this.running.keys()]) this.stopRunning(id);
  }

  private stopRunning(fileRequestId: string): void {
    this.running.get(fileRequestId)?.abort();
    this.running.delete(fileRequestId);
    this.reporters.get(fileRequestId)?.cancel();
    this.reporters.delete(fileRequestId);
  }

  private reporter(request: RequestRecord): ProgressReporter {
    let reporter = this.reporters.get(request.fileRequestId);
    if (reporter) return reporter;
    let lastSaved = 0;
    const interval = () => this.room.progressIntervalMs();
    reporter = new ProgressReporter(
      request.fileSize,
      (sample: ProgressSample) => {
        const now = Date.now();
        if (now - lastSaved >= PROCESSED_SAVE_MS) {
          lastSaved = now;
          this.store.setProcessed(request.fileRequestId, sample.processedSize);
        }
        if (request.direction === 0) {
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
      },
      interval,
    );
    this.reporters.set(request.fileRequestId, reporter);
    return reporter;
  }

  /** Runs a body loop once per request at a time, retrying with backoff while the request stays in status 2. */
  private run(
    fileRequestId: string,
    body: (request: RequestRecord, signal: AbortSignal) => Promise<boolean>,
  ): void {
    if (this.running.has(fileRequestId) || this.stopped) return;
    const controller = new AbortController();
    this.running.set(fileRequestId, controller);
    const backoff = new Backoff(500, 30_000);
    const loop = async () => {
      while (!controller.signal.aborted) {
        const request = this.store.getRequest(fileRequestId);
        if (!request || request.status !== 2 || !this.room.session.identity) break;
        try {
          if (await body(request, controller.signal)) break;
          backoff.reset();
        } catch (error) {
          if (controller.signal.aborted) break;
          this.room.logger.info(
            { fileRequestId, err: (error as Error).message },
            'transfer interrupted; retrying',
          );
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, backoff.next());
            controller.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
      }
      if (this.running.get(fileRequestId) === controller) this.running.delete(fileRequestId);
    };
    this.background(loop());
  }

  private startUpload(fileRequestId: string): void {
    this.run(fileRequestId, (request, signal) => this.uploadOnce(request, signal));
  }

  /** One attempt to get the whole body to the hub; true when nothing more is to be done. */
  private async uploadOnce(request: RequestRecord, signal: AbortSignal): Promise<boolean> {
    const { held, complete } = await this.bodies.held(request.sha256, request.hubId, signal);
    const reporter = this.reporter(request);
    if (complete || held >= request.fileSize) {
      await this.completeUpload(request);
      return true;
    }
    reporter.update(held);
    const path = this.room.files.pathOf(request.fileId!);
    let sent = held;
    const source = createReadStream(path, { start: held, highWaterMark: 1 << 20 });
    const tap = new Tap((chunk) => {
      sent += chunk.length;
      reporter.update(sent);
    });
    const rate = this.room.options.maxRateBytes;
    if (rate) {
      const throttle = new Throttle(rate);
      source.pipe(throttle).pipe(tap);
      throttle.on('error', (error) => tap.destroy(error));
    } else {
      source.pipe(tap);
    }
    source.on('error', (error) => tap.destroy(error));
    try {
      const after = await this.bodies.append(request.sha256, request.hubId, held, tap, signal);
      if (after >= request.fileSize) {
        await this.completeUpload(request);
        return true;
      }
      return false;
    } catch (error) {
      if (error instanceof BodyTransferError && error.status === 422) {
        this.stopRunning(request.fileRequestId);
        const current = this.store.getRequest(request.fileRequestId)!;
        if (current.status === 2) this.setStatus(current, 0, 'failed');
        return true;
      }
      if (error instanceof BodyTransferError && error.status === 409 && error.offset === undefined) {
        // The hub no longer wants this body (the offer ended): its send.state push says how.
        return true;
      }
      throw error;
    }
  }

  /**
   * The hub holds the whole body: the 100 % progress event, then status 3. Both the end of our own upload and
   * the hub's send.state push lead here; the second caller waits for the first instead of racing it.
   */
  private completeUpload(request: RequestRecord): Promise<void> {
    const id = request.fileRequestId;
    let completing = this.completing.get(id);
    if (!completing) {
      completing = (async () => {
        const current = this.store.getRequest(id)!;
        if (current.status !== 2) return;
        await this.reporter(current).finish();
        this.reporters.delete(id);
        if (this.stopped) return; // the store is closed; the hub's sync says "done" at the next start
        const again = this.store.getRequest(id)!;
        if (again.status === 2) this.setStatus(again, 3);
      })().finally(() => this.completing.delete(id));
      this.completing.set(id, completing);
    }
    return completing;
  }

  private startDownload(fileRequestId: string): void {
    this.run(fileRequestId, (request, signal) => this.downloadOnce(request, signal));
  }

  /** One attempt to receive the rest of the body; verifies and stores it when whole. */
  private async downloadOnce(request: RequestRecord, signal: AbortSignal): Promise<boolean> {
    const partial = this.room.files.partialPathOf(request.fileRequestId);
    let offset = await this.room.files.sizeOnDisk(partial);
    if (offset > request.fileSize) {
      await rm(partial, { force: true });
      offset = 0;
    }
    const reporter = this.reporter(request);
    reporter.update(offset);
    let body;
    try {
      body = await this.receiver.receive(
        {
          request: this.bodies.downloadRequest(request.sha256, request.hubId, offset),
          partial,
          offset,
          fileSize: request.fileSize,
          maxRateBytes: this.room.options.maxRateBytes,
        },
        signal,
        (bytes) => reporter.update(bytes),
      );
    } catch (error) {
      if (error instanceof BodyTransferError && (error.status === 409 || error.status === 404)) {
        // The offer is no longer ours to download: the hub's offer.state says why; ask for it.
        this.background(this.resync());
        return true;
      }
      throw error;
    }
    if (body.received < request.fileSize) return false;
    reporter.update(body.received);
    const size = (await stat(partial)).size;
    const digest = body.sha256;
    const current = this.store.getRequest(request.fileRequestId)!;
    if (current.status !== 2) return true;
    if (size !== request.fileSize || digest !== request.sha256) {
      await rm(partial, { force: true });
      this.stopRunning(request.fileRequestId);
      this.setStatus(current, 0, 'failed');
      await this.tellHub('offer.failed', request.hubId);
      return true;
    }
    await reporter.finish();
    this.reporters.delete(request.fileRequestId);
    const fileId = this.room.files.newFileId();
    await this.room.files.adopt(partial, {
      fileId,
      fileName: request.fileName,
      fileSize: request.fileSize,
      sha256: request.sha256,
      timestamp: this.room.clock.now(),
      source: 'received',
    });
    this.setStatus(current, 3, null, fileId);
    await this.tellHub('offer.done', request.hubId);
    return true;
  }

  private async tellHub(op: 'offer.done' | 'offer.failed', offerId: string): Promise<void> {
    try {
      await this.room.session.link.request(
        op,
        op === 'offer.failed' ? { offerId, reason: 'failed' } : { offerId },
      );
    } catch (error) {
      // The hub asks again at the next sync (it still lists the offer as accepted).
      this.room.logger.debug({ err: (error as Error).message, op }, 'could not tell the server');
    }
  }
}
