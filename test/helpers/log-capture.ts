import { pino, type Logger } from 'pino';
import { waitFor } from './wait.js';

export type LogLine = { level: number; msg?: string } & Record<string, unknown>;

/** pino's level numbers. */
export const LOG_LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/**
 * A logger for an in-process hub or room whose lines the test reads: every line kept as parsed JSON, and a wait
 * for the first line that matches (already written or still to come).
 */
export function captureLogger(level = 'debug'): {
  logger: Logger;
  lines: LogLine[];
  waitFor: (match: (line: LogLine) => boolean, what: string, timeoutMs?: number) => Promise<LogLine>;
} {
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  const logger = pino(
    { level },
    {
      write(text: string) {
        lines.push(JSON.parse(text) as LogLine);
        for (const wake of [...waiters]) wake();
      },
    },
  );
  return {
    logger,
    lines,
    waitFor: (match, what, timeoutMs = 20_000) =>
      waitFor(what, () => lines.find(match), { wake: waiters, timeoutMs }),
  };
}
