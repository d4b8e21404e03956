import { ApiError, ErrorCode } from '../protocol/errors.js';
import type { FileStore } from './file-store.js';
import type { FileRecord, HistoryRecord, RoomStore } from './store.js';
import type { RoomEvents } from './room-events.js';
import { historyFields } from './views.js';

/**
 * The files of the room's built-in HTTP server and the history that names them. Deleting a file and clearing
 * the history are the same operation whether they come over the API or over HTTP.
 */
export class FileLibrary {
  constructor(
    private readonly store: RoomStore,
    private readonly files: FileStore,
    private readonly events: RoomEvents,
  ) {}

  list(): FileRecord[] {
    return this.store.listFiles();
  }

  find(fileId: number): FileRecord | undefined {
    return this.store.getFile(fileId);
  }

  /** Files being offered right now (a sendFile waiting for the hub): not deletable until that is settled. */
  private readonly held = new Map<number, number>();

  /** Holds a file against deletion; returns the release. */
  hold(fileId: number): () => void {
    this.held.set(fileId, (this.held.get(fileId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const count = (this.held.get(fileId) ?? 1) - 1;
      if (count > 0) this.held.set(fileId, count);
      else this.held.delete(fileId);
    };
  }

  private inUse(fileId: number): string | null {
    if (this.held.has(fileId))
      return `file ${fileId} is being offered (a sendFile is waiting for the server)`;
    const active = this.store.activeRequestsUsingFile(fileId);
    if (active.length > 0) {
      return `file ${fileId} is used by file request ${active[0].fileRequestId} (status ${active[0].status})`;
    }
    return null;
  }

  get(fileId: number): FileRecord {
    const file = this.store.getFile(fileId);
    if (!file) throw new ApiError(ErrorCode.NotFound, `file ${fileId} does not exist`);
    return file;
  }

  /**
   * Removes a file from disk and every history entry naming it (room-api.md §8 deleteFileTransferFile).
   * Resolves to the step that announces it, run once the caller has replied.
   */
  async delete(fileId: number): Promise<() => void> {
    const file = this.get(fileId);
    const busy = this.inUse(fileId);
    if (busy) throw new ApiError(ErrorCode.Conflict, busy);
    const entries = this.store.transaction(() => {
      const named = this.store.historyForFile(fileId);
      this.store.deleteHistoryForFile(fileId);
      this.store.deleteFile(fileId);
      return named;
    });
    await this.files.remove(fileId);
    return () => {
      entries.forEach((entry, index) => {
        this.events.emit(
          'fileDeletedFromFileTransferHistory',
          { ...historyFields(entry), removedFromDisk: true },
          // The legacy fileTransferFileDeleted names the file, once per file (room-api.md §10).
          index === 0 ? { deletedFile: file } : {},
        );
      });
    };
  }

  /** Empties the history; with deleteFilesFromDisk also removes the files it named, except those still in use. */
  async clearHistory(deleteFilesFromDisk: boolean): Promise<() => void> {
    const entries: HistoryRecord[] = this.store.clearHistory();
    if (deleteFilesFromDisk) {
      const fileIds = new Set(entries.map((entry) => entry.fileId));
      for (const fileId of fileIds) {
        if (!this.store.getFile(fileId)) continue;
        if (this.inUse(fileId)) continue;
        await this.files.remove(fileId);
      }
    }
    return () => this.events.emit('fileTransferHistoryCleared', { removedFromDisk: deleteFilesFromDisk });
  }
}
