/** The envelope every Room API message travels in (room-api.md §2). */

export interface RequestEnvelope {
  method: string;
  requestId?: string | number;
  [param: string]: unknown;
}

export interface ReplyEnvelope {
  method: string;
  requestId: string;
  result: boolean;
  [field: string]: unknown;
}

export interface FailureReply extends ReplyEnvelope {
  result: false;
  error: string;
  errorCode: number;
}

export interface EventEnvelope {
  method: 'event';
  event: string;
  [field: string]: unknown;
}

/** Real clients never send `requestId`; when they do, it may be a number, and it is echoed as a string. */
export function echoRequestId(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  return '';
}

export function successReply(method: string, requestId: string, fields: object): ReplyEnvelope {
  // `method` and `requestId` lead and `result` closes, as in the published examples.
  return { method, requestId, ...fields, result: true };
}

export function failureReply(
  method: string,
  requestId: string,
  error: string,
  errorCode: number,
  extra: Record<string, unknown> = {},
): FailureReply {
  return { method, requestId, ...extra, result: false, error, errorCode };
}

export function eventMessage(event: string, fields: object): EventEnvelope {
  return { method: 'event', event, ...fields };
}
