/** One request's use of a body (BodyUses.use). */
export interface BodyUse {
  /**
   * Aborted when the use stopped counting without being released (several processes: the database connection
   * holding it dropped, so another process may remove the body now): whoever uses it stops.
   */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

/**
 * Which bodies are being read or written right now, wherever: a body is removed only when no request uses it, so
 * garbage collection never takes bytes from under an upload or a download, on this process or another. A removal
 * skipped for a use is done by whoever ends the last use (BodyNeeds.collectBody), or by the next sweep.
 */
export interface BodyUses {
  /** Marks the body in use until `release`; waits while a removal of it is under way (it then starts anew). */
  use(sha256: string): Promise<BodyUse>;
  /**
   * Runs `remove` unless the body is in use anywhere, keeping any use from starting until it is done; resolves to
   * whether it ran.
   */
  removeUnused(sha256: string, remove: () => Promise<void>): Promise<boolean>;
}

const never = new AbortController().signal;

/** The uses of one process (the embedded hub): counted in memory. */
export class LocalBodyUses implements BodyUses {
  private readonly counts = new Map<string, number>();
  private readonly removing = new Map<string, Promise<unknown>>();

  async use(sha256: string): Promise<BodyUse> {
    for (let removal = this.removing.get(sha256); removal; removal = this.removing.get(sha256)) {
      await removal.catch(() => undefined);
    }
    this.counts.set(sha256, (this.counts.get(sha256) ?? 0) + 1);
    let released = false;
    return {
      lost: never,
      release: async () => {
        if (released) return;
        released = true;
        const left = (this.counts.get(sha256) ?? 1) - 1;
        if (left > 0) this.counts.set(sha256, left);
        else this.counts.delete(sha256);
      },
    };
  }

  async removeUnused(sha256: string, remove: () => Promise<void>): Promise<boolean> {
    if (this.counts.has(sha256) || this.removing.has(sha256)) return false;
    const removal = remove();
    this.removing.set(sha256, removal);
    try {
      await removal;
      return true;
    } finally {
      this.removing.delete(sha256);
    }
  }
}
