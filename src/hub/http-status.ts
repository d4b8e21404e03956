/** The HTTP statuses the hub answers with, by name (RFC 9110; 499 is nginx's "client closed request"). */
export const HttpStatus = {
  Ok: 200,
  NoContent: 204,
  PartialContent: 206,
  BadRequest: 400,
  Unauthorized: 401,
  NotFound: 404,
  Conflict: 409,
  ContentTooLarge: 413,
  RangeNotSatisfiable: 416,
  UnprocessableContent: 422,
  UpgradeRequired: 426,
  TooManyRequests: 429,
  ServiceUnavailable: 503,
  InsufficientStorage: 507,
  ClientClosedRequest: 499,
} as const;

export type HttpStatus = (typeof HttpStatus)[keyof typeof HttpStatus];
