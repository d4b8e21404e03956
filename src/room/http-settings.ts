import type { HttpServerSettingName } from '../protocol/http-server-methods.js';
import { HttpServerSettingNames } from '../protocol/http-server-methods.js';
import type { RoomStore } from './store.js';

export type HttpSettingValues = Record<HttpServerSettingName, number>;

export interface SettingChange {
  name: HttpServerSettingName;
  value: number;
  httpServerRestartNeededForApplying: boolean;
  isPendingToBeApplied: boolean;
  pendingValue: number;
}

/** Settings that a running server cannot change under itself: they wait for the next startHttpServer. */
const NEEDS_RESTART: ReadonlySet<HttpServerSettingName> = new Set([
  'httpServerPort',
  'httpServerConnectionsLimit',
]);
const KEY = 'httpServerSettings';

/**
 * The built-in HTTP server's settings (room-api.md §7). `applied` is what the server runs with; the stored
 * values are what it will run with after its next start, and they survive a restart of the room.
 */
export class HttpSettings {
  applied: HttpSettingValues;
  private wanted: HttpSettingValues;
  /** Only what setHttpServerSettings set is kept: defaults and command-line values are never written. */
  private readonly stored: Partial<HttpSettingValues>;

  constructor(
    private readonly store: RoomStore,
    defaults: HttpSettingValues,
    /** Values given on the command line win over stored ones. */
    overrides: Partial<HttpSettingValues>,
  ) {
    this.stored = store.get<Partial<HttpSettingValues>>(KEY) ?? {};
    this.wanted = { ...defaults, ...this.stored, ...overrides };
    this.applied = { ...this.wanted };
  }

  list(): { name: HttpServerSettingName; value: number }[] {
    return HttpServerSettingNames.map((name) => ({ name, value: this.applied[name] }));
  }

  update(changes: Partial<HttpSettingValues>, running: boolean): SettingChange[] {
    const out: SettingChange[] = [];
    for (const name of HttpServerSettingNames) {
      const value = changes[name];
      // Only changed settings are announced (room-api.md §7): a value already wanted changes nothing.
      if (value === undefined || value === this.wanted[name]) continue;
      this.wanted[name] = value;
      this.stored[name] = value;
      const deferred = NEEDS_RESTART.has(name) && running && this.applied[name] !== value;
      if (!deferred) this.applied[name] = value;
      out.push({
        name,
        value: this.applied[name],
        httpServerRestartNeededForApplying: NEEDS_RESTART.has(name),
        isPendingToBeApplied: deferred,
        pendingValue: value,
      });
    }
    if (out.length > 0) this.store.set(KEY, this.stored);
    return out;
  }

  /** Called when the server (re)starts: pending values take effect. */
  applyPending(): void {
    this.applied = { ...this.wanted };
  }

  /** The port the server actually bound (0 in tests means "any free port"). */
  setBoundPort(port: number): void {
    this.applied.httpServerPort = port;
  }
}
