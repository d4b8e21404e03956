import WebSocket from 'ws';
import { get as httpGet } from 'node:http';
import type { Readable } from 'node:stream';
import { RoomClient, type CallOptions, type Reply, type RoomClientOptions } from './client.js';
import type { WebSocketLike } from './connection.js';
import { downloadFromRoom, uploadToRoom, type TransferProgress } from './node-files.js';
import { untilDelivered, type TransferWatchOptions } from './transfer-helpers.js';

export type NodeRoomClientOptions = RoomClientOptions & {
  /** Sent as the Origin header (non-browser clients normally send none). */
  origin?: string;
};

/** Options of `sendFileTo` and `sendFileToConference(path)`. */
export type SendFileOptions = TransferWatchOptions & {
  /** The name the file is offered under (default: the file's own name). */
  name?: string;
  /** Progress of the upload to this room, before the transfer itself starts. */
  onUploadProgress?: (progress: TransferProgress) => void;
};

/** The most config.json may hold (it holds two ports). */
const CONFIG_LIMIT = 64 * 1024;

/**
 * A plain-http GET whose body is read as JSON, by node:http: the global fetch loads its whole HTTP stack on first
 * use, which costs a short-lived command (`roomfiles status`) a tenth of a CPU-second. https goes to fetch.
 */
function getJson(url: string): Promise<{ json(): Promise<unknown> }> {
  if (!url.startsWith('http:')) return fetch(url);
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { agent: false }, (response) => {
      const body = (async () => {
        let text = '';
        response.setEncoding('utf8');
        for await (const chunk of response as AsyncIterable<string>) {
          text += chunk;
          if (text.length > CONFIG_LIMIT) {
            response.destroy();
            throw new Error(`more than ${CONFIG_LIMIT} bytes`);
          }
        }
        return JSON.parse(text) as unknown;
      })();
      body.catch(() => undefined);
      resolve({ json: () => body });
    });
    request.on('error', reject);
  });
}

/** A RoomClient for Node: sockets from `ws`, files from paths and streams. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- sendFileToConference's overloads
export class NodeRoomClient extends RoomClient {
  constructor(options: NodeRoomClientOptions) {
    super({
      get: getJson,
      ...options,
      createSocket:
        options.createSocket ??
        ((url) =>
          new WebSocket(url, {
            perMessageDeflate: false,
            ...(options.origin ? { origin: options.origin } : {}),
          }) as unknown as WebSocketLike),
    });
  }

  private async target() {
    return { httpBase: await this.httpBaseReady(), token: (force?: boolean) => this.httpToken(force) };
  }

  /**
   * Streams a file to the room's built-in HTTP server (multipart, never buffered whole) and resolves to its
   * `fileId`. The source is a path, or a stream with its exact size; `name` is the file name to store (default:
   * the path's base name, or `file`). `onProgress` reports the bytes sent. The HTTP token is renewed as needed.
   */
  async upload(
    source: string | { stream: Readable; size: number },
    options: { name?: string; onProgress?: (progress: TransferProgress) => void } = {},
  ): Promise<number> {
    return (await uploadToRoom(await this.target(), source, options)).fileId;
  }

  /**
   * Downloads a file of the room to the path `to`, streamed through `<to>.part` (renamed when whole and its
   * sha256 matches the ETag). With `resume`, a `.part` left by an interrupted download is continued with a Range
   * request; one of another file, or one that does not check out, is fetched again from the start. `onProgress`
   * reports the bytes held so far (starting at the resumed offset). Rejects with a RoomApiError carrying the HTTP
   * status (404 unknown file).
   */
  async download(
    fileId: number,
    options: { to: string; resume?: boolean; onProgress?: (progress: TransferProgress) => void },
  ): Promise<{ path: string; size: number; sha256: string; resumedFrom: number }> {
    return downloadFromRoom(await this.target(), fileId, options.to, options);
  }

  /**
   * Uploads a file and sends it to a user (`bob@files.local`, or `bob` in the server's domain). Resolves with the
   * outgoing request's id and the fileId once the transfer reaches status 3; rejects with a TransferFailedError
   * ("bob@files.local rejected report.pdf") at status 0, or with the RoomApiError of `sendFile` (404 unknown user).
   */
  async sendFileTo(
    peerId: string,
    path: string,
    options: SendFileOptions = {},
  ): Promise<{ fileRequestId: string; fileId: number }> {
    const fileId = await this.upload(path, { name: options.name, onProgress: options.onUploadProgress });
    const fileRequestId = await untilDelivered(
      this,
      async () => (await this.sendFile({ fileId, peerId })).sentFileRequestId,
      options,
    );
    return { fileRequestId, fileId };
  }
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- installed on the prototype below
export interface NodeRoomClient {
  sendFileToConference: {
    /** The Room API method: offers a file already on the room to the current conference. */
    (params: { fileId: number | string }, options?: CallOptions): Promise<Reply<'sendFileToConference'>>;
    /**
     * The helper: uploads a file from a path and offers it to the current conference; resolves when the hub
     * holds it (status 3).
     */
    (path: string, options?: SendFileOptions): Promise<{ fileRequestId: string; fileId: number }>;
  };
}

const apiSendFileToConference = RoomClient.prototype.sendFileToConference;
NodeRoomClient.prototype.sendFileToConference = async function (
  this: NodeRoomClient,
  pathOrParams: string | { fileId: number | string },
  options: SendFileOptions & CallOptions = {},
) {
  if (typeof pathOrParams !== 'string') return apiSendFileToConference.call(this, pathOrParams, options);
  const fileId = await this.upload(pathOrParams, {
    name: options.name,
    onProgress: options.onUploadProgress,
  });
  const fileRequestId = await untilDelivered(
    this,
    async () => (await this.request('sendFileToConference', { fileId })).sentFileRequestId,
    options,
  );
  return { fileRequestId, fileId };
} as NodeRoomClient['sendFileToConference'];
