import { EventEmitter } from 'node:events';
import { eventMessage } from '../protocol/envelope.js';
import type { EventFields, EventName } from '../protocol/events.js';

/**
 * The room's event stream. Every event goes to all authorized API connections; in-process listeners (the web
 * server's tests, the transfer engine) may watch it too.
 */
export class RoomEvents {
  private readonly local = new EventEmitter();
  private sink: (message: object) => void = () => undefined;

  setSink(sink: (message: object) => void): void {
    this.sink = sink;
  }

  emit<E extends EventName>(event: E, fields: EventFields<E>): void {
    const message = eventMessage(event, withoutUndefined(fields));
    this.sink(message);
    this.local.emit('event', message);
  }

  onEvent(listener: (message: { event: string } & Record<string, unknown>) => void): () => void {
    this.local.on('event', listener);
    return () => this.local.off('event', listener);
  }
}

/** Optional fields are omitted, never sent as null or "" (room-api.md §6, presence of fields). */
export function withoutUndefined<T extends object>(fields: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out as T;
}
