import { createHash } from 'node:crypto';
import { ApiError, ErrorCode } from '../protocol/errors.js';
import type { Clock } from '../common/clock.js';
import { randomToken, safeEqual } from '../common/secrets.js';
import { CredentialLimiter, type CredentialLimits } from './credential-limiter.js';

export type Role = 'admin' | 'user';

export type Protection =
  { kind: 'none' } | { kind: 'pin'; secret: string } | { kind: 'password'; secret: string };

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/**
 * Most live tokens of each kind kept at once: HTTP tokens of a PIN room never expire, so a client asking for them
 * in a loop would otherwise grow the room's memory without end. Past this, the oldest one is forgotten.
 */
export const MAX_LIVE_TOKENS = 100_000;

interface TokenRecord {
  role: Role;
  expiresAt: number;
}

export interface Grant {
  role: Role;
  token: string;
  tokenExpiresAt: number;
  tokenForHttpServer: string;
}

export interface AuthRequest {
  type?: 'unsecured' | 'secured';
  credentials?: string;
  role?: Role;
}

/** Tokens are looked up by their hash: neither a map lookup nor a log line ever handles the token itself. */
function keyOf(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64');
}

/**
 * Who may drive the room (room-api.md §3): the room's protection, the tokens it issued, and the limit on wrong
 * credentials (`credential-limiter.ts`: per source group and for the whole room).
 */
export class AuthManager {
  private readonly apiTokens = new Map<string, TokenRecord>();
  private readonly httpTokens = new Map<string, number>();
  private readonly limiter: CredentialLimiter;
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(
    readonly protection: Protection,
    private readonly clock: Clock,
    limits?: CredentialLimits,
  ) {
    this.limiter = new CredentialLimiter(clock, limits);
  }

  get protectedByPin(): boolean {
    return this.protection.kind === 'pin';
  }

  /** Re-auth tokens: 24 h after a PIN, 30 days after a password or on an unprotected room. */
  private apiTokenLifetime(): number {
    return this.protection.kind === 'pin' ? DAY : 30 * DAY;
  }

  authenticate(request: AuthRequest, address: string): Grant {
    const now = this.clock.now();
    const granted = this.check(request, now, address);
    if (granted === 'unsecured-refused') {
      throw new ApiError(
        ErrorCode.Unauthorized,
        `this room is protected by a ${this.protection.kind}: use type "secured" with credentials`,
        { resultCode: 3 },
      );
    }
    if (granted === null) {
      const what = this.protection.kind === 'password' ? 'wrong password' : 'wrong PIN';
      throw new ApiError(ErrorCode.Unauthorized, `${what} or token`, { resultCode: 3 });
    }
    if (request.role && request.role !== granted.role && request.role === 'admin') {
      throw new ApiError(ErrorCode.Unauthorized, 'these credentials do not grant the admin role', {
        resultCode: 3,
      });
    }
    const role = request.role ?? granted.role;
    const token = granted.token ?? this.issueApiToken(role, now);
    const tokenExpiresAt = granted.token ? granted.expiresAt : now + this.apiTokenLifetime();
    return { role, token, tokenExpiresAt, tokenForHttpServer: this.issueHttpToken() };
  }

  /**
   * New tokens for an already authorized connection that changes role without credentials
   * (`{"method":"auth","role":"user"}`); the lifetime stays that of its original grant.
   */
  reissue(role: Role, expiresAt: number): Grant {
    const token = randomToken();
    remember(this.apiTokens, keyOf(token), { role, expiresAt });
    return { role, token, tokenExpiresAt: expiresAt, tokenForHttpServer: this.issueHttpToken() };
  }

  /**
   * A re-auth token is checked first and never limited (256 random bits: guessing is hopeless, and a client
   * reconnecting with its token must get in during an attack). A PIN or password is compared only when the
   * credential limiter admits the source (429 otherwise); the outcome feeds it.
   */
  private check(
    request: AuthRequest,
    now: number,
    address: string,
  ): { role: Role; token?: string; expiresAt: number } | null | 'unsecured-refused' {
    const secured =
      request.type === 'secured' || (request.type === undefined && request.credentials !== undefined);
    if (!secured) {
      return this.protection.kind === 'none' ? { role: 'admin', expiresAt: 0 } : 'unsecured-refused';
    }
    const credentials = request.credentials ?? '';
    const fromToken = this.apiTokens.get(keyOf(credentials));
    if (fromToken && fromToken.expiresAt > now) {
      return { role: fromToken.role, token: credentials, expiresAt: fromToken.expiresAt };
    }
    if (this.protection.kind === 'none') return { role: 'admin', expiresAt: 0 };
    const waitMs = this.limiter.admit(address);
    if (waitMs > 0) {
      throw new ApiError(
        ErrorCode.TooManyRequests,
        `too many failed attempts; try again in ${Math.ceil(waitMs / 1000)} s`,
        { resultCode: 3 },
      );
    }
    if (safeEqual(credentials, this.protection.secret)) {
      this.limiter.succeeded(address);
      return { role: 'admin', expiresAt: 0 };
    }
    this.limiter.failed(address);
    return null;
  }

  private issueApiToken(role: Role, now: number): string {
    const token = randomToken();
    remember(this.apiTokens, keyOf(token), { role, expiresAt: now + this.apiTokenLifetime() });
    return token;
  }

  /** HTTP tokens live 5 minutes, or until restart on a PIN-protected room (room-api.md §3.3). */
  issueHttpToken(): string {
    const token = randomToken();
    const expiresAt = this.protectedByPin ? Number.POSITIVE_INFINITY : this.clock.now() + 5 * MINUTE;
    remember(this.httpTokens, keyOf(token), expiresAt);
    this.sweep();
    return token;
  }

  checkHttpToken(token: string | undefined): boolean {
    if (!token) return false;
    const expiresAt = this.httpTokens.get(keyOf(token));
    return expiresAt !== undefined && expiresAt > this.clock.now();
  }

  isApiTokenValid(token: string): boolean {
    const record = this.apiTokens.get(keyOf(token));
    return record !== undefined && record.expiresAt > this.clock.now();
  }

  clearTokens(): void {
    this.apiTokens.clear();
    this.httpTokens.clear();
  }

  /**
   * Forgets expired tokens and stale failure records so that a long-running room does not accumulate them. At
   * most once a minute: a walk over every token on every issue would make issuing cost grow with their number.
   */
  private sweep(): void {
    const now = this.clock.now();
    if (now - this.lastSweep < MINUTE) return;
    this.lastSweep = now;
    for (const [key, expiresAt] of this.httpTokens) if (expiresAt <= now) this.httpTokens.delete(key);
    for (const [key, record] of this.apiTokens) if (record.expiresAt <= now) this.apiTokens.delete(key);
  }

  /** How many tokens the room holds (HTTP, re-auth): for tests of the bounds. */
  get liveTokenCounts(): { http: number; api: number } {
    return { http: this.httpTokens.size, api: this.apiTokens.size };
  }
}

/** Adds to a token map (insertion order = age) and forgets the oldest entry beyond MAX_LIVE_TOKENS. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.set(key, value);
  if (map.size > MAX_LIVE_TOKENS) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}
