import type { EventEmitter } from 'node:events';
import type { EventName } from '../../src/protocol/events.js';
import type { EventMessage, RoomConnection } from '../../src/client/index.js';
import { AppState } from '../../src/protocol/codes.js';

/**
 * The one way tests wait for something that comes later. Every wait here removes its timer and its listener
 * whatever the outcome (found, timed out, cancelled, the check threw): a timer left running after the test that
 * started it keeps the test process alive until it fires, which is how test files used to idle for tens of seconds
 * after their last test.
 */

export interface WaitOptions {
  /** Rejects after this long (default 20 s: generous, the machine running the tests may be loaded). */
  timeoutMs?: number;
  /** Gives up when aborted (rejects with "… cancelled"): for a wait a test may turn out not to need. */
  signal?: AbortSignal;
}

/** Something that can wake a wait: a set of wake-up functions its owner calls, or a subscribe that returns its undo. */
export type Wake = Set<() => void> | ((wake: () => void) => () => void);

const DEFAULT_TIMEOUT_MS = 20_000;
/** How often a wait without a wake-up source looks again. */
const POLL_MS = 10;

const describe = (what: string | (() => string)) => (typeof what === 'string' ? what : what());

/**
 * Resolves with the first value `find` returns other than undefined, looking at once and then each time `wake`
 * fires (or every 10 ms without one); rejects with "no <what> within <timeoutMs> ms" (`what` may be a function,
 * to describe what was seen instead), or with what `find` threw.
 */
export function waitFor<T>(
  what: string | (() => string),
  find: () => T | undefined,
  options: WaitOptions & { wake?: Wake } = {},
): Promise<T> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, signal, wake } = options;
  return new Promise<T>((resolve, reject) => {
    let unsubscribe: () => void = () => undefined;
    let settled = false;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const look = () => {
      if (settled) return;
      let value: T | undefined;
      try {
        value = find();
      } catch (error) {
        finish(() => reject(error instanceof Error ? error : new Error(String(error))));
        return;
      }
      if (value !== undefined) finish(() => resolve(value));
    };
    const onAbort = () => finish(() => reject(new Error(`waiting for ${describe(what)} cancelled`)));

    const timer = setTimeout(
      () => finish(() => reject(new Error(`no ${describe(what)} within ${timeoutMs} ms`))),
      timeoutMs,
    );
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort);
    look();
    if (settled) return;
    if (wake instanceof Set) {
      wake.add(look);
      unsubscribe = () => wake.delete(look);
    } else if (wake) {
      unsubscribe = wake(look);
    } else {
      const poll = setInterval(look, POLL_MS);
      unsubscribe = () => clearInterval(poll);
    }
  });
}

/** `promise`, or a rejection "no <what> within <timeoutMs> ms" if it takes longer; the timer is cleared either way. */
export async function withTimeout<T>(
  promise: Promise<T>,
  what: string | (() => string),
  timeoutMs: number,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${describe(what)} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The arguments of the next `name` that `emitter` emits (a Node EventEmitter: a room's session, a process). */
export function emitted(emitter: EventEmitter, name: string, options: WaitOptions = {}): Promise<unknown[]> {
  let args: unknown[] | undefined;
  return waitFor(`"${name}" emitted`, () => args, {
    ...options,
    wake: (wake) => {
      const listener = (...emittedArgs: unknown[]) => {
        args ??= emittedArgs;
        wake();
      };
      emitter.on(name, listener);
      return () => emitter.off(name, listener);
    },
  });
}

/** What Room API events come from: a RoomConnection or a RoomClient. */
export interface EventSource {
  on<E extends EventName>(event: E, listener: (event: EventMessage<E>) => void): () => void;
}

/**
 * The next event of that name satisfying the predicate (only events that arrive after the call). Unlike the SDK's
 * own `waitFor`, it can be cancelled with `signal`, so a wait that turned out unneeded leaves no timer behind.
 */
export function nextEvent<E extends EventName>(
  source: EventSource,
  event: E,
  predicate: (message: EventMessage<E>) => boolean = () => true,
  options: WaitOptions = {},
): Promise<EventMessage<E>> {
  let hit: EventMessage<E> | undefined;
  return waitFor(`"${event}" event`, () => hit, {
    ...options,
    wake: (wake) =>
      source.on(event, (message) => {
        if (hit === undefined && predicate(message)) {
          hit = message;
          wake();
        }
      }),
  });
}

/**
 * Resolves once a state holds: the event that announces it is listened for before `holds` asks (so a change in
 * between is not missed), and the wait for the event is dropped as soon as `holds` says yes.
 */
export async function stateOrEvent<E extends EventName>(
  source: EventSource,
  event: E,
  predicate: (message: EventMessage<E>) => boolean,
  holds: () => Promise<boolean>,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<void> {
  const cancel = new AbortController();
  const announced = nextEvent(source, event, predicate, { timeoutMs, signal: cancel.signal });
  announced.catch(() => undefined);
  try {
    if (await holds()) return;
    await announced;
  } finally {
    cancel.abort();
  }
}

/** Resolves once the room behind the connection is logged in to its server (appState 3), already or later. */
export function untilLoggedIn(connection: RoomConnection, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  return stateOrEvent(
    connection,
    'appStateChanged',
    (e) => e.appState === AppState.LoggedIn,
    async () => (await connection.call('getAppState')).appState === AppState.LoggedIn,
    timeoutMs,
  );
}
