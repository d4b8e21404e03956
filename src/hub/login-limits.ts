import type { Clock } from '../common/clock.js';
import { sourceGroup } from '../common/source-group.js';

/**
 * Where the login limiter keeps its failure counts. In memory for one hub process (the default); a store shared
 * by several hub processes (PostgreSQL) implements the same three calls so that an attacker cannot multiply the
 * limits by the number of processes.
 */
export interface LoginAttemptStore {
  /** Failures recorded under `key` at or after `since`. */
  count(key: string, since: number): Promise<number>;
  /** Records one failure under `key` at `at`. */
  record(key: string, at: number): Promise<void>;
  /** Forgets the failures under `key` (a successful login clears its name's). */
  clear(key: string): Promise<void>;
}

/** The failure counts in this process: bounded in keys and in timestamps per key, so a flood cannot grow them. */
export class MemoryLoginAttempts implements LoginAttemptStore {
  private readonly failures = new Map<string, number[]>();

  constructor(
    /** Timestamps kept per key: no limit counts further than this. */
    private readonly perKey: number,
    /** Keys kept: the oldest is forgotten beyond this (many names or groups only dilute what is remembered). */
    private readonly maxKeys = 100_000,
  ) {}

  async count(key: string, since: number): Promise<number> {
    const times = this.failures.get(key);
    if (!times) return 0;
    const recent = times.filter((at) => at >= since);
    if (recent.length === 0) this.failures.delete(key);
    else if (recent.length !== times.length) this.failures.set(key, recent);
    return recent.length;
  }

  async record(key: string, at: number): Promise<void> {
    const times = this.failures.get(key) ?? [];
    times.push(at);
    if (times.length > this.perKey) times.splice(0, times.length - this.perKey);
    // Re-inserted, so the Map's order is least recently failed first: that one goes when there are too many.
    this.failures.delete(key);
    this.failures.set(key, times);
    if (this.failures.size > this.maxKeys) this.failures.delete(this.failures.keys().next().value!);
  }

  async clear(key: string): Promise<void> {
    this.failures.delete(key);
  }

  get size(): number {
    return this.failures.size;
  }
}

export interface LoginLimitSettings {
  /** How long a failure counts (`roomfiles hub --login-lock-window`, default 10 minutes). */
  windowMs: number;
  /** Failures per account name (existing or not) in the window before its logins are refused. */
  perName: number;
  /** Failures per source group (IPv4 /24, IPv6 /64, loopback) in the window before its logins are refused. */
  perGroup: number;
  /**
   * Failures in the whole hub in the window beyond which every group that failed at all in the window is refused
   * (a distributed attack), while groups with a clean record still log in.
   */
  global: number;
  /** Password verifications (scrypt) running at once: the rest of the hub keeps its CPU and libuv threads. */
  concurrentVerifications: number;
  /** Verifications waiting for their turn, in all; beyond it a login is refused at once, costing nothing. */
  queuedVerifications: number;
  /** Verifications running or waiting per source group: one group cannot fill the queue. */
  perGroupInFlight: number;
}

export const DEFAULT_LOGIN_LOCK_WINDOW_MS = 10 * 60_000;

export const defaultLoginLimits = (windowMs = DEFAULT_LOGIN_LOCK_WINDOW_MS): LoginLimitSettings => ({
  windowMs,
  perName: 10,
  perGroup: 20,
  global: 200,
  concurrentVerifications: 2,
  queuedVerifications: 32,
  perGroupInFlight: 4,
});

/** A login refused by the limits, before any password was looked at. */
export class LoginRefused extends Error {
  constructor(
    message: string,
    /** When a new attempt may succeed (ms since the epoch, by the hub's clock). */
    readonly retryAt: number,
  ) {
    super(message);
  }
}

const nameKey = (name: string) => `name:${name}`;
const groupKey = (group: string) => `group:${group}`;
const GLOBAL = 'global';

/**
 * The hub's brute-force limits on logins (docs/security.md, "Logins"): failures counted per account name (whether
 * the account exists or not), per source group and for the whole hub, within a window; and a gate that lets a
 * bounded number of scrypt verifications run at once, with a bounded queue. Refusals cost no scrypt.
 */
export class LoginLimiter {
  /** Verifications started (scrypt runs), and the most that ran at once: what the flood tests read. */
  verifications = 0;
  maxInFlight = 0;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly inFlightByGroup = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    readonly settings: LoginLimitSettings = defaultLoginLimits(),
    private readonly store: LoginAttemptStore = new MemoryLoginAttempts(
      Math.max(settings.perName, settings.perGroup, settings.global),
    ),
  ) {}

  /**
   * Runs `verify` (the password check) for a login of `name` from `address` if the limits allow it, and counts its
   * outcome: `verify` resolves to true when the password was right. Throws LoginRefused without running it when a
   * limit is reached or the verification queue is full.
   */
  async attempt<T>(
    address: string,
    name: string,
    verify: () => Promise<T>,
    succeeded: (value: T) => boolean,
  ) {
    const group = sourceGroup(address);
    await this.admit(group, name);
    const inFlight = this.inFlightByGroup.get(group) ?? 0;
    if (inFlight >= this.settings.perGroupInFlight) {
      throw new LoginRefused('too many logins under way from this network', this.clock.now() + 1000);
    }
    if (
      this.running >= this.settings.concurrentVerifications &&
      this.waiting.length >= this.settings.queuedVerifications
    ) {
      throw new LoginRefused('too many logins under way on this hub', this.clock.now() + 1000);
    }
    this.inFlightByGroup.set(group, inFlight + 1);
    try {
      await this.turn();
      let value: T;
      try {
        this.verifications += 1;
        value = await verify();
      } finally {
        this.release();
      }
      if (succeeded(value)) await this.store.clear(nameKey(name));
      else await this.failed(group, name);
      return value;
    } finally {
      const left = (this.inFlightByGroup.get(group) ?? 1) - 1;
      if (left <= 0) this.inFlightByGroup.delete(group);
      else this.inFlightByGroup.set(group, left);
    }
  }

  /** Throws LoginRefused when the name, the group or the hub as a whole has failed too often in the window. */
  private async admit(group: string, name: string): Promise<void> {
    const { windowMs, perName, perGroup, global } = this.settings;
    const now = this.clock.now();
    const since = now - windowMs;
    const retryAt = now + windowMs;
    if ((await this.store.count(nameKey(name), since)) >= perName) {
      throw new LoginRefused(`too many failed logins for ${name}: try again later`, retryAt);
    }
    const groupFailures = await this.store.count(groupKey(group), since);
    if (groupFailures >= perGroup) {
      throw new LoginRefused('too many failed logins from this network: try again later', retryAt);
    }
    if (groupFailures > 0 && (await this.store.count(GLOBAL, since)) >= global) {
      throw new LoginRefused('too many failed logins on this hub: try again later', retryAt);
    }
  }

  private async failed(group: string, name: string): Promise<void> {
    const now = this.clock.now();
    await this.store.record(nameKey(name), now);
    await this.store.record(groupKey(group), now);
    await this.store.record(GLOBAL, now);
  }

  private turn(): Promise<void> {
    if (this.running < this.settings.concurrentVerifications) {
      this.started();
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.started();
        resolve();
      }),
    );
  }

  private started(): void {
    this.running += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.running);
  }

  private release(): void {
    this.running -= 1;
    this.waiting.shift()?.();
  }
}
