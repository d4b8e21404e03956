import {
  AppState,
  Direction,
  RoomApiError,
  RoomConnectionError,
  Status,
  type EventMessage,
} from '../client/browser.js';
import type { BrowserRoomClient } from '../client/browser.js';
import { asLabel, normalizePeer, outgoingFailure, rejectCause, loginResult } from './format.js';
import { forgetPeer, rememberPeer, recentPeers, saveReason, savedReasons } from './storage.js';

/**
 * What the page knows about its room, built from the Room API's replies and kept live by its events. The
 * components read `state` and call the actions; nothing here touches the DOM.
 */

export interface Transfer {
  fileRequestId: string;
  /** 0 incoming, 1 outgoing. */
  direction: 0 | 1;
  fileName: string;
  fileSize: number;
  timestamp: number;
  status: Status;
  statusReason?: string;
  /** Why, in the server's words, when a send failed there (over quota, a full store): the room's `statusReasonText`. */
  statusReasonText?: string;
  peerId?: string;
  peerDn?: string;
  confId?: string;
  fileId?: number;
  /** 0–100 while moving; 100 when done. */
  percent: number;
  /** Bytes moved so far and bytes per second, when the room reports them. */
  processed?: number;
  speed?: number;
}

export type SendTarget = { kind: 'peer'; peerId: string } | { kind: 'conference'; title: string };

/** A file this page is uploading to its room before the room offers it (the first half of a send). */
export interface LocalSend {
  id: number;
  fileName: string;
  fileSize: number;
  to: SendTarget;
  phase: 'queued' | 'uploading' | 'offering' | 'failed';
  sent: number;
  speed: number;
  startedAt: number;
  error?: string;
}

export interface HistoryItem {
  directionType: 0 | 1;
  fileName: string;
  fileSize: number;
  timestamp: number;
  fileRequestId: string;
  fileId: number;
  peerId?: string;
  peerDn?: string;
  confId?: string;
}

export interface Conference {
  confId: string;
  confTitle: string;
  confType?: number;
  owner?: string;
}

export interface Participant {
  peerId: string;
  peerDn: string;
  role: number;
}

export interface Invite {
  peerId?: string;
  peerDn?: string;
  confTitle?: string;
  confId?: string;
}

export interface Notice {
  id: number;
  kind: 'info' | 'success' | 'error';
  text: string;
}

export type Connection = 'connected' | 'reconnecting';

export interface RoomState {
  loaded: boolean;
  connection: Connection;
  /** 2 admin, 1 user. */
  privileges: number;
  login: { isLoggedIn: boolean; peerId?: string; peerDn?: string };
  server: { state: number; server?: string; port?: number; domain?: string };
  appState: number;
  availability: number;
  /** The outcome of the last login attempt from this page (admin), in words. */
  loginOutcome: { ok: boolean; text: string } | null;
  conference: Conference | null;
  participants: Participant[];
  invite: Invite | null;
  transfers: Record<string, Transfer>;
  history: HistoryItem[];
  /** fileIds present on the room's HTTP server. */
  files: Record<number, true>;
  sends: LocalSend[];
  notices: Notice[];
  recentPeers: string[];
}

function initialState(): RoomState {
  return {
    loaded: false,
    connection: 'connected',
    privileges: 0,
    login: { isLoggedIn: false },
    server: { state: 0 },
    appState: 0,
    availability: 2,
    loginOutcome: null,
    conference: null,
    participants: [],
    invite: null,
    transfers: {},
    history: [],
    files: {},
    sends: [],
    notices: [],
    recentPeers: recentPeers(),
  };
}

/** A Room API failure in words: the room's own message, which names the problem. */
export function describeError(error: unknown): string {
  if (error instanceof RoomApiError) {
    if (error.errorCode === 429) return 'Too many attempts: wait a minute, then try again';
    return asLabel(error.error);
  }
  if (error instanceof RoomConnectionError)
    return 'The connection to the room was lost; try again in a moment';
  return error instanceof Error ? error.message : String(error);
}

let nextId = 1;

export class RoomModel {
  state: RoomState = initialState();
  private readonly listeners = new Set<() => void>();
  private offs: (() => void)[] = [];
  private notifyTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Requests an event touched while a refresh was on its way: the event is newer than the refresh. */
  private touched: Set<string> | null = null;
  private sendQueue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(public client: BrowserRoomClient) {}

  // --- store ---------------------------------------------------------------------------------------------

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(patch: Partial<RoomState> | ((state: RoomState) => Partial<RoomState>), now = false): void {
    const changes = typeof patch === 'function' ? patch(this.state) : patch;
    this.state = { ...this.state, ...changes };
    if (now) return this.notify();
    // Progress comes many times a second for several requests: one render per 50 ms is plenty.
    this.notifyTimer ??= setTimeout(() => this.notify(), 50);
  }

  private notify(): void {
    clearTimeout(this.notifyTimer);
    this.notifyTimer = undefined;
    for (const listener of this.listeners) listener();
  }

  private later(key: string, delayMs: number, action: () => void): void {
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (!this.closed) action();
      }, delayMs),
    );
  }

  notice(kind: Notice['kind'], text: string): void {
    const id = nextId++;
    this.set((state) => ({ notices: [...state.notices.slice(-4), { id, kind, text }] }), true);
    setTimeout(() => this.dismiss(id), kind === 'error' ? 12_000 : 6_000);
  }

  dismiss(id: number): void {
    this.set((state) => ({ notices: state.notices.filter((notice) => notice.id !== id) }), true);
  }

  get domain(): string | undefined {
    const peerId = this.state.login.peerId;
    return this.state.server.domain ?? (peerId?.includes('@') ? peerId.split('@')[1] : undefined);
  }

  // --- life ----------------------------------------------------------------------------------------------

  /** Listens to the client's events and loads everything; again after each reconnect. */
  async attach(client: BrowserRoomClient): Promise<void> {
    for (const off of this.offs) off();
    this.client = client;
    this.offs = [client.onAny((event) => this.handle(event))];
    this.set({ connection: 'connected', privileges: client.privileges });
    await this.refresh();
  }

  setConnection(connection: Connection): void {
    this.set({ connection }, true);
  }

  close(): void {
    this.closed = true;
    for (const off of this.offs) off();
    for (const timer of this.timers.values()) clearTimeout(timer);
    clearTimeout(this.notifyTimer);
  }

  /** Asks the room for everything the page shows. */
  async refresh(): Promise<void> {
    const c = this.client;
    this.touched = new Set();
    try {
      const [login, connected, app, availability, conference, incoming, outgoing, history, files] =
        await Promise.all([
          c.getLogin(),
          c.getConnected(),
          c.getAppState(),
          c.getFileTransferAvailability(),
          c.getConferences(),
          c.getIncomingFilesRequests(),
          c.getOutgoingFilesRequests(),
          c.getFileTransferHistory(),
          c.getFileList(),
        ]);
      const reasons = savedReasons();
      const transfers: Record<string, Transfer> = {};
      // The two lists share a shape; only outgoing items carry the sender's fileId.
      const lists = [
        [0, incoming.incomingFilesRequests],
        [1, outgoing.outgoingFilesRequests],
      ] as const;
      for (const [direction, items] of lists) {
        for (const item of items) {
          transfers[item.fileRequestId] = {
            fileRequestId: item.fileRequestId,
            direction,
            fileName: item.fileName,
            fileSize: item.size,
            timestamp: item.timestamp,
            status: item.status,
            statusReason: reasons[item.fileRequestId],
            peerId: item.peerId,
            peerDn: item.peerDn,
            confId: item.confId,
            fileId: 'fileId' in item ? item.fileId : undefined,
            percent: item.status === Status.Done ? 100 : 0,
          };
        }
      }
      // Incoming items carry no fileId, no item says how far it got, and ended ones do not say why (this browser
      // may not have seen their event): ask for those that need it, running and received ones first.
      const needInfo = Object.values(transfers)
        .filter(
          (t) =>
            t.status === Status.Transferring ||
            (t.status === Status.Done && t.direction === Direction.Incoming) ||
            // Only the room keeps the server's words for a failed send: asked again on every load.
            (t.status === Status.Failed && (!t.statusReason || t.statusReason === 'failed')),
        )
        .sort((a, b) => Number(a.status === Status.Failed) - Number(b.status === Status.Failed))
        .slice(0, 200);
      const infos = await Promise.all(
        needInfo.map((t) => c.getFileRequestInfo({ fileRequestId: t.fileRequestId }).catch(() => null)),
      );
      for (const info of infos) {
        const t = info && transfers[info.fileRequestId];
        if (!t) continue;
        if (info.fileId !== undefined) t.fileId = info.fileId;
        if (info.processedPercents !== undefined) t.percent = info.processedPercents;
        if (t.status === Status.Failed && info.statusReason) {
          t.statusReason = info.statusReason;
          saveReason(t.fileRequestId, info.statusReason);
        }
        if (t.status === Status.Failed && info.statusReasonText) t.statusReasonText = info.statusReasonText;
      }
      let participants: Participant[] = [];
      if (conference.confId) {
        participants = (await c.getConferenceParticipants().catch(() => ({ participants: [] }))).participants;
      }
      const touched = this.touched;
      this.set((state) => {
        // Events that arrived while the replies were on their way are newer: keep what they said.
        for (const id of touched ?? []) {
          if (state.transfers[id]) transfers[id] = state.transfers[id];
        }
        return {
          loaded: true,
          privileges: c.privileges,
          login: login.isLoggedIn
            ? { isLoggedIn: true, peerId: login.peerId, peerDn: login.peerDn }
            : { isLoggedIn: false },
          server: serverOf(connected, state.server),
          appState: app.appState,
          availability: availability.availability,
          conference: conference.confId
            ? {
                confId: conference.confId,
                confTitle: conference.confTitle ?? '',
                confType: conference.confType,
                owner: conference.conferenceOwner,
              }
            : null,
          participants,
          invite: app.appState === AppState.Calling ? (state.invite ?? {}) : null,
          transfers,
          history: history.filesRequests,
          files: Object.fromEntries(files.fileList.map((f) => [f.fileId, true as const])),
        };
      }, true);
    } finally {
      this.touched = null;
    }
  }

  private async refreshSession(): Promise<void> {
    const [login, connected] = await Promise.all([this.client.getLogin(), this.client.getConnected()]);
    this.set((state) => ({
      login: login.isLoggedIn
        ? { isLoggedIn: true, peerId: login.peerId, peerDn: login.peerDn }
        : { isLoggedIn: false },
      server: serverOf(connected, state.server),
    }));
  }

  private async refreshHistory(): Promise<void> {
    const [history, files] = await Promise.all([
      this.client.getFileTransferHistory(),
      this.client.getFileList(),
    ]);
    this.set({
      history: history.filesRequests,
      files: Object.fromEntries(files.fileList.map((f) => [f.fileId, true as const])),
    });
  }

  private async refreshParticipants(): Promise<void> {
    const reply = await this.client.getConferenceParticipants();
    this.set({ participants: reply.participants });
  }

  // --- events --------------------------------------------------------------------------------------------

  private updateTransfer(id: string, change: (t: Transfer | undefined) => Transfer | null): void {
    this.touched?.add(id);
    this.set((state) => {
      const next = change(state.transfers[id]);
      const transfers = { ...state.transfers };
      if (next) transfers[id] = next;
      else delete transfers[id];
      return { transfers };
    });
  }

  /** Each event of the room, typed by its name, to the handler that keeps the state in step with it. */
  private handle(message: EventMessage): void {
    switch (message.event) {
      case 'appStateChanged':
        return this.appStateChanged(message);
      case 'serverConnected':
      case 'serverDisconnected':
        return this.serverChanged(message);
      case 'login':
        return this.loggedIn(message);
      case 'logout':
        return this.set({ login: { isLoggedIn: false }, loginOutcome: null });
      case 'fileTransferAvailabilityChanged':
        return this.set({ availability: message.availability });
      case 'receivedFileRequest':
        return this.offerReceived(message);
      case 'incomingFileRequestRejected':
        // Rejected requests leave the incoming list (room-api.md §8).
        return this.updateTransfer(message.fileRequestId, () => null);
      case 'incomingFileRequestDownloadingProgress':
      case 'outgoingFileRequestUploadingProgress':
        return this.progressed(message);
      case 'outgoingFileRequestSent':
        return this.offerSent(message, 1, {
          peerId: message.peerId,
          peerDn: message.peerDn,
          confId: undefined,
        });
      case 'outgoingFileRequestSentToConference':
        return this.offerSent(message, 2, { peerId: undefined, peerDn: undefined, confId: message.confId });
      case 'fileRequestStatusChanged':
        return this.statusChanged(message);
      case 'fileTransferHistoryCleared':
        return this.historyCleared(message.removedFromDisk);
      case 'fileDeletedFromFileTransferHistory':
        return this.historyEntryDeleted(message.fileId, message.removedFromDisk);
      case 'conferenceCreated':
        return this.conferenceCreated(message);
      case 'conferenceDeleted':
        return this.conferenceDeleted(message.confId);
      case 'inviteReceived':
        return this.inviteReceived(message);
      case 'rejectSent':
        return this.set({ invite: null });
      case 'rejectReceived':
        return this.notice('info', rejectCause(message.cause, message.peerDn || message.peerId));
      case 'newParticipantInConference':
        return this.participantJoined(message);
      case 'participantLeftConference':
        return this.participantLeft(message.peerId);
      default:
        // The page shows nothing of the others (authorization, the HTTP server's settings and state).
        return;
    }
  }

  private serverChanged(e: EventMessage<'serverConnected' | 'serverDisconnected'>): void {
    const server =
      e.event === 'serverConnected'
        ? { state: 2, server: e.server, port: e.port, domain: e.domain }
        : { state: 0, server: e.server, port: e.port };
    this.set({ server });
  }

  private appStateChanged({ appState }: EventMessage<'appStateChanged'>): void {
    this.set((state) => ({ appState, invite: appState === AppState.Calling ? (state.invite ?? {}) : null }));
    this.later('session', 150, () => void this.refreshSession().catch(() => undefined));
  }

  private loggedIn({ result, peerId, peerDn }: EventMessage<'login'>): void {
    if (result !== 0) {
      this.set({ loginOutcome: { ok: false, text: loginResult(result) } }, true);
      return;
    }
    this.set({
      login: { isLoggedIn: true, peerId, peerDn },
      loginOutcome: { ok: true, text: `Logged in as ${peerDn ?? peerId}` },
    });
  }

  private offerReceived(e: EventMessage<'receivedFileRequest'>): void {
    const id = e.fileRequestId;
    this.updateTransfer(id, (t) => ({
      ...t,
      fileRequestId: id,
      direction: 0,
      fileName: e.fileName,
      fileSize: e.fileSize,
      timestamp: e.timestamp,
      status: 1,
      peerId: e.peerId,
      peerDn: e.peerDn,
      confId: e.confId,
      percent: 0,
    }));
    this.notice('info', `${e.peerDn || e.peerId} offers you ${e.fileName}`);
  }

  /** Progress of a request this page knows: never backwards while it runs; a done request stays done. */
  private progressed(
    e: EventMessage<'incomingFileRequestDownloadingProgress' | 'outgoingFileRequestUploadingProgress'>,
  ): void {
    this.updateTransfer(e.fileRequestId, (t) =>
      t
        ? {
            ...t,
            status: t.status === Status.Done ? Status.Done : Status.Transferring,
            percent: Math.max(t.status === Status.Transferring ? t.percent : 0, e.processedPercents),
            processed: e.processedSize === undefined ? t.processed : e.processedSize,
            speed: e.speed === undefined ? t.speed : e.speed,
          }
        : null,
    );
  }

  /**
   * An outgoing request the room created (this page's send or another client's): `status` is where it starts,
   * waiting for a user's answer (1) or already moving to a conference (2), unless an event said more already.
   */
  private offerSent(
    e: EventMessage<'outgoingFileRequestSent' | 'outgoingFileRequestSentToConference'>,
    status: Status,
    to: Pick<Transfer, 'peerId' | 'peerDn' | 'confId'>,
  ): void {
    const id = e.fileRequestId;
    this.updateTransfer(id, (t) => ({
      percent: 0,
      ...t,
      fileRequestId: id,
      direction: 1,
      fileName: e.fileName,
      fileSize: e.fileSize,
      timestamp: e.timestamp,
      status: t?.status ?? status,
      ...to,
      fileId: e.fileId,
    }));
  }

  private statusChanged(e: EventMessage<'fileRequestStatusChanged'>): void {
    const { fileRequestId: id, status, statusReason: reason, fileId } = e;
    if (status === Status.Failed && reason) saveReason(id, reason);
    this.updateTransfer(id, (t) => ({
      percent: 0,
      ...t,
      fileRequestId: id,
      direction: e.directionType,
      fileName: e.fileName,
      fileSize: e.fileSize,
      timestamp: e.timestamp,
      status,
      statusReason: status === Status.Failed ? reason : undefined,
      statusReasonText: status === Status.Failed ? e.statusReasonText : undefined,
      peerId: e.peerId ?? t?.peerId,
      peerDn: e.peerDisplayName ?? t?.peerDn,
      confId: e.confId ?? t?.confId,
      fileId: fileId ?? t?.fileId,
      ...(status === Status.Done ? { percent: 100 } : {}),
    }));
    if (status === Status.Done && fileId !== undefined) {
      // The room names a received file's id only once the file is in place: show its Download at once,
      // not "deleted" until the next file list arrives.
      this.set((state) => ({ files: { ...state.files, [fileId]: true } }));
    }
    if (status === Status.Done)
      this.later('history', 200, () => void this.refreshHistory().catch(() => undefined));
    if (status === Status.Failed && e.directionType === Direction.Outgoing) {
      this.notice('error', `${e.fileName}: ${outgoingFailure(reason, e.peerDisplayName || e.peerId)}`);
    }
  }

  private historyCleared(removedFromDisk: boolean): void {
    this.set({ history: [] });
    if (removedFromDisk) this.later('history', 100, () => void this.refreshHistory().catch(() => undefined));
  }

  private historyEntryDeleted(fileId: number, removedFromDisk: boolean): void {
    this.set((state) => {
      const files = { ...state.files };
      if (removedFromDisk) delete files[fileId];
      return { history: state.history.filter((h) => h.fileId !== fileId), files };
    });
  }

  private conferenceCreated(e: EventMessage<'conferenceCreated'>): void {
    this.set({
      conference: {
        confId: e.confId,
        confTitle: e.confTitle,
        confType: e.confType,
        owner: e.conferenceOwner,
      },
      invite: null,
    });
    this.later('participants', 100, () => void this.refreshParticipants().catch(() => undefined));
  }

  /** The conference this room is in ended, or it left it; another conference's end changes nothing. */
  private conferenceDeleted(confId: string): void {
    this.set((state) =>
      state.conference && state.conference.confId !== confId ? {} : { conference: null, participants: [] },
    );
  }

  private participantJoined({ peerId, peerDn, role }: EventMessage<'newParticipantInConference'>): void {
    this.set((state) => ({
      participants: [...state.participants.filter((p) => p.peerId !== peerId), { peerId, peerDn, role }],
    }));
  }

  private participantLeft(peerId: string): void {
    this.set((state) => ({ participants: state.participants.filter((p) => p.peerId !== peerId) }));
  }

  private inviteReceived({ peerId, peerDn, confTitle, confId }: EventMessage<'inviteReceived'>): void {
    this.set({ invite: { peerId, peerDn, confTitle, confId } }, true);
    this.notice('info', `${peerDn || peerId} invites you to “${confTitle}”`);
  }

  // --- actions: files --------------------------------------------------------------------------------------

  /**
   * Uploads each file to the room (with progress), then offers it to the peer or the current conference. Files
   * go one after another, in the order given; each shows its own progress and its own outcome.
   */
  send(files: File[], to: SendTarget): void {
    const target: SendTarget =
      to.kind === 'peer' ? { kind: 'peer', peerId: normalizePeer(to.peerId, this.domain) } : to;
    for (const file of files) {
      const send: LocalSend = {
        id: nextId++,
        fileName: file.name,
        fileSize: file.size,
        to: target,
        phase: 'queued',
        sent: 0,
        speed: 0,
        startedAt: Date.now(),
      };
      this.set((state) => ({ sends: [send, ...state.sends] }), true);
      this.sendQueue = this.sendQueue.then(() => this.sendOne(send.id, file, target));
    }
    if (target.kind === 'peer') this.set({ recentPeers: rememberPeer(target.peerId) });
  }

  private patchSend(id: number, patch: Partial<LocalSend>, now = false): void {
    this.set((state) => ({ sends: state.sends.map((s) => (s.id === id ? { ...s, ...patch } : s)) }), now);
  }

  private async sendOne(id: number, file: File, to: SendTarget): Promise<void> {
    if (this.closed) return;
    const startedAt = Date.now();
    this.patchSend(id, { phase: 'uploading', startedAt }, true);
    try {
      const fileId = await this.client.upload(file, {
        name: file.name,
        onProgress: (sent) => {
          const seconds = (Date.now() - startedAt) / 1000;
          this.patchSend(id, { sent, speed: seconds > 0.2 ? sent / seconds : 0 });
        },
      });
      this.patchSend(id, { phase: 'offering', sent: file.size }, true);
      const reply =
        to.kind === 'peer'
          ? await this.client.sendFile({ fileId, peerId: to.peerId })
          : await this.client.sendFileToConference({ fileId });
      const requestId = reply.sentFileRequestId;
      // The request now lives in the outgoing list (its event may already have put it there).
      this.updateTransfer(
        requestId,
        (t) =>
          t ?? {
            fileRequestId: requestId,
            direction: 1,
            fileName: file.name,
            fileSize: file.size,
            timestamp: Date.now(),
            status: to.kind === 'peer' ? 1 : 2,
            peerId: to.kind === 'peer' ? to.peerId : undefined,
            confId: to.kind === 'conference' ? this.state.conference?.confId : undefined,
            fileId,
            percent: 0,
          },
      );
      this.set((state) => ({
        sends: state.sends.filter((s) => s.id !== id),
        files: { ...state.files, [fileId]: true },
      }));
    } catch (error) {
      this.patchSend(id, { phase: 'failed', error: describeError(error) }, true);
    }
  }

  dismissSend(id: number): void {
    this.set((state) => ({ sends: state.sends.filter((s) => s.id !== id) }), true);
  }

  forgetRecentPeer(peerId: string): void {
    this.set({ recentPeers: forgetPeer(peerId) }, true);
  }

  /** Runs an action; a failure becomes a notice in words. Resolves to whether it worked. */
  private async act(action: () => Promise<unknown>, success?: string): Promise<boolean> {
    try {
      await action();
      if (success) this.notice('success', success);
      return true;
    } catch (error) {
      this.notice('error', describeError(error));
      return false;
    }
  }

  accept(fileRequestId: string): Promise<boolean> {
    return this.act(() => this.client.acceptIncomingFileRequest({ fileRequestId }));
  }

  reject(fileRequestId: string): Promise<boolean> {
    return this.act(() => this.client.rejectIncomingFileRequest({ fileRequestId }));
  }

  deleteFile(fileId: number, fileName: string): Promise<boolean> {
    return this.act(async () => {
      await this.client.deleteFileTransferFile({ fileId });
      this.set((state) => {
        const files = { ...state.files };
        delete files[fileId];
        return { files, history: state.history.filter((h) => h.fileId !== fileId) };
      });
    }, `${fileName} was deleted from this room`);
  }

  clearHistory(deleteFiles: boolean): Promise<boolean> {
    return this.act(
      async () => {
        await this.client.clearFileTransferHistory({ deleteFilesFromDisk: deleteFiles });
        this.set({ history: [] });
        if (deleteFiles) await this.refreshHistory();
      },
      deleteFiles ? 'History cleared and its files deleted' : 'History cleared',
    );
  }

  /** A download URL of the room's built-in HTTP server, with a fresh token. */
  fileUrl(fileId: number): Promise<string> {
    return this.client.fileUrl(fileId);
  }

  // --- actions: conferences ------------------------------------------------------------------------------

  createConference(title: string, inviteList: string[]): Promise<boolean> {
    return this.act(() =>
      this.client.createConference({ title, confType: 'symmetric', inviteList, autoAccept: true }),
    );
  }

  join(callString: string): Promise<boolean> {
    return this.act(() => this.client.call({ peerId: callString }));
  }

  leave(forAll = false): Promise<boolean> {
    return this.act(() => this.client.hangUp({ forAll }));
  }

  acceptInvite(): Promise<boolean> {
    return this.act(() => this.client.accept());
  }

  rejectInvite(): Promise<boolean> {
    return this.act(async () => {
      await this.client.reject();
      this.set({ invite: null });
    });
  }

  inviteToConference(peerId: string): Promise<boolean> {
    const peer = normalizePeer(peerId, this.domain);
    return this.act(() => this.client.inviteToConference({ peerId: peer }), `Invited ${peer}`);
  }

  // --- actions: server (admin) ---------------------------------------------------------------------------

  connectToServer(server: string, port: number | undefined): Promise<boolean> {
    return this.act(() => this.client.connectToServer(port ? { server, port } : { server }));
  }

  login(login: string, password: string): Promise<boolean> {
    this.set({ loginOutcome: null }, true);
    return this.act(() => this.client.login({ login, password, encryptPassword: true }));
  }

  logout(): Promise<boolean> {
    return this.act(() => this.client.logout());
  }
}

/**
 * The server as `getConnected` tells it. Without a connection it names no server, but the room keeps trying the
 * last one it was told (room-api.md §4): the page keeps showing that address, marked not connected.
 */
function serverOf(
  connected: { state: number; serverInfo?: { server: string; port: number; domain: string } },
  previous: RoomState['server'],
): RoomState['server'] {
  if (!connected.serverInfo) return { ...previous, state: connected.state };
  const { server, port, domain } = connected.serverInfo;
  return { state: connected.state, server, port, domain: domain || undefined };
}
