import { EventEmitter } from 'node:events';

/**
 * Time as the room and hub see it. Tests inject a ManualClock to cross token lifetimes and offer expiry
 * without waiting; everything that expires reads `now()` and re-checks when the clock says it moved.
 */
export interface Clock {
  now(): number;
  /** Called after the clock jumps forward, so sweepers can run at once rather than at their next tick. */
  onAdvance(listener: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  onAdvance: () => () => undefined,
};

export class ManualClock implements Clock {
  private readonly emitter = new EventEmitter();
  constructor(private current = Date.now()) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
    this.emitter.emit('advance');
  }

  onAdvance(listener: () => void): () => void {
    this.emitter.on('advance', listener);
    return () => this.emitter.off('advance', listener);
  }
}
