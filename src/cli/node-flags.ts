/**
 * V8 flags the roomfiles processes run with. A relayed body passes through tens of thousands of short-lived
 * buffers per GiB; with V8's defaults their external memory pushed the small heap over its first limit again
 * and again (about 80 full collections per GiB in each process) and the young generation promoted buffers still
 * in flight. A larger young generation and a first old-space limit of 128 MiB let a transfer run without any
 * full collection; RSS growth during a 4 GiB transfer stays well under 64 MiB (bench row 8).
 *
 * The same flags are written where no import can reach: the shebang of `main.ts`, `npm start` and `npm run bench`
 * (its latency row runs a room in its own process); a test keeps them in step.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64', '--initial-old-space-size=128'];

/**
 * The environment the roomfiles processes start with, beside NODE_FLAGS and written in the same places. glibc's
 * malloc raises its mmap threshold past every large block given back (up to 32 MiB), after which such blocks come
 * from its arenas and stay resident: one scrypt check (16 MiB) made every later 256 KiB body piece and 64 KiB
 * socket chunk live in arenas that kept 30-60 MiB of freed memory for good. A fixed threshold of 1 MiB keeps the
 * small pieces in the arenas, gives blocks of 1 MiB and more back to the system when freed, and trims the arenas
 * (docs/security.md, "Memory"). Other C libraries ignore the variable; one set by the user is replaced.
 */
export const NODE_ENV_TUNABLES: Readonly<Record<string, string>> = {
  GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=1048576',
};

/** NODE_ENV_TUNABLES as `NAME=value` words, as the shebang and the npm scripts write them. */
export const NODE_ENV_WORDS: readonly string[] = Object.entries(NODE_ENV_TUNABLES).map(
  ([name, value]) => `${name}=${value}`,
);
