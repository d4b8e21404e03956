import { systemClock, type Clock } from '../common/clock.js';

export interface ProgressSample {
  processedPercents: number;
  processedSize: number;
  /** Bytes per second over the last few seconds. */
  speed: number;
}

/** Ten a second at most (room-api.md §9). */
export const MIN_INTERVAL_MS = 100;
const SPEED_WINDOW_MS = 2000;

/**
 * Progress events of one transfer (room-api.md §9): an integer percent, one event each time it changes, no more
 * than ten a second, and always one at 100. A change that comes too soon is held back and sent when its turn
 * comes (so the last percent before a pause is never lost).
 */
export class ProgressReporter {
  private lastPercent = -1;
  private lastEmitAt = Number.NEGATIVE_INFINITY;
  private processed = 0;
  private pending: NodeJS.Timeout | undefined;
  private readonly samples: { at: number; bytes: number }[] = [];
  private finished = false;

  constructor(
    private readonly total: number,
    private readonly emit: (sample: ProgressSample) => void,
    /** The least time between two events; a room with many clients asks for fewer (still within §9). */
    private readonly interval: () => number = () => MIN_INTERVAL_MS,
    /** What "now" is, for spacing the events and measuring the speed (tests run it on mock timers). */
    private readonly clock: Pick<Clock, 'now'> = systemClock,
  ) {}

  percentOf(bytes: number): number {
    if (this.total <= 0) return 100;
    return Math.min(100, Math.floor((bytes * 100) / this.total));
  }

  get processedBytes(): number {
    return this.processed;
  }

  update(processed: number): void {
    if (this.finished) return;
    this.processed = processed;
    const now = this.clock.now();
    this.samples.push({ at: now, bytes: processed });
    while (this.samples.length > 2 && now - this.samples[0].at > SPEED_WINDOW_MS) this.samples.shift();
    const percent = this.percentOf(processed);
    // Never backwards: after a retry that resumes from fewer bytes than were counted, the percentage waits
    // until it passes the last one reported.
    if (percent <= this.lastPercent || percent === 100) return;
    const wait = this.lastEmitAt + this.interval() - now;
    if (wait <= 0) {
      this.flush();
    } else if (!this.pending) {
      this.pending = setTimeout(() => {
        this.pending = undefined;
        if (!this.finished) this.flush();
      }, wait);
    }
  }

  /** Sends the 100 (after the minimum interval, if one was just sent) and resolves once it is out. */
  finish(): Promise<void> {
    if (this.finished) return Promise.resolve();
    this.finished = true;
    clearTimeout(this.pending);
    this.processed = this.total;
    const wait = Math.max(0, this.lastEmitAt + this.interval() - this.clock.now());
    return new Promise((resolve) => {
      const send = () => {
        if (this.lastPercent !== 100) this.send(100);
        resolve();
      };
      if (wait > 0) setTimeout(send, wait);
      else send();
    });
  }

  /** Stops without a final event (the transfer paused or failed). */
  cancel(): void {
    this.finished = true;
    clearTimeout(this.pending);
  }

  private flush(): void {
    const percent = this.percentOf(this.processed);
    if (percent > this.lastPercent && percent !== 100) this.send(percent);
  }

  private send(percent: number): void {
    this.lastPercent = percent;
    this.lastEmitAt = this.clock.now();
    this.emit({ processedPercents: percent, processedSize: this.processed, speed: this.speed() });
  }

  speed(): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const seconds = (last.at - first.at) / 1000;
    return seconds > 0 ? Math.max(0, Math.round((last.bytes - first.bytes) / seconds)) : 0;
  }
}
