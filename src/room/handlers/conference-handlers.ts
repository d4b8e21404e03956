import { conflict } from '../../protocol/errors.js';
import type { conferenceMethods } from '../../protocol/conference-methods.js';
import type { HandlersOf } from './handler.js';

const notYet = () => {
  throw conflict('conferences are not available yet');
};

export const conferenceHandlers: HandlersOf<keyof typeof conferenceMethods> = {
  createConference: notYet,
  call: notYet,
  accept: notYet,
  reject: notYet,
  hangUp: notYet,
  getConferences: () => ({}),
  getConferenceParticipants: () => ({ participants: [] }),
  inviteToConference: notYet,
};
