import { RoomClient, type RoomClientOptions } from './client.js';
import type { WebSocketLike } from './connection.js';
import { RoomApiError } from './errors.js';
import { errorBodyMessage } from '../protocol/error-body.js';
import { untilDelivered, type TransferWatchOptions } from './transfer-helpers.js';

/** The fileId of an upload's reply `{ fileId, fileName, fileSize }` (room-api.md §7), if the text is one. */
function uploadedFileId(text: string): number | undefined {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null && 'fileId' in body && typeof body.fileId === 'number') {
      return body.fileId > 0 ? body.fileId : undefined;
    }
  } catch {
    // Not JSON: not an upload's reply.
  }
  return undefined;
}

/** The browser entry point of the SDK: the page's own WebSocket and fetch; files are Blobs. */
export class BrowserRoomClient extends RoomClient {
  constructor(options: RoomClientOptions) {
    super({
      ...options,
      createSocket: options.createSocket ?? ((url) => new WebSocket(url) as unknown as WebSocketLike),
    });
  }

  /**
   * Uploads a Blob or File (multipart, as TrueConf clients do) with upload progress; resolves to its fileId. A
   * token the room refuses (it restarted, or its tokens were cleared) is renewed and the upload made once more.
   */
  async upload(
    file: Blob,
    options: { name?: string; onProgress?: (sent: number, total: number) => void } = {},
  ): Promise<number> {
    try {
      return await this.uploadOnce(file, options, false);
    } catch (error) {
      if (!(error instanceof RoomApiError && error.errorCode === 401)) throw error;
      return this.uploadOnce(file, options, true);
    }
  }

  private async uploadOnce(
    file: Blob,
    options: { name?: string; onProgress?: (sent: number, total: number) => void },
    forceToken: boolean,
  ): Promise<number> {
    const token = await this.httpToken(forceToken);
    const name = options.name ?? (file as File).name ?? 'file';
    const base = await this.httpBaseReady();
    const form = new FormData();
    form.append('file', file, name);
    return new Promise<number>((resolve, reject) => {
      // XMLHttpRequest, not fetch: only it reports upload progress.
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${base}/files/?token=${encodeURIComponent(token)}`);
      xhr.upload.onprogress = (event) => options.onProgress?.(event.loaded, event.total);
      xhr.onerror = () => reject(new RoomApiError('upload', 'the upload was interrupted', 0));
      xhr.onload = () => {
        const fileId = xhr.status === 200 ? uploadedFileId(xhr.responseText) : undefined;
        if (fileId !== undefined) resolve(fileId);
        else reject(new RoomApiError('upload', errorBodyMessage(xhr.responseText, xhr.status), xhr.status));
      };
      xhr.send(form);
    });
  }

  /** Uploads a Blob and sends it to a user; resolves at status 3, rejects with TransferFailedError at status 0. */
  async sendBlobTo(peerId: string, file: Blob, options: TransferWatchOptions & { name?: string } = {}) {
    const fileId = await this.upload(file, { name: options.name });
    const fileRequestId = await untilDelivered(
      this,
      async () => (await this.sendFile({ fileId, peerId })).sentFileRequestId,
      options,
    );
    return { fileRequestId, fileId };
  }
}

export { BrowserRoomClient as RoomClient };
export { RoomApiError, RoomConnectionError } from './errors.js';
export { TransferFailedError, untilDelivered } from './transfer-helpers.js';
export {
  appStateText,
  asLabel,
  availabilityText,
  formatFullTime,
  formatSize,
  formatSpeed,
  formatTime,
  loginResultText,
  type FormatStyle,
} from './format.js';
// The numbers the Room API reports, by name (room-api.md): statuses, directions, availability, app state, roles.
export {
  AppState,
  Availability,
  ConferenceRole,
  Direction,
  LoginResult,
  Privileges,
  ServerConnection,
  Status,
} from '../protocol/codes.js';
export type { EventMessage, RoomEvents } from './connection.js';
export type { CallOptions, ConnectionState, Reply, RoomApiMethods, RoomClientOptions } from './client.js';
