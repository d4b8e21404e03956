import type { BodyBearer } from './link-registry.js';

/** How many body requests may run at once. */
export interface BodySlotLimits {
  /** Concurrent GETs, and concurrent PATCHes, of one link (one room). */
  perLink: number;
  /** Concurrent GETs, and concurrent PATCHes, of one account, all its rooms together. */
  perAccount: number;
}

export const DEFAULT_BODY_SLOTS: BodySlotLimits = { perLink: 8, perAccount: 16 };

/**
 * Counts the body requests running per link and per account, by kind (GET or PATCH), so that a room (or every room
 * of an account) cannot hold more of the hub's memory and descriptors than a bounded number of transfers needs:
 * each running GET holds a read-ahead buffer, each PATCH a writer. A request over the bound is refused with 429.
 */
export class BodySlots {
  private readonly counts = new Map<string, number>();

  constructor(readonly limits: BodySlotLimits = DEFAULT_BODY_SLOTS) {}

  /** Takes a slot for `bearer`; resolves to its release, or null when a bound is reached. */
  take(bearer: BodyBearer, kind: 'GET' | 'PATCH'): (() => void) | null {
    const linkKey = `${kind} link ${bearer.instanceId}`;
    const accountKey = `${kind} account ${bearer.account}`;
    if ((this.counts.get(linkKey) ?? 0) >= this.limits.perLink) return null;
    if ((this.counts.get(accountKey) ?? 0) >= this.limits.perAccount) return null;
    this.bump(linkKey, 1);
    this.bump(accountKey, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.bump(linkKey, -1);
      this.bump(accountKey, -1);
    };
  }

  private bump(key: string, by: number): void {
    const count = (this.counts.get(key) ?? 0) + by;
    if (count <= 0) this.counts.delete(key);
    else this.counts.set(key, count);
  }
}
