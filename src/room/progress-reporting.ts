import { ProgressReporter } from './progress.js';
import type { RoomStore, RequestRecord } from './store.js';
import type { TransferEvents } from './transfer-events.js';

/** How often the bytes moved so far are written to the store while a body moves (for getFileRequestInfo). */
const PROCESSED_SAVE_MS = 1000;

export interface ProgressReportingDeps {
  /** Where the bytes moved so far are saved, now and then. */
  store: Pick<RoomStore, 'setProcessed'>;
  events: TransferEvents;
  /** The least time between two progress events of one request (longer when many clients listen). */
  interval: () => number;
  /** Milliseconds, for spacing the saves and the events. */
  now: () => number;
}

/**
 * Progress of the bodies moving now: one ProgressReporter per request, which turns the byte counts the body
 * loops give it into progress events (room-api.md §9); on the way the count is saved about once a second.
 */
export class ProgressReporting {
  private readonly reporters = new Map<string, ProgressReporter>();

  constructor(private readonly deps: ProgressReportingDeps) {}

  /** The reporter of a request, made at its first use; its events carry the request's fields as they are now. */
  of(request: RequestRecord): ProgressReporter {
    const existing = this.reporters.get(request.fileRequestId);
    if (existing) return existing;
    let lastSaved = 0;
    const reporter = new ProgressReporter(
      request.fileSize,
      (sample) => {
        const now = this.deps.now();
        if (now - lastSaved >= PROCESSED_SAVE_MS) {
          lastSaved = now;
          this.deps.store.setProcessed(request.fileRequestId, sample.processedSize);
        }
        this.deps.events.progress(request, sample);
      },
      this.deps.interval,
      { now: this.deps.now },
    );
    this.reporters.set(request.fileRequestId, reporter);
    return reporter;
  }

  /** The percent getFileRequestInfo shows for a request moving its body: counted now, or as last saved. */
  processedPercents(request: RequestRecord): number {
    const reporter = this.reporters.get(request.fileRequestId);
    const processed = reporter ? reporter.processedBytes : request.processed;
    return request.fileSize > 0 ? Math.min(100, Math.floor((processed * 100) / request.fileSize)) : 100;
  }

  /**
   * The whole body moved: the 100 % event, once it is out. A loop that holds its reporter passes it: when the
   * transfer was paused meanwhile, that one is cancelled and stays silent.
   */
  async finish(request: RequestRecord, reporter = this.of(request)): Promise<void> {
    await reporter.finish();
    this.reporters.delete(request.fileRequestId);
  }

  /** The body stopped moving (paused, failed, ended): no more events for it. */
  cancel(fileRequestId: string): void {
    this.reporters.get(fileRequestId)?.cancel();
    this.reporters.delete(fileRequestId);
  }
}
