import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';

export interface PeriodicPassParts {
  clock: Clock;
  logger: Logger;
  /**
   * Several hub processes: resolves to true for the one process that runs this interval's pass (the others skip
   * theirs), so the timer's pass runs once per interval across them.
   */
  claim?: (everyMs: number) => Promise<boolean>;
}

/**
 * A hub job that passes over its state now and then (offer expiry, stale uploads): every `everyMs` on a timer — in
 * the process that claimed the interval, when several share a database — and at once when the clock jumps. Passes
 * never overlap: one asked for during another runs after it, never dropped (it may see what the running one cannot),
 * and at most one waits, since it will see everything anyway; whoever awaits `run` knows a whole pass ran after
 * the call.
 */
export class PeriodicPass {
  private timer: NodeJS.Timeout | undefined;
  private unsubscribeClock: (() => void) | undefined;
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  constructor(
    /** What the pass is, for the log line of a claim that failed ("the expiry pass"). */
    private readonly name: string,
    private readonly parts: PeriodicPassParts,
    private readonly pass: () => Promise<void>,
  ) {}

  start(everyMs: number): void {
    this.timer = setInterval(() => void this.scheduled(everyMs), everyMs);
    this.timer.unref();
    this.unsubscribeClock = this.parts.clock.onAdvance(() => void this.run());
    void this.scheduled(everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribeClock?.();
  }

  run(): Promise<void> {
    if (!this.running) {
      this.running = this.pass().finally(() => (this.running = null));
      return this.running;
    }
    this.next ??= this.running.then(() => {
      this.next = null;
      return this.run();
    });
    return this.next;
  }

  /** The timer's pass: run when this process claimed the interval (or is the only one). */
  private async scheduled(everyMs: number): Promise<void> {
    const { claim, logger } = this.parts;
    try {
      if (claim && !(await claim(everyMs))) return;
    } catch (error) {
      logger.warn({ err: (error as Error).message }, `could not claim ${this.name}; skipped`);
      return;
    }
    await this.run();
  }
}
