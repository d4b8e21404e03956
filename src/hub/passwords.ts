import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { scryptThread } from './scrypt-thread.js';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCallback(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))),
  );

const PARAMS = { N: 16384, r: 8, p: 1 };
const KEY_LENGTH = 32;

/**
 * `scrypt$N$r$p$salt$hash`: the parameters travel with the hash so they can be raised later. Hashed on libuv's
 * pool (the one-shot `hub user` commands); `onThread` hashes on the hub's scrypt thread (src/hub/scrypt-thread.ts).
 */
export async function hashPassword(password: string, { onThread = false } = {}): Promise<string> {
  const salt = randomBytes(16);
  const derive = onThread ? scryptThread.derive.bind(scryptThread) : scrypt;
  const key = await derive(password, salt, KEY_LENGTH, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Checked on the hub's scrypt thread: a login flood leaves no memory behind (src/hub/scrypt-thread.ts). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scryptThread.derive(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash of a random password: verifying against it costs the same as against a real one. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'), { onThread: true });
  return dummyHash;
}
