import type { HubRepository } from './repository.js';

/** How long one answer stands: /health is open to anyone, and must not become a way to load the database. */
const PROBE_CACHE_MS = 1000;

/**
 * Whether this process reaches its database, for GET /health: a round trip for a repository on a server
 * (PostgreSQL), always true for an embedded one (SQLite). Callers within a second share one round trip.
 */
export class DatabaseProbe {
  private last: { at: number; answer: Promise<boolean> } | null = null;

  constructor(
    private readonly repo: Pick<HubRepository, 'reachable'>,
    private readonly now: () => number = () => Date.now(),
  ) {}

  reachable(): Promise<boolean> {
    if (!this.repo.reachable) return Promise.resolve(true);
    const now = this.now();
    if (!this.last || now - this.last.at >= PROBE_CACHE_MS) {
      this.last = { at: now, answer: this.repo.reachable().catch(() => false) };
    }
    return this.last.answer;
  }
}
