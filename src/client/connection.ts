import type { MethodName, MethodParams, MethodReply } from '../protocol/methods.js';
import type { EventFields, EventName } from '../protocol/events.js';
import { RoomApiError, RoomConnectionError } from './errors.js';
import { EventRegistry } from './event-registry.js';

/** The subset of the WebSocket interface the client needs: the browser's, or `ws` in Node. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}
export type WebSocketFactory = (url: string) => WebSocketLike;

export interface RoomConnectionOptions {
  /** `ws://host:port/` of the Room API. */
  url: string;
  createSocket: WebSocketFactory;
  /** Per-call timeout (default 15 s). */
  timeoutMs?: number;
}

/**
 * An event as it arrives: `{ method: 'event', event: <name>, ...fields }` (see {@link RoomEvents} for each one's
 * fields). Without a name it is the union of every event, so a `switch (event.event)` narrows it to that event's
 * fields.
 */
export type EventMessage<E extends EventName = EventName> = E extends EventName
  ? { method: 'event'; event: E } & EventFields<E>
  : never;

type EventFieldsByName = { [E in EventName]: EventFields<E> };

/**
 * Every event a room sends, by name, with its fields (room-api.md §3.4, §4, §5, §7, §9): what `client.on(name, …)`,
 * `once` and `waitFor` hand to their listener, plus `method: 'event'` and `event: name`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface, so that the API reference lists each event
export interface RoomEvents extends EventFieldsByName {}

interface Pending {
  method: string;
  resolve: (reply: Record<string, unknown>) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const OPEN = 1;

/**
 * A Room API connection: one typed call per method, replies matched by requestId (so concurrent calls of one
 * method never mix), and typed events. Free of Node-only imports: the web interface bundles it.
 */
export class RoomConnection extends EventRegistry {
  private socket: WebSocketLike | null = null;
  private nextRequestId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly closeListeners = new Set<(code: number, reason: string) => void>();

  constructor(private readonly options: RoomConnectionOptions) {
    super(15_000);
  }

  get isOpen(): boolean {
    return this.socket?.readyState === OPEN;
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = this.options.createSocket(this.options.url);
      this.socket = socket;
      let opened = false;
      socket.onopen = () => {
        opened = true;
        resolve();
      };
      socket.onerror = () => {
        if (!opened) reject(new RoomConnectionError(`cannot connect to ${this.options.url}`, 'unreachable'));
      };
      socket.onclose = (event) => {
        if (!opened) reject(new RoomConnectionError(`cannot connect to ${this.options.url}`, 'unreachable'));
        this.failAll(new RoomConnectionError(`connection closed (${event.code})`));
        if (this.socket === socket) this.socket = null;
        for (const listener of this.closeListeners) listener(event.code, event.reason);
      };
      socket.onmessage = (event) => this.receive(String(event.data));
    });
  }

  close(): void {
    this.socket?.close(1000, 'bye');
    this.failAll(new RoomConnectionError('connection closed by the client'));
  }

  onClose(listener: (code: number, reason: string) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Calls a Room API method; resolves to its reply, or rejects with RoomApiError. */
  call<M extends MethodName>(
    method: M,
    params?: MethodParams<M>,
    options: { timeoutMs?: number } = {},
  ): Promise<MethodReply<M> & { method: M; requestId: string; result: true }> {
    return this.callRaw(method, params ?? {}, options) as unknown as Promise<
      MethodReply<M> & { method: M; requestId: string; result: true }
    >;
  }

  /** Sends any message (also one the contract does not know) and resolves with its reply. */
  callRaw(method: string, params: Record<string, unknown>, options: { timeoutMs?: number } = {}) {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) {
      return Promise.reject(new RoomConnectionError('not connected'));
    }
    const requestId = String(this.nextRequestId++);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 15_000;
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new RoomConnectionError(`${method}: no reply within ${timeoutMs} ms`, 'timeout'));
      }, timeoutMs);
      this.pending.set(requestId, { method, resolve, reject, timer });
      socket.send(JSON.stringify({ ...params, method, requestId }));
    });
  }

  private receive(text: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.method === 'event' && typeof message.event === 'string') {
      this.emitEvent(message as unknown as EventMessage);
      return;
    }
    const requestId = typeof message.requestId === 'string' ? message.requestId : '';
    const pending = this.pending.get(requestId);
    if (!pending) return;
    this.pending.delete(requestId);
    clearTimeout(pending.timer);
    if (message.result === true) pending.resolve(message);
    else {
      pending.reject(
        new RoomApiError(
          String(message.method ?? pending.method),
          String(message.error ?? 'failed'),
          Number(message.errorCode ?? 0),
          message,
        ),
      );
    }
  }

  private failAll(error: Error): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
  }
}
