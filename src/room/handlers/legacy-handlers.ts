import { notFound } from '../../protocol/errors.js';
import type { legacyFileMethods } from '../../protocol/legacy-methods.js';
import type { Room } from '../room.js';
import type { RequestRecord } from '../store.js';
import { legacyIdOf } from '../legacy-views.js';
import type { HandlersOf } from './handler.js';

/** The request a legacy id names; 404 when there is none (room-api.md §10). */
function byLegacyId(room: Room, id: number | string): RequestRecord {
  const request = room.store.getRequestByLegacyId(Number(id));
  if (!request) throw notFound(`file request with id ${id} does not exist`);
  return request;
}

/** Newest first, as the current lists; the later-created request first when two share a timestamp. */
const newestFirst = (a: RequestRecord, b: RequestRecord) =>
  b.timestamp - a.timestamp || legacyIdOf(b) - legacyIdOf(a);

/** The legacy names (room-api.md §10): each one is its current counterpart, in the legacy shapes. */
export const legacyHandlers: HandlersOf<keyof typeof legacyFileMethods> = {
  async acceptFile({ room, afterReply }, params) {
    afterReply(await room.transfers.methods.accept(byLegacyId(room, params.id).fileRequestId));
    return {};
  },

  async rejectFile({ room, afterReply }, params) {
    afterReply(await room.transfers.methods.reject(byLegacyId(room, params.id).fileRequestId));
    return {};
  },

  async sendConferenceFile({ room, afterReply }, params) {
    const { fileRequestId, announce } = await room.transfers.methods.sendToConference(Number(params.fileId));
    afterReply(announce);
    return { id: legacyIdOf(room.store.getRequest(fileRequestId)!), sentFileRequestId: fileRequestId };
  },

  getFileRequests({ room }) {
    return { files: room.transfers.methods.incoming().map((request) => room.legacy.item(request)) };
  },

  getFileUploads({ room }) {
    return { files: room.transfers.methods.outgoing().map((request) => room.legacy.item(request)) };
  },

  getFileTransferInfo({ room }) {
    const both = [...room.transfers.methods.incoming(), ...room.transfers.methods.outgoing()].sort(
      newestFirst,
    );
    return { files: both.map((request) => room.legacy.item(request)) };
  },

  getFileInfo({ room }, params) {
    return room.legacy.item(byLegacyId(room, params.id));
  },

  async clearFileTransfer({ room, afterReply }) {
    afterReply(await room.library.clearHistory(false));
    return {};
  },
};
