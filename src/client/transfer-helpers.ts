import type { RoomClient } from './client.js';
import type { EventMessage } from './connection.js';
import { RoomConnectionError } from './errors.js';
import { Status } from '../protocol/codes.js';

/** A transfer that ended in status 0; the message says who did what ("bob@files.local rejected report.pdf"). */
export class TransferFailedError extends Error {
  constructor(
    readonly fileRequestId: string,
    readonly statusReason: string,
    readonly fileName: string,
    readonly peerId?: string,
    readonly confId?: string,
    /** The room's `statusReasonText` [ext]: why, in words, when the server said more (over quota, a full store). */
    readonly statusReasonText?: string,
  ) {
    const who = peerId ?? (confId ? `conference ${confId}` : 'the recipient');
    const what =
      statusReason === 'rejected'
        ? `${who} rejected ${fileName}`
        : statusReason === 'expired'
          ? `the offer of ${fileName} to ${who} expired`
          : statusReason === 'cancelled'
            ? `the transfer of ${fileName} was cancelled`
            : `the transfer of ${fileName} to ${who} failed`;
    super(statusReasonText ? `${what}: ${statusReasonText}` : what);
    this.name = 'TransferFailedError';
  }
}

export interface TransferWatchOptions {
  /** Progress of the transfer itself (the room's progress events): percent, bytes, bytes per second. */
  onProgress?: (progress: { percent: number; bytes: number; speed: number }) => void;
  /** Called with each status the request passes through, and the whole fileRequestStatusChanged event. */
  onStatus?: (status: number, event: EventMessage<'fileRequestStatusChanged'>) => void;
  /** Gives up after this long (RoomConnectionError, code 'timeout'); the offer stays open in the room. */
  timeoutMs?: number;
}

/**
 * Starts something that creates an outgoing request (sendFile, sendFileToConference) and resolves when that
 * request reaches status 3, or rejects with TransferFailedError at status 0. Events are listened to before the
 * request exists, so none is missed; after a reconnect the request's state is asked for again.
 */
export async function untilDelivered(
  client: RoomClient,
  start: () => Promise<string>,
  options: TransferWatchOptions = {},
): Promise<string> {
  let id: string | null = null;
  const early: EventMessage[] = [];
  let settle: ((error: Error | null) => void) | null = null;
  const finished = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  const handle = (event: EventMessage) => {
    if (id === null) {
      early.push(event);
      return;
    }
    const fields = event as unknown as Record<string, unknown>;
    if (fields.fileRequestId !== id) return;
    if (event.event === 'outgoingFileRequestUploadingProgress') {
      options.onProgress?.({
        percent: Number(fields.processedPercents),
        bytes: Number(fields.processedSize ?? 0),
        speed: Number(fields.speed ?? 0),
      });
    } else if (event.event === 'fileRequestStatusChanged') {
      const status = Number(fields.status);
      options.onStatus?.(status, event);
      if (status === Status.Done) settle?.(null);
      if (status === Status.Failed) {
        settle?.(
          new TransferFailedError(
            id,
            String(fields.statusReason ?? 'failed'),
            String(fields.fileName),
            fields.peerId as string | undefined,
            fields.confId as string | undefined,
            fields.statusReasonText as string | undefined,
          ),
        );
      }
    }
  };
  const offs = [
    client.on('fileRequestStatusChanged', handle),
    client.on('outgoingFileRequestUploadingProgress', handle),
    client.onConnectionState((state) => {
      if (state === 'closed') {
        settle?.(new RoomConnectionError('the client was closed before the transfer finished', 'closed'));
        return;
      }
      if (state !== 'connected' || id === null) return;
      // Events sent while the connection was down are lost: ask for the request's state instead. A failure
      // here (the link dropped again) is left to the next reconnect, never an unhandled rejection.
      client.getFileRequestInfo({ fileRequestId: id }).then(
        (info) =>
          handle({ ...info, method: 'event', event: 'fileRequestStatusChanged' } as unknown as EventMessage),
        () => undefined,
      );
    }),
  ];
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    id = await start();
    for (const event of early.splice(0)) handle(event);
    const timeout =
      options.timeoutMs === undefined
        ? null
        : new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new RoomConnectionError(`transfer ${id} did not finish in time`, 'timeout')),
              options.timeoutMs,
            );
          });
    await (timeout ? Promise.race([finished, timeout]) : finished);
    return id;
  } finally {
    clearTimeout(timer);
    for (const off of offs) off();
  }
}
