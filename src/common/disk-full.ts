/**
 * Whether an error says the disk (or the owner's quota) is full: ENOSPC/EDQUOT from the file system, or SQLite's
 * SQLITE_FULL (better-sqlite3's SqliteError carries the code). Such a failure is not a fault to retry at once:
 * it is answered clearly, and everything works again once space returns.
 */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
}

/** The words every part uses for it. */
export const DISK_FULL_MESSAGE = "the room's disk is full: free some space and try again";
