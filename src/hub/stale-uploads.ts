import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import type { Bodies } from './bodies.js';
import type { BodyNeeds } from './body-needs.js';
import type { HubRepository } from './repository.js';
import { isActive } from './send-status.js';
import type { UploadOutcomes } from './upload-outcomes.js';

/** What the sender's room is told of a send that failed this way. */
function stalled(idleMs: number): string {
  const span = idleMs % 3_600_000 === 0 ? `${idleMs / 3_600_000} h` : `${Math.round(idleMs / 1000)} s`;
  return `the upload stalled: no new byte for ${span}, so the hub removed its partial body`;
}

/**
 * Partial uploads that stopped growing (docs/security.md, "Quotas"): one with no new byte for `idleMs` (24 h by
 * default) is removed and its send fails for the sender and every recipient, rather than holding disk until the
 * offer expires. Progress is what this process saw: the bytes held at each look, and when they last changed.
 */
export class StaleUploads {
  private timer: NodeJS.Timeout | undefined;
  private unsubscribeClock: (() => void) | undefined;
  private readonly seen = new Map<string, { held: number; since: number }>();
  /** The sweep under way, and the one asked for meanwhile (at most one waits: it will see everything anyway). */
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  constructor(
    private readonly parts: {
      repo: HubRepository;
      bodies: Bodies;
      outcomes: UploadOutcomes;
      /** Removes the bodies nothing needs that are still held (with it, the sweep is also the garbage collector). */
      needs?: BodyNeeds;
      clock: Clock;
      logger: Logger;
      idleMs: number;
      /**
       * Several hub processes: resolves to true for the one process that sweeps this interval. Sweeps that do
       * overlap (a clock jump seen by all) are safe anyway: a removal never takes what a request uses.
       */
      claim?: (everyMs: number) => Promise<boolean>;
    },
  ) {}

  start(): void {
    const everyMs = Math.min(60_000, Math.max(100, Math.floor(this.parts.idleMs / 10)));
    this.timer = setInterval(() => void this.scheduled(everyMs), everyMs);
    this.timer.unref();
    this.unsubscribeClock = this.parts.clock.onAdvance(() => void this.sweep());
    void this.scheduled(everyMs);
  }

  /** The timer's sweep: run when this process claimed the interval (or is the only one). */
  private async scheduled(everyMs: number): Promise<void> {
    const { claim, logger } = this.parts;
    try {
      if (claim && !(await claim(everyMs))) return;
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'could not claim the stale upload sweep; skipped');
      return;
    }
    await this.sweep();
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribeClock?.();
  }

  /**
   * One sweep. A sweep asked for during one (a clock jump) runs after it, never dropped: it may see what the running
   * one cannot; whoever awaits it knows that a whole sweep ran after the call.
   */
  sweep(): Promise<void> {
    if (!this.running) {
      this.running = this.pass().finally(() => (this.running = null));
      return this.running;
    }
    this.next ??= this.running.then(() => {
      this.next = null;
      return this.sweep();
    });
    return this.next;
  }

  private async pass(): Promise<void> {
    const { repo, bodies, outcomes, clock, logger, idleMs, needs } = this.parts;
    const now = clock.now();
    const looked = new Set<string>();
    try {
      for (const sha256 of await bodies.list()) {
        // Garbage: a body no send needs whose removal was skipped (in use then, by a process that died since).
        if (needs && (await needs.collectBody(sha256))) continue;
        for (const send of await repo.sendsBySha(sha256)) {
          if (send.uploaded || send.closed) continue;
          const offers = await repo.offersOfSend(send.sendId);
          if (!offers.some((offer) => isActive(offer.state)) && send.confId === null) continue;
          const upload = { sha256, uploader: send.sender };
          const held = await bodies.held(upload, send.fileSize);
          const key = `${sha256}.${send.sender}`;
          looked.add(key);
          const before = this.seen.get(key);
          if (!before || before.held !== held) {
            this.seen.set(key, { held, since: now });
            continue;
          }
          if (held === 0 || now - before.since < idleMs) continue;
          // A writer holding it (on any process) is using it: not stale, whatever this process saw.
          if (!(await bodies.discardIdle(upload))) continue;
          logger.info({ sendId: send.sendId, held }, 'partial upload idle too long: removed, its send fails');
          this.seen.delete(key);
          await outcomes.failed(sha256, send.sender, stalled(idleMs));
        }
      }
      for (const key of this.seen.keys()) if (!looked.has(key)) this.seen.delete(key);
    } catch (error) {
      logger.error({ err: error }, 'stale upload sweep failed');
    }
  }
}
