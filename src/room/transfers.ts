import { ApiError, ErrorCode, notFound } from '../protocol/errors.js';
import type { Room } from './room.js';
import type { RequestRecord } from './store.js';
import { requestInfo } from './views.js';

/** The transfer state machine of a room (room-api.md §8, §9). */
export class TransferEngine {
  constructor(private readonly room: Room) {}

  start(): void {}

  stop(): void {}

  info(fileRequestId: string) {
    const request = this.room.store.getRequest(fileRequestId);
    if (!request) throw notFound(`file request ${fileRequestId} does not exist`);
    return requestInfo(request);
  }

  incoming(): RequestRecord[] {
    return [];
  }

  outgoing(): RequestRecord[] {
    return [];
  }

  async sendToUser(
    _fileId: number,
    _peer: string | undefined,
  ): Promise<{ fileRequestId: string; announce: () => void }> {
    throw new ApiError(ErrorCode.Internal, 'not implemented');
  }

  async sendToConference(_fileId: number): Promise<{ fileRequestId: string; announce: () => void }> {
    throw new ApiError(ErrorCode.Internal, 'not implemented');
  }

  async accept(_fileRequestId: string): Promise<() => void> {
    throw new ApiError(ErrorCode.Internal, 'not implemented');
  }

  async reject(_fileRequestId: string): Promise<() => void> {
    throw new ApiError(ErrorCode.Internal, 'not implemented');
  }
}
