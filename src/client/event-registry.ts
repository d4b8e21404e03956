import type { EventName } from '../protocol/events.js';
import type { EventMessage } from './connection.js';
import { RoomConnectionError } from './errors.js';

type AnyListener = (event: EventMessage) => void;

/**
 * Listeners of Room API events by name (`'*'` for all), shared by the low-level connection and the client:
 * `on`, `onAny`, `once`, `waitFor`. Browser-safe.
 */
export class EventRegistry {
  private readonly listeners = new Map<string, Set<AnyListener>>();

  constructor(private readonly defaultWaitMs: number) {}

  /** Hands an event to its listeners and to the `'*'` ones. */
  protected emitEvent(event: EventMessage): void {
    for (const name of [event.event, '*']) {
      const set = this.listeners.get(name);
      // A copy: a listener that adds another (once inside once) must not hand it this same event.
      if (set) for (const listener of [...set]) listener(event);
    }
  }

  /**
   * Listens to one event by name (the names and fields are those of {@link RoomEvents}), e.g.
   * `client.on('fileRequestStatusChanged', (e) => console.log(e.fileRequestId, e.status))`. Returns the function
   * that stops listening.
   */
  on<E extends EventName>(event: E, listener: (event: EventMessage<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as unknown as AnyListener);
    return () => set.delete(listener as unknown as AnyListener);
  }

  /** Every event, whatever its name ({@link RoomEvents}); returns the function that stops listening. */
  onAny(listener: (event: EventMessage) => void): () => void {
    return this.on('*' as EventName, listener);
  }

  /** The next event of that name only ({@link RoomEvents}); returns the function that cancels it. */
  once<E extends EventName>(event: E, listener: (event: EventMessage<E>) => void): () => void {
    const off = this.on(event, (message) => {
      off();
      listener(message);
    });
    return off;
  }

  /**
   * Resolves with the next event of that name ({@link RoomEvents}) that satisfies the predicate, e.g.
   * `await client.waitFor('fileRequestStatusChanged', (e) => e.status === 3)`; rejects with a
   * {@link RoomConnectionError} when none comes within `timeoutMs`, or when the predicate throws. Only events
   * that arrive after the call count: start waiting before the call that causes the event.
   */
  waitFor<E extends EventName>(
    event: E,
    predicate: (event: EventMessage<E>) => boolean = () => true,
    timeoutMs = this.defaultWaitMs,
  ): Promise<EventMessage<E>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new RoomConnectionError(`no "${event}" event within ${timeoutMs} ms`, 'timeout'));
      }, timeoutMs);
      const off = this.on(event, (message) => {
        let matches: boolean;
        try {
          matches = predicate(message);
        } catch (error) {
          clearTimeout(timer);
          off();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (!matches) return;
        clearTimeout(timer);
        off();
        resolve(message);
      });
    });
  }
}
