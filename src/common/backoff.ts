/** Reconnect delays: 1 s doubling to 30 s (room-api.md §4), with a little jitter so rooms do not stampede. */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly initialMs = 1000,
    private readonly maxMs = 30_000,
  ) {}

  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    this.attempt += 1;
    // Jitter below the cap too: never more than the 30 s the contract allows.
    return Math.min(this.maxMs, Math.round(base * (0.9 + Math.random() * 0.2)));
  }

  reset(): void {
    this.attempt = 0;
  }
}
