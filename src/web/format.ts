/** Sizes, speeds, times and reasons, as a person reads them (in the viewer's locale). */

const UNITS = ['KB', 'MB', 'GB', 'TB'];

function number(value: number, fractionDigits: number): string {
  return value.toLocaleString(undefined, { maximumFractionDigits: fractionDigits });
}

/** 0 bytes, 512 bytes, 1.5 KB, 20 MB, 4 GB: powers of 1024, one decimal below 10, none above. */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1024) return `${number(bytes, 0)} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${number(value, value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

export function formatSpeed(bytesPerSecond: number): string {
  return `${formatSize(Math.max(0, Math.round(bytesPerSecond)))}/s`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });

/** Today's times as a time of day, older ones with their date. */
export function formatTime(timestamp: number, now = Date.now()): string {
  const date = new Date(timestamp);
  const today = new Date(now);
  const sameDay =
    date.getFullYear() === today.getFullYear() &&
    date.getMonth() === today.getMonth() &&
    date.getDate() === today.getDate();
  return sameDay ? timeFormat.format(date) : dateTimeFormat.format(date);
}

/** The same time in full, for a tooltip and `<time dateTime>`. */
export function formatFullTime(timestamp: number): string {
  return fullFormat.format(new Date(timestamp));
}

export function isoTime(timestamp: number): string {
  return new Date(timestamp).toISOString();
}

/** The badge of a request that ended in status 0, incoming or outgoing. */
export function endedLabel(reason: string | undefined): string {
  switch (reason) {
    case 'rejected':
      return 'Rejected';
    case 'expired':
      return 'Expired';
    case 'cancelled':
      return 'Cancelled';
    default:
      return 'Failed';
  }
}

/** Why an outgoing request ended in status 0, in words. */
export function outgoingFailure(reason: string | undefined, peer: string | undefined): string {
  switch (reason) {
    case 'rejected':
      return peer ? `${peer} rejected the file` : 'The recipient rejected the file';
    case 'expired':
      return peer
        ? `The offer expired before ${peer} accepted it`
        : 'The offer expired before it was accepted';
    case 'cancelled':
      return 'The transfer was cancelled';
    case 'failed':
      return 'The transfer failed: the file did not reach the server';
    default:
      return 'The transfer did not complete';
  }
}

/** Why an incoming request ended in status 0, in words. */
export function incomingFailure(reason: string | undefined): string {
  switch (reason) {
    case 'expired':
      return 'The offer expired';
    case 'cancelled':
      return 'Accepted on another room signed in to the same account';
    case 'rejected':
      return 'You rejected the file';
    case 'failed':
      return 'The transfer failed: the file did not arrive intact or could not be stored';
    default:
      return 'The transfer did not complete';
  }
}

/** The `login` event's result codes (room-api.md §4). */
export function loginResult(result: number): string {
  switch (result) {
    case 0:
      return 'Logged in';
    case 1:
      return 'Already logged in';
    case 2:
      return 'There is no account with that TrueConf ID on this server';
    case 3:
      return 'Wrong TrueConf ID or password';
    case 7:
      return 'The server is busy or cannot be reached';
    case 10:
      return 'This account is locked';
    default:
      return `Login failed (code ${result})`;
  }
}

export function appStateName(appState: number): string {
  return (
    [
      'Not connected to a server',
      'Connecting to the server',
      'Login required',
      'Logged in',
      'Invited to a conference',
      'In a conference',
      'Leaving a conference',
    ][appState] ?? `State ${appState}`
  );
}

export function availabilityName(availability: number): string {
  switch (availability) {
    case 3:
      return 'Available';
    case 2:
      return 'Not logged in';
    case 0:
      return 'Forbidden for this account';
    case 1:
      return 'Not licensed';
    default:
      return 'Unknown';
  }
}

/** `rejectReceived` causes (room-api.md §5). */
export function rejectCause(cause: number, who: string | undefined): string {
  if (cause === 19) return 'There is no such conference on the server';
  if (cause === 0) return who ? `${who} declined the invitation` : 'The invitation was declined';
  return who ? `${who} could not join (cause ${cause})` : `The call was refused (cause ${cause})`;
}

/** A TrueConf ID typed by a person: trimmed; a bare name gets the server's domain. */
export function normalizePeer(input: string, domain: string | undefined): string {
  const value = input.trim();
  if (!value || value.includes('@') || !domain) return value;
  return `${value}@${domain}`;
}

/** A conference to join: `\c\demo`, `c\demo` or just `demo`. */
export function conferenceCallString(input: string): string {
  const value = input.trim();
  if (value.startsWith('\\c\\')) return value;
  if (value.startsWith('c\\')) return `\\${value}`;
  return `\\c\\${value}`;
}

/** A list of TrueConf IDs typed with commas, semicolons, spaces or new lines between them. */
export function splitPeers(input: string, domain: string | undefined): string[] {
  const seen = new Set<string>();
  for (const part of input.split(/[\s,;]+/)) {
    const peer = normalizePeer(part, domain);
    if (peer) seen.add(peer);
  }
  return [...seen];
}

/** The user part of an InstanceId or PeerId with its domain: `bob@files.local/1a2b3c4d` → `bob@files.local`. */
export function peerOfInstance(instanceId: string): string {
  const slash = instanceId.indexOf('/');
  return slash === -1 ? instanceId : instanceId.slice(0, slash);
}
