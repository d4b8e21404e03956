import type { LinkErrorCode } from '../protocol/hub-link.js';

/** Thrown by a link op's handler: the link server turns it into a failure reply with this code. */
export class LinkOpError extends Error {
  constructor(
    readonly code: LinkErrorCode,
    message: string,
  ) {
    super(message);
  }
}
