/**
 * The hub's database could not be reached, or the connection was lost during the request. A change is one
 * transaction: the server rolls back what a lost session left open, so it was applied whole or not at all (not
 * at all unless the connection was lost while its COMMIT was under way), and it may be tried again.
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the hub's database is unreachable: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

/** Socket errors of a connection that went away (or never came). */
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/**
 * Whether a pg error means the connection, not the statement, failed: SQLSTATE class 08 (connection exception) or
 * 57P (the server shutting down or starting up), a socket error, or pg's own "connection terminated" errors.
 */
export function isConnectionLoss(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || code.startsWith('57P') || SOCKET_ERRORS.has(code)) return true;
  }
  return /Connection terminated|connection timeout|Connection ended|not queryable/i.test(error.message);
}
