import type { Room } from './room.js';
import type { RequestRecord } from './store.js';
import { legacyItem, type LiveProgress } from './legacy-views.js';

/** Requests whose last progress is kept: a bound far above the transfers a room runs at once. */
const LIVE_LIMIT = 10_000;

/**
 * What the legacy shapes need that the store does not keep (room-api.md §10): the bytes moved and the speed of
 * each request in status 2, as its last progress event gave them. Watches the room's own event stream, so the
 * transfer engine knows nothing of it.
 */
export class LegacyTracker {
  private readonly live = new Map<string, LiveProgress>();
  private readonly unsubscribe: () => void;

  constructor(private readonly room: Room) {
    this.unsubscribe = room.events.onEvent((message) => this.observe(message));
  }

  stop(): void {
    this.unsubscribe();
    this.live.clear();
  }

  /** The legacy item of a request, with its live progress. */
  item(request: RequestRecord) {
    return legacyItem(request, this.live.get(request.fileRequestId));
  }

  private observe(message: { event: string } & Record<string, unknown>): void {
    const fileRequestId = message.fileRequestId as string | undefined;
    switch (message.event) {
      case 'incomingFileRequestDownloadingProgress':
      case 'outgoingFileRequestUploadingProgress':
        if (!this.live.has(fileRequestId!) && this.live.size >= LIVE_LIMIT) {
          this.live.delete(this.live.keys().next().value!);
        }
        this.live.set(fileRequestId!, {
          processedSize: message.processedSize as number,
          speed: message.speed as number,
        });
        break;
      case 'fileRequestStatusChanged':
        if (message.status !== 2) this.live.delete(fileRequestId!);
        break;
      default:
        break;
    }
  }
}
