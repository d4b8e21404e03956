/**
 * What the page shows and reads, in words: sizes, speeds and times in the viewer's locale, and the words for the
 * Room API's codes, all from the SDK's formatting module (shared with the CLI); here the page's own sentences for
 * why a request ended, and the forms of TrueConf IDs and conference names a person types.
 */
import {
  appStateText,
  asLabel,
  availabilityText,
  formatFullTime as fullTime,
  formatSize as size,
  formatSpeed as speed,
  formatTime as time,
  loginResultText,
} from '../client/browser.js';

export { asLabel, availabilityText };

export const formatSize = (bytes: number) => size(bytes, 'local');
export const formatSpeed = (bytesPerSecond: number) => speed(bytesPerSecond, 'local');
/** Today's times as a time of day, older ones with their date. */
export const formatTime = (timestamp: number) => time(timestamp, 'local');
/** The same time in full, for a tooltip and `<time dateTime>`. */
export const formatFullTime = (timestamp: number) => fullTime(timestamp, 'local');

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

export const loginResult = (result: number) => asLabel(loginResultText(result));
export const appStateName = (appState: number) => asLabel(appStateText(appState));
export const availabilityName = (availability: number) => asLabel(availabilityText(availability));

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
