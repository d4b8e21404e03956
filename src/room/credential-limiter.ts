import ipaddr from 'ipaddr.js';
import type { Clock } from '../common/clock.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * How hard wrong PINs and passwords are made (docs/security.md, "PIN and token brute force"). The global figures
 * are what bounds an attacker with any number of addresses: once `globalFreeFailures` failures have come within
 * `globalWindowMs`, the room checks at most one credential every `globalSpacingMs`, from anyone. With 20 s, a
 * 4-digit PIN (5,000 guesses on average) takes 5,000 × 20 s ≈ 28 h on average, more than a day.
 */
export interface CredentialLimits {
  /** Failures of a group that cost nothing (typos); each one after delays the group's next attempt. */
  groupFreeFailures: number;
  /** Delay after a group's first failure beyond the free ones; doubles with each further one. */
  groupBaseDelayMs: number;
  /** The most a group ever waits between two attempts. */
  groupMaxDelayMs: number;
  /** A group with no failure for this long starts again from no delay. */
  groupForgetMs: number;
  /** Groups remembered at once; beyond, the one quiet longest is forgotten (the global gate still holds). */
  maxGroups: number;
  globalFreeFailures: number;
  globalWindowMs: number;
  globalSpacingMs: number;
}

export const DEFAULT_CREDENTIAL_LIMITS: CredentialLimits = {
  groupFreeFailures: 4,
  groupBaseDelayMs: 1 * SECOND,
  groupMaxDelayMs: 60 * SECOND,
  groupForgetMs: 10 * MINUTE,
  maxGroups: 10_000,
  globalFreeFailures: 10,
  globalWindowMs: 10 * MINUTE,
  globalSpacingMs: 20 * SECOND,
};

/**
 * The source group an address belongs to: its IPv4 /24, its IPv6 /64, or "loopback" for every loopback address
 * (127.0.0.0/8 and ::1 are one machine: rotating through them gains nothing). IPv4-mapped IPv6 counts as IPv4.
 */
export function sourceGroup(address: string): string {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return `other:${address}`;
  }
  if (parsed.range() === 'loopback') return 'loopback';
  if (parsed.kind() === 'ipv4') return `${(parsed as ipaddr.IPv4).octets.slice(0, 3).join('.')}.0/24`;
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${parts.join(':')}::/64`;
}

interface GroupRecord {
  failures: number;
  lastFailureAt: number;
  nextAttemptAt: number;
}

/**
 * Counts failed credential checks per source group and for the whole room, and says when the next check may
 * run. Memory is bounded (`maxGroups` records and `globalFreeFailures` timestamps); time comes from the room's
 * clock so tests can cross hours at once.
 */
export class CredentialLimiter {
  /** Insertion order = the order of the last failure: the first entry is the one quiet longest. */
  private readonly groups = new Map<string, GroupRecord>();
  /** The times of the last `globalFreeFailures` failures, oldest first. */
  private readonly recentFailures: number[] = [];
  private nextGlobalAt = 0;

  constructor(
    private readonly clock: Clock,
    private readonly limits: CredentialLimits = DEFAULT_CREDENTIAL_LIMITS,
  ) {}

  /**
   * Whether a credential check from `address` may run now: 0 when it may (and, while the room is under attack,
   * it takes the room's next slot), else the milliseconds to wait.
   */
  admit(address: string): number {
    const now = this.clock.now();
    const group = this.liveGroup(sourceGroup(address), now);
    if (group && group.nextAttemptAt > now) return group.nextAttemptAt - now;
    if (this.underAttack(now)) {
      if (this.nextGlobalAt > now) return this.nextGlobalAt - now;
      this.nextGlobalAt = now + this.limits.globalSpacingMs;
    }
    return 0;
  }

  failed(address: string): void {
    const now = this.clock.now();
    const key = sourceGroup(address);
    const previous = this.liveGroup(key, now);
    const failures = (previous?.failures ?? 0) + 1;
    const beyondFree = failures - this.limits.groupFreeFailures;
    const delay =
      beyondFree <= 0
        ? 0
        : Math.min(
            this.limits.groupMaxDelayMs,
            this.limits.groupBaseDelayMs * 2 ** Math.min(beyondFree - 1, 30),
          );
    this.groups.delete(key);
    this.groups.set(key, { failures, lastFailureAt: now, nextAttemptAt: now + delay });
    while (this.groups.size > this.limits.maxGroups) this.groups.delete(this.groups.keys().next().value!);
    this.recentFailures.push(now);
    if (this.recentFailures.length > this.limits.globalFreeFailures) this.recentFailures.shift();
  }

  succeeded(address: string): void {
    this.groups.delete(sourceGroup(address));
  }

  /** Groups remembered now (for tests of the bound). */
  get groupCount(): number {
    return this.groups.size;
  }

  private liveGroup(key: string, now: number): GroupRecord | undefined {
    const group = this.groups.get(key);
    if (group && group.lastFailureAt <= now - this.limits.groupForgetMs) {
      this.groups.delete(key);
      return undefined;
    }
    return group;
  }

  /** `globalFreeFailures` failures within the window: every check waits its turn. */
  private underAttack(now: number): boolean {
    return (
      this.recentFailures.length >= this.limits.globalFreeFailures &&
      this.recentFailures[0] > now - this.limits.globalWindowMs
    );
  }
}
