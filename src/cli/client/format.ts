/** Human forms of what the Room API reports: sizes, times, statuses, tables. No I/O, no heavy imports. */

const SIZE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `512 B`, `2.4 MiB`, `1.0 GiB`: powers of 1024, one decimal from KiB on. */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${value} B`;
  // 1023.96 KiB would print as "1024.0 KiB": show it as the next unit instead.
  if (value >= 1023.95 && unit < SIZE_UNITS.length - 1) return `1.0 ${SIZE_UNITS[unit + 1]}`;
  return `${value.toFixed(1)} ${SIZE_UNITS[unit]}`;
}

/** `5.2 MiB/s`. */
export function formatSpeed(bytesPerSecond: number): string {
  return `${formatSize(Math.max(0, Math.round(bytesPerSecond)))}/s`;
}

/** `1h02m`, `3m05s`, `12s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A timestamp (ms since the epoch) in local time: `2024-05-01 14:03:22`. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '?';
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** The local time of day only: `14:03:22` (watch). */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The status of a file request in words (room-api.md §6): waiting, transferring, done, failed[: reason]. */
export function statusText(status: number, statusReason?: string, percent?: number): string {
  switch (status) {
    case 0:
      return statusReason ? `failed: ${statusReason}` : 'failed';
    case 1:
      return 'waiting';
    case 2:
      return percent === undefined ? 'transferring' : `transferring ${percent}%`;
    case 3:
      return 'done';
    default:
      return `status ${status}`;
  }
}

/** getAppState's appState in words (room-api.md §4). */
export function appStateText(appState: number): string {
  return (
    [
      'not connected to a server',
      'connecting to the server',
      'connected, not logged in',
      'logged in',
      'invited to a conference',
      'in a conference',
      'leaving a conference',
    ][appState] ?? `app state ${appState}`
  );
}

/** File transfer availability in words (room-api.md §6). */
export function availabilityText(availability: number): string {
  return (
    [
      'not allowed for this account by the server',
      'not licensed',
      'not available: not logged in',
      'available',
    ][availability] ?? `availability ${availability}`
  );
}

/** Result codes of the `login` event (room-api.md §4) in words. */
export function loginResultText(result: number): string {
  switch (result) {
    case 0:
      return 'logged in';
    case 1:
      return 'already logged in';
    case 2:
      return 'no such account on the server';
    case 3:
      return 'wrong login or password';
    case 7:
      return 'the server is busy or cannot be reached';
    case 10:
      return 'the account is locked';
    default:
      return `login result ${result}`;
  }
}

/** How many characters of a fileRequestId the tables show (the UUID's first group). */
export const SHORT_ID_LENGTH = 8;

export function shortId(id: string): string {
  return id.slice(0, SHORT_ID_LENGTH);
}

/** Who a request is with: `bob@files.local (Bob)`, `conference`, or `-`. */
export function peerText(item: { peerId?: string; peerDn?: string; confId?: string }): string {
  if (item.peerId) {
    return item.peerDn && item.peerDn !== item.peerId ? `${item.peerId} (${item.peerDn})` : item.peerId;
  }
  return item.confId ? 'conference' : '-';
}

export interface Column<T> {
  title: string;
  value: (row: T) => string;
  /** Numbers and sizes read better aligned to the right. */
  right?: boolean;
}

/** A plain-text table: a header line, then one line per row, columns separated by two spaces. */
export function table<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((row) => columns.map((column) => oneLine(column.value(row))));
  const widths = columns.map((column, i) =>
    Math.max(column.title.length, ...cells.map((line) => line[i].length)),
  );
  const render = (line: string[]) =>
    line
      .map((cell, i) => {
        const last = i === line.length - 1;
        if (columns[i].right) return cell.padStart(widths[i]);
        return last ? cell : cell.padEnd(widths[i]);
      })
      .join('  ')
      .trimEnd();
  return [render(columns.map((column) => column.title)), ...cells.map((line) => render(line))].join('\n');
}

/** Control characters (a file name could carry them) never reach the terminal. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- that is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
