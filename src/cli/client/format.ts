/**
 * Human forms of what the Room API reports, for a terminal: statuses, durations, tables. Sizes, speeds, times and
 * the words for the API's codes come from the SDK's formatting module (shared with the web), in its plain style.
 * No I/O, no heavy imports.
 */
import {
  availabilityText as sharedAvailabilityText,
  formatSize as size,
  formatSpeed as speed,
  formatTime as time,
  loginResultText as sharedLoginResultText,
} from '../../client/format.js';
import { Availability, Status } from '../../protocol/codes.js';

export { appStateText } from '../../client/format.js';

/** `512 B`, `2.4 MiB`, `1.0 GiB`: powers of 1024, one decimal from KiB on. */
export const formatSize = (bytes: number) => size(bytes, 'plain');
/** `5.2 MiB/s`. */
export const formatSpeed = (bytesPerSecond: number) => speed(bytesPerSecond, 'plain');
/** A timestamp (ms since the epoch) in local time: `2024-05-01 14:03:22`. */
export const formatTime = (ms: number) => time(ms, 'plain');

/** `1h02m`, `3m05s`, `12s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The local time of day only: `14:03:22` (watch). */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The status of a file request in words (room-api.md §6): waiting, transferring, done, failed[: reason]. */
export function statusText(status: number, statusReason?: string, percent?: number): string {
  switch (status) {
    case Status.Failed:
      return statusReason ? `failed: ${statusReason}` : 'failed';
    case Status.Waiting:
      return 'waiting';
    case Status.Transferring:
      return percent === undefined ? 'transferring' : `transferring ${percent}%`;
    case Status.Done:
      return 'done';
    default:
      return `status ${status}`;
  }
}

/** File transfer availability as the CLI says it: `available`, or `not available: <why>`. */
export function availabilityText(availability: number): string {
  const text = sharedAvailabilityText(availability);
  return availability === Availability.Available ? text : `not available: ${text}`;
}

/**
 * The `login` event's result in words. For 3 the CLI keeps the words its output has always had (its tests pin
 * them); the shared words ("wrong TrueConf ID or password") name the field the web interface asks for.
 */
export function loginResultText(result: number): string {
  return result === 3 ? 'wrong login or password' : sharedLoginResultText(result);
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
