/**
 * The error table of the Room API (room-api.md §2). `errorCode` is an extension that real clients ignore;
 * `error` is always a sentence that names the field, id or state at fault.
 */
export const ErrorCode = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  TooLarge: 413,
  TooManyRequests: 429,
  Internal: 500,
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Thrown by handlers; the dispatcher turns it into a failure reply and keeps the connection. */
export class ApiError extends Error {
  constructor(
    readonly errorCode: ErrorCode,
    message: string,
    /** Extra top-level fields for the failure reply (e.g. `resultCode` of `auth`). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string) => new ApiError(ErrorCode.BadRequest, message);
export const notFound = (message: string) => new ApiError(ErrorCode.NotFound, message);
export const conflict = (message: string) => new ApiError(ErrorCode.Conflict, message);
export const forbidden = (message: string) => new ApiError(ErrorCode.Forbidden, message);
