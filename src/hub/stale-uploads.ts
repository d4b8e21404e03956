import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import type { Bodies } from './bodies.js';
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
  private running = false;
  private again = false;

  constructor(
    private readonly parts: {
      repo: HubRepository;
      bodies: Bodies;
      outcomes: UploadOutcomes;
      clock: Clock;
      logger: Logger;
      idleMs: number;
    },
  ) {}

  start(): void {
    const everyMs = Math.min(60_000, Math.max(100, Math.floor(this.parts.idleMs / 10)));
    this.timer = setInterval(() => void this.sweep(), everyMs);
    this.timer.unref();
    this.unsubscribeClock = this.parts.clock.onAdvance(() => void this.sweep());
    void this.sweep();
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribeClock?.();
  }

  async sweep(): Promise<void> {
    // A sweep asked for during one (a clock jump) runs after it, never dropped: it may see what the running one cannot.
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    const { repo, bodies, outcomes, clock, logger, idleMs } = this.parts;
    const now = clock.now();
    const looked = new Set<string>();
    try {
      for (const sha256 of await bodies.list()) {
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
          logger.info({ sendId: send.sendId, held }, 'partial upload idle too long: removed, its send fails');
          this.seen.delete(key);
          await bodies.discardUpload(upload);
          await outcomes.failed(sha256, send.sender, stalled(idleMs));
        }
      }
      for (const key of this.seen.keys()) if (!looked.has(key)) this.seen.delete(key);
    } catch (error) {
      logger.error({ err: error }, 'stale upload sweep failed');
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        void this.sweep();
      }
    }
  }
}
