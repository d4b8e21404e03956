import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths pino blanks wherever they appear: secrets never reach a log line (room-api.md §1, §3.2). */
const REDACT = [
  'token',
  'tokenForHttpServer',
  'credentials',
  'password',
  'pin',
  'session',
  '*.token',
  '*.tokenForHttpServer',
  '*.credentials',
  '*.password',
  '*.pin',
  '*.session',
  'req.headers.authorization',
];

/** Removes `token=` values from a URL before it is logged. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|session)=)[^&#]*/gi, '$1[redacted]');
}

/** Logs go to stderr: stdout is kept for what a command prints for people and scripts. */
export function createLogger(name: string, level = process.env.ROOMFILES_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: {
        req: (req: { method?: string; url?: string; ip?: string }) => ({
          method: req.method,
          url: req.url ? redactUrl(req.url) : undefined,
          ip: req.ip,
        }),
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
