import type { conferenceMethods } from '../../protocol/conference-methods.js';
import type { HandlersOf } from './handler.js';

export const conferenceHandlers: HandlersOf<keyof typeof conferenceMethods> = {
  async createConference({ room, afterReply }, params) {
    afterReply(await room.conference.create(params.title, params.confType, params.inviteList ?? []));
    return {};
  },

  async call({ room, afterReply }, params) {
    afterReply(await room.conference.call(params.peerId));
    return {};
  },

  async accept({ room, afterReply }) {
    afterReply(await room.conference.accept());
    return {};
  },

  async reject({ room, afterReply }) {
    afterReply(await room.conference.reject());
    return {};
  },

  async hangUp({ room, afterReply }, params) {
    afterReply(await room.conference.hangUp(params.forAll ?? false));
    return {};
  },

  getConferences({ room }) {
    return room.conference.conferences();
  },

  getConferenceParticipants({ room }) {
    return room.conference.participants();
  },

  async inviteToConference({ room }, params) {
    await room.conference.invite(params.peerId);
    return {};
  },
};
