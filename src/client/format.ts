/**
 * Room API values as people read them: sizes and speeds, times, and the codes of the app state, file transfer
 * availability and login results. One module for the CLI, the web interface and SDK users; no I/O and nothing
 * Node-only, so the browser entry exports it too.
 *
 * Sizes are powers of 1024 and labelled so: B, KiB, MiB, GiB, TiB, PiB.
 */
import { LoginResult } from '../protocol/codes.js';

/**
 * How numbers and times are written.
 * - `plain`: the same on every machine, for terminals, logs and scripts: `683.6 KiB`, `2024-05-01 14:03:22`.
 * - `local`: as the reader's locale writes them, for pages: `684 KiB`, `1,5 KiB` in German, `14:03` for today.
 * - `{ locale }`: as `local`, in the locale named (BCP 47), e.g. `{ locale: 'de-DE' }`.
 */
export type FormatStyle = 'plain' | 'local' | { locale: string };

const SIZE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** The locale of a style: `null` for plain, `undefined` for the runtime's own. */
function localeOf(style: FormatStyle): string | undefined | null {
  if (style === 'plain') return null;
  return style === 'local' ? undefined : style.locale;
}

/** Plain sizes carry one decimal from KiB on; local ones one below 10 and none above (`1.5 KiB`, `20 MiB`). */
function decimalsFor(value: number, locale: string | undefined | null): number {
  return locale === null || value < 10 ? 1 : 0;
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** `512 B`, `1.5 KiB`, `2.4 MiB` (plain) or `1,5 KiB`, `20 MiB` (local); `?` (plain) or `—` for no size. */
export function formatSize(bytes: number, style: FormatStyle = 'plain'): string {
  const locale = localeOf(style);
  if (!Number.isFinite(bytes) || bytes < 0) return locale === null ? '?' : '—';
  if (bytes < 1024) return `${locale === null ? bytes : bytes.toLocaleString(locale)} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  // 1023.96 KiB would be written "1024.0 KiB": it is the next unit's 1.0.
  if (round(value, decimalsFor(value, locale)) >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const decimals = decimalsFor(value, locale);
  const number =
    locale === null
      ? value.toFixed(decimals)
      : value.toLocaleString(locale, { maximumFractionDigits: decimals });
  return `${number} ${SIZE_UNITS[unit]}`;
}

/** `5.2 MiB/s`: a size per second, in whole bytes. */
export function formatSpeed(bytesPerSecond: number, style: FormatStyle = 'plain'): string {
  return `${formatSize(Math.max(0, Math.round(bytesPerSecond)), style)}/s`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Date-time formats by locale and kind: building one is slow, and a page writes many times. */
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const DATE_FORMATS_KEPT = 16;

function dateFormat(locale: string | undefined, kind: 'time' | 'dateTime' | 'full'): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${kind}`;
  let format = dateFormats.get(key);
  if (!format) {
    const options: Intl.DateTimeFormatOptions =
      kind === 'time'
        ? { hour: 'numeric', minute: '2-digit' }
        : kind === 'dateTime'
          ? { dateStyle: 'medium', timeStyle: 'short' }
          : { dateStyle: 'full', timeStyle: 'medium' };
    format = new Intl.DateTimeFormat(locale, options);
    if (dateFormats.size >= DATE_FORMATS_KEPT) dateFormats.clear();
    dateFormats.set(key, format);
  }
  return format;
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/**
 * A timestamp (ms since the epoch) in local time. Plain: `2024-05-01 14:03:22` (`?` for no time). Local: a time
 * of day for today's, the date with it for older ones.
 */
export function formatTime(ms: number, style: FormatStyle = 'plain', now = Date.now()): string {
  const date = new Date(ms);
  const locale = localeOf(style);
  if (locale === null) {
    if (Number.isNaN(date.getTime())) return '?';
    return (
      `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
      `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
    );
  }
  return dateFormat(locale, sameDay(date, new Date(now)) ? 'time' : 'dateTime').format(date);
}

/** The same time in full, with the weekday and seconds: for a tooltip (always in a locale). */
export function formatFullTime(ms: number, style: Exclude<FormatStyle, 'plain'> = 'local'): string {
  return dateFormat(localeOf(style) ?? undefined, 'full').format(new Date(ms));
}

/** A sentence's words as a label: the first letter in upper case (`logged in` → `Logged in`). */
export function asLabel(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// The words below read inside a sentence (lower case, no full stop); asLabel makes a label of them.

/** getAppState's `appState` (room-api.md §4). */
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

/** File transfer availability (room-api.md §6): `available`, or why it is not. */
export function availabilityText(availability: number): string {
  return (
    ['not allowed for this account', 'not licensed', 'not logged in', 'available'][availability] ??
    `unknown availability ${availability}`
  );
}

/** The `login` event's result codes (room-api.md §4). */
export function loginResultText(result: number): string {
  switch (result) {
    case LoginResult.Ok:
      return 'logged in';
    case LoginResult.AlreadyLoggedIn:
      return 'already logged in';
    case LoginResult.NotFound:
      return 'no such account on the server';
    case LoginResult.WrongPassword:
      return 'wrong TrueConf ID or password';
    case LoginResult.Unreachable:
      return 'the server is busy or cannot be reached';
    case LoginResult.Locked:
      return 'the account is locked';
    default:
      return `login refused with code ${result}`;
  }
}
