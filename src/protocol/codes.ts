/**
 * The numbers the Room API reports, by name (room-api.md): statuses, directions, availability, app state, the
 * server link, privileges, login results and conference roles. Plain objects without imports, so that code which
 * only compares codes (the CLI's commands, the web interface) does not load the schemas to get them; the schema
 * modules build on these and export them again.
 */

/** A file request's status, in every list, info and event (room-api.md §6). */
export const Status = { Failed: 0, Waiting: 1, Transferring: 2, Done: 3 } as const;
export type Status = (typeof Status)[keyof typeof Status];
/** directionType (room-api.md §6). */
export const Direction = { Incoming: 0, Outgoing: 1 } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];
/** File-transfer availability (room-api.md §6). */
export const Availability = { Forbidden: 0, Licence: 1, NotLoggedIn: 2, Available: 3 } as const;
export type Availability = (typeof Availability)[keyof typeof Availability];

export const AppState = {
  NotConnected: 0,
  Connecting: 1,
  LoginRequired: 2,
  LoggedIn: 3,
  Calling: 4,
  InConference: 5,
  Leaving: 6,
} as const;

/** getConnected's `state`: the room's link to its server (room-api.md §4). */
export const ServerConnection = { NotConnected: 0, Connecting: 1, Connected: 2 } as const;

/** `previleges` is spelled so in the published API. */
export const Privileges = { user: 1, admin: 2 } as const;

/** Result codes of the `login` event (room-api.md §4). */
export const LoginResult = {
  Ok: 0,
  AlreadyLoggedIn: 1,
  NotFound: 2,
  WrongPassword: 3,
  Unreachable: 7,
  Locked: 10,
} as const;

/** A participant's role in a conference (room-api.md §5). */
export const ConferenceRole = { Participant: 1, Owner: 2 } as const;
export type ConferenceRole = (typeof ConferenceRole)[keyof typeof ConferenceRole];
