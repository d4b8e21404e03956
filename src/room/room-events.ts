import { EventEmitter } from 'node:events';
import { eventMessage, type EventEnvelope } from '../protocol/envelope.js';
import type { EventFields, EventName } from '../protocol/events.js';
import type { LegacyHints, LegacyShapes } from './legacy-companions.js';

/**
 * Who a message goes to: every authorized connection, only those that selected API version 2, or only those in
 * legacy mode (room-api.md §10).
 */
export type Audience = 'all' | 'current' | 'legacy';

export interface EventSink {
  send(message: object, audience: Audience): void;
  /** Whether any connection would take a legacy message now: when none would, none is made. */
  legacyListening(): boolean;
}

type Message = EventEnvelope & Record<string, unknown>;

/**
 * The room's event stream. Every event goes to all authorized API connections, and connections in legacy mode
 * get its legacy companions right after it (room-api.md §10): they are derived here, from the event and the
 * request it names, so no emitter knows of them. In-process listeners (the web server's tests, the transfer
 * engine) see the current events only.
 */
export class RoomEvents {
  private readonly local = new EventEmitter();
  private sink: EventSink = { send: () => undefined, legacyListening: () => false };
  private legacy: ((message: Message, hints: LegacyHints) => LegacyShapes) | null = null;
  private onLegacyFailure: (error: unknown, event: string) => void = () => undefined;

  setSink(sink: EventSink): void {
    this.sink = sink;
  }

  /** How the legacy shapes of an event are made, and where a failure to make them is reported. */
  setLegacy(
    derive: (message: Message, hints: LegacyHints) => LegacyShapes,
    onFailure: (error: unknown, event: string) => void,
  ): void {
    this.legacy = derive;
    this.onLegacyFailure = onFailure;
  }

  emit<E extends EventName>(event: E, fields: EventFields<E>, hints: LegacyHints = {}): void {
    const message = eventMessage(event, withoutUndefined(fields)) as Message;
    const legacy = this.legacyShapes(message, hints);
    if (legacy?.instead) {
      this.sink.send(message, 'current');
      this.sink.send(legacy.instead, 'legacy');
    } else {
      this.sink.send(message, 'all');
    }
    for (const companion of legacy?.companions ?? []) this.sink.send(companion, 'legacy');
    this.local.emit('event', message);
  }

  /** The legacy shapes, when someone listens for them; a failure to make them never stops the current event. */
  private legacyShapes(message: Message, hints: LegacyHints): LegacyShapes | null {
    if (!this.legacy || !this.sink.legacyListening()) return null;
    try {
      return this.legacy(message, hints);
    } catch (error) {
      this.onLegacyFailure(error, message.event);
      return null;
    }
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
