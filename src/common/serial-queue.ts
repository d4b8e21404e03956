/**
 * Runs tasks one after another in the order they were queued, even when they await: replies to the requests of
 * one connection go out in the order the requests came in. A task that fails never stops the ones after it
 * (`onError` hears of it). `length` counts the tasks queued or running, for a caller that bounds it.
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  private count = 0;

  constructor(private readonly onError: (error: unknown) => void) {}

  get length(): number {
    return this.count;
  }

  push(task: () => Promise<void> | void): void {
    this.count += 1;
    this.tail = this.tail
      .then(task)
      .catch(this.onError)
      .finally(() => {
        this.count -= 1;
      });
  }
}
