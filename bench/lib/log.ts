const started = performance.now();

/** A progress line on stderr, stamped with the seconds since the run began (the table goes to stdout). */
export function log(message: string): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${seconds} s] ${message}\n`);
}

/** A figure for a progress line. */
export function fmt(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '—' : n >= 100 ? n.toFixed(0) : n.toFixed(2);
}
