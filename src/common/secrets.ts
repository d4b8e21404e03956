import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';

/** 256 random bits, URL-safe: tokens are unguessable (room-api.md §3.3). */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Compares secrets in constant time. Both sides are hashed first so that the comparison does not leak the
 * length of the expected secret either.
 */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
