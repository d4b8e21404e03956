import type { Bodies } from './bodies.js';
import type { BodyNeeds } from './body-needs.js';
import type { HubRepository } from './repository.js';
import { PeriodicPass, type PeriodicPassParts } from './periodic-pass.js';
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
  private readonly periodic: PeriodicPass;
  private readonly seen = new Map<string, { held: number; since: number }>();

  constructor(
    // Several hub processes: `claim` lets one of them sweep each interval. Sweeps that do overlap (a clock jump
    // seen by all) are safe anyway: a removal never takes what a request uses.
    private readonly parts: PeriodicPassParts & {
      repo: HubRepository;
      bodies: Bodies;
      outcomes: UploadOutcomes;
      /** Removes the bodies nothing needs that are still held (with it, the sweep is also the garbage collector). */
      needs?: BodyNeeds;
      idleMs: number;
    },
  ) {
    this.periodic = new PeriodicPass('the stale upload sweep', parts, () => this.pass());
  }

  start(): void {
    this.periodic.start(Math.min(60_000, Math.max(100, Math.floor(this.parts.idleMs / 10))));
  }

  stop(): void {
    this.periodic.stop();
  }

  /** One sweep (sweeps never overlap: one asked for during another runs after it, never dropped). */
  sweep(): Promise<void> {
    return this.periodic.run();
  }

  private async pass(): Promise<void> {
    const { repo, bodies, outcomes, clock, logger, idleMs, needs } = this.parts;
    const now = clock.now();
    const looked = new Set<string>();
    try {
      for (const sha256 of await bodies.list()) {
        const sends = await repo.sendsBySha(sha256);
        // Garbage: a body of no send at all (its sends ended and were pruned) whose removal was skipped, in use
        // then by a process that died since. One whose ended sends are still there is left until they are pruned.
        if (sends.length === 0 && needs) {
          await needs.collectBody(sha256);
          continue;
        }
        for (const send of sends) {
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
