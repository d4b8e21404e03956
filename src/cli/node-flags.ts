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
