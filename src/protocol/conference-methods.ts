import { Type as T } from '@sinclair/typebox';
import { method } from './method-spec.js';
import { Empty } from './common-types.js';

/** confType as sent (names, including the published misspelling) and as reported (numbers). */
export const ConfTypeNames: Record<string, 1 | 2 | 3> = {
  symmetric: 1,
  asymmetric: 2,
  assymetric: 2,
  role: 3,
};

const Participant = T.Object({ peerId: T.String(), peerDn: T.String(), role: T.Integer() });

export const conferenceMethods = {
  createConference: method(
    'user',
    T.Object({
      title: T.String({ maxLength: 256 }),
      confType: T.Optional(T.Union([T.String(), T.Integer({ minimum: 1, maximum: 3 })])),
      inviteList: T.Optional(T.Array(T.String({ minLength: 1, maxLength: 320 }), { maxItems: 500 })),
      autoAccept: T.Optional(T.Boolean()),
    }),
    Empty,
  ),
  call: method('user', T.Object({ peerId: T.String({ minLength: 1, maxLength: 320 }) }), Empty),
  accept: method('user', Empty, Empty),
  reject: method('user', Empty, Empty),
  hangUp: method('user', T.Object({ forAll: T.Optional(T.Boolean()) }), Empty),
  getConferences: method(
    'user',
    Empty,
    T.Object({
      confId: T.Optional(T.String()),
      id: T.Optional(T.String()),
      confType: T.Optional(T.Integer()),
      confTitle: T.Optional(T.String()),
      conferenceOwner: T.Optional(T.String()),
      confState: T.Optional(T.Integer()),
    }),
  ),
  getConferenceParticipants: method(
    'user',
    Empty,
    T.Object({ confId: T.Optional(T.String()), participants: T.Array(Participant) }),
  ),
  inviteToConference: method('user', T.Object({ peerId: T.String({ minLength: 1, maxLength: 320 }) }), Empty),
};
