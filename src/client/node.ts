import WebSocket from 'ws';
import type { Readable } from 'node:stream';
import { RoomClient, type CallOptions, type Reply, type RoomClientOptions } from './client.js';
import type { WebSocketLike } from './connection.js';
import { downloadFromRoom, uploadToRoom, type TransferProgress } from './node-files.js';
import { untilDelivered, type TransferWatchOptions } from './transfer-helpers.js';

export type NodeRoomClientOptions = RoomClientOptions & {
  /** Sent as the Origin header (non-browser clients normally send none). */
  origin?: string;
};

/** A RoomClient for Node: sockets from `ws`, files from paths and streams. */
export class NodeRoomClient extends RoomClient {
  constructor(options: NodeRoomClientOptions) {
    super({
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

  private target() {
    return { httpBase: this.httpBase, token: () => this.httpToken() };
  }

  /** Streams a file (path or stream with its size) to the room's HTTP server; resolves to its fileId. */
  async upload(
    source: string | { stream: Readable; size: number },
    options: { name?: string; onProgress?: (progress: TransferProgress) => void } = {},
  ): Promise<number> {
    return (await uploadToRoom(this.target(), source, options)).fileId;
  }

  /** Downloads a file to a path; with `resume`, continues a partial download left by an earlier attempt. */
  download(
    fileId: number,
    options: { to: string; resume?: boolean; onProgress?: (progress: TransferProgress) => void },
  ) {
    return downloadFromRoom(this.target(), fileId, options.to, options);
  }

  /** Uploads a file and sends it to a user; resolves at status 3, rejects with TransferFailedError at status 0. */
  async sendFileTo(
    peerId: string,
    path: string,
    options: TransferWatchOptions & { name?: string; onUploadProgress?: (progress: TransferProgress) => void } = {},
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

type SendOptions = TransferWatchOptions & { name?: string; onUploadProgress?: (progress: TransferProgress) => void };

export interface NodeRoomClient {
  sendFileToConference: {
    /** The Room API method: offers a file already on the room to the current conference. */
    (params: { fileId: number | string }, options?: CallOptions): Promise<Reply<'sendFileToConference'>>;
    /**
     * The helper: uploads a file from a path and offers it to the current conference; resolves when the hub
     * holds it (status 3).
     */
    (path: string, options?: SendOptions): Promise<{ fileRequestId: string; fileId: number }>;
  };
}

const apiSendFileToConference = RoomClient.prototype.sendFileToConference;
NodeRoomClient.prototype.sendFileToConference = async function (
  this: NodeRoomClient,
  pathOrParams: string | { fileId: number | string },
  options: SendOptions & CallOptions = {},
) {
  if (typeof pathOrParams !== 'string') return apiSendFileToConference.call(this, pathOrParams, options);
  const fileId = await this.upload(pathOrParams, { name: options.name, onProgress: options.onUploadProgress });
  const fileRequestId = await untilDelivered(
    this,
    async () => (await this.request('sendFileToConference', { fileId })).sentFileRequestId,
    options,
  );
  return { fileRequestId, fileId };
} as NodeRoomClient['sendFileToConference'];
