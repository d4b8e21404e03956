import type { fileMethods } from '../../protocol/file-methods.js';
import { fileEntry, historyFields, incomingListItem, outgoingListItem } from '../views.js';
import { legacyIdOf } from '../legacy-views.js';
import type { HandlersOf } from './handler.js';

const toFileId = (value: number | string): number => Number(value);

export const fileHandlers: HandlersOf<keyof typeof fileMethods> = {
  getFileList({ room }) {
    return { fileList: room.library.list().map(fileEntry) };
  },

  getFileTransferAvailability({ room, connection }) {
    const availability = room.session.availability();
    // Legacy mode adds `available` (room-api.md §10).
    return connection.legacyMode ? { availability, available: availability === 3 } : { availability };
  },

  getFileRequestInfo({ room }, params) {
    return room.transfers.methods.info(params.fileRequestId);
  },

  async sendFile({ room, connection, afterReply }, params) {
    const peer = params.callId ?? params.peerId;
    const { fileRequestId, announce } = await room.transfers.methods.sendToUser(
      toFileId(params.fileId),
      peer,
    );
    afterReply(announce);
    if (!connection.legacyMode) return { sentFileRequestId: fileRequestId };
    // Legacy mode adds the request's legacy id (room-api.md §10).
    return { sentFileRequestId: fileRequestId, id: legacyIdOf(room.store.getRequest(fileRequestId)!) };
  },

  async sendFileToConference({ room, afterReply }, params) {
    const { fileRequestId, announce } = await room.transfers.methods.sendToConference(
      toFileId(params.fileId),
    );
    afterReply(announce);
    return { sentFileRequestId: fileRequestId };
  },

  async acceptIncomingFileRequest({ room, afterReply }, params) {
    afterReply(await room.transfers.methods.accept(params.fileRequestId));
    return {};
  },

  async rejectIncomingFileRequest({ room, afterReply }, params) {
    afterReply(await room.transfers.methods.reject(params.fileRequestId));
    return {};
  },

  getIncomingFilesRequests({ room }) {
    return { incomingFilesRequests: room.transfers.methods.incoming().map(incomingListItem) };
  },

  getOutgoingFilesRequests({ room }) {
    return { outgoingFilesRequests: room.transfers.methods.outgoing().map(outgoingListItem) };
  },

  getFileTransferHistory({ room }) {
    return { filesRequests: room.store.listHistory().map(historyFields) };
  },

  async deleteFileTransferFile({ room, afterReply }, params) {
    afterReply(await room.library.delete(toFileId(params.fileId)));
    return {};
  },

  async clearFileTransferHistory({ room, afterReply }, params) {
    afterReply(await room.library.clearHistory(params.deleteFilesFromDisk ?? false));
    return {};
  },
};
