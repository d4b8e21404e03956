/** A failure reply of the Room API, as a rejection: `{ method, error, errorCode }`. */
export class RoomApiError extends Error {
  constructor(
    readonly method: string,
    readonly error: string,
    readonly errorCode: number,
    readonly reply: Record<string, unknown> = {},
  ) {
    super(`${method || 'request'} failed (${errorCode}): ${error}`);
    this.name = 'RoomApiError';
  }
}

/**
 * Why a connection-level failure happened: the room cannot be reached, what answered is not a room, the
 * connection (or the client) closed, something did not come in time, or the options cannot work.
 */
export type RoomConnectionErrorCode = 'unreachable' | 'not-a-room' | 'closed' | 'timeout' | 'usage';

/** The connection closed, or a reply did not come in time; `code` says which kind of failure it is. */
export class RoomConnectionError extends Error {
  constructor(
    message: string,
    readonly code: RoomConnectionErrorCode = 'closed',
  ) {
    super(message);
    this.name = 'RoomConnectionError';
  }
}
