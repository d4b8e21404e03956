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

/** The connection closed, or a reply did not come in time. */
export class RoomConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoomConnectionError';
  }
}
