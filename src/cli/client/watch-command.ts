import { Command } from 'commander';
import type { EventMessage } from '../../client/index.js';
import { collect } from '../parse.js';
import { openRoom, withConnectionOptions, type ConnectionFlags } from './connection.js';
import {
  appStateText,
  availabilityText,
  formatClock,
  formatSize,
  formatSpeed,
  loginResultText,
  oneLine,
  shortId,
  statusText,
} from './format.js';
import { Printer } from './output.js';
import { Direction, Status } from '../../protocol/codes.js';

type Fields = Record<string, unknown>;

const str = (value: unknown) => oneLine(String(value ?? ''));
const size = (value: unknown) => formatSize(Number(value ?? 0));
const id = (fields: Fields) => `[${shortId(String(fields.fileRequestId ?? ''))}]`;
/** `bob@files.local`, `the conference` or `?`: who a request is with. */
const peer = (fields: Fields) =>
  fields.peerId ? str(fields.peerId) : fields.confId ? 'the conference' : 'the recipient';
const inConference = (fields: Fields) => (fields.confId ? ' in the conference' : '');

function progress(fields: Fields): string {
  const parts = [`${fields.processedPercents}%`];
  if (typeof fields.processedSize === 'number') {
    parts.push(`${formatSize(fields.processedSize)} of ${size(fields.fileSize)}`);
  }
  if (typeof fields.speed === 'number' && fields.speed > 0) parts.push(formatSpeed(fields.speed));
  return parts.join(', ');
}

/** One event of the room as one line a person reads. */
export function describeEvent(event: EventMessage): string {
  const f = event as unknown as Fields;
  const name = str(f.fileName);
  switch (event.event) {
    case 'receivedFileRequest':
      return `${id(f)} ${str(f.peerId)} offers ${name} (${size(f.fileSize)})${inConference(f)}`;
    case 'incomingFileRequestAccepted':
      return `${id(f)} accepted ${name} from ${str(f.peerId)}`;
    case 'incomingFileRequestRejected':
      return `${id(f)} rejected ${name} from ${str(f.peerId)}`;
    case 'incomingFileRequestDownloadingProgress':
      return `${id(f)} receiving ${name} from ${str(f.peerId)}: ${progress(f)}`;
    case 'outgoingFileRequestSent':
      return `${id(f)} offered ${name} (${size(f.fileSize)}) to ${str(f.peerId)}`;
    case 'outgoingFileRequestSentToConference':
      return `${id(f)} offered ${name} (${size(f.fileSize)}) to the conference`;
    case 'outgoingFileRequestUploadingProgress':
      return `${id(f)} sending ${name} to ${peer(f)}: ${progress(f)}`;
    case 'fileRequestStatusChanged': {
      const direction = f.directionType === Direction.Incoming ? `from ${peer(f)}` : `to ${peer(f)}`;
      const status = statusText(Number(f.status), f.statusReason as string | undefined);
      const file = Number(f.status) === Status.Done && f.fileId !== undefined ? ` (file ${f.fileId})` : '';
      return `${id(f)} ${name} ${direction}: ${status}${file}`;
    }
    case 'fileDeletedFromFileTransferHistory':
      return `deleted ${name} (file ${f.fileId}) from the history${f.removedFromDisk ? ' and the disk' : ''}`;
    case 'fileTransferHistoryCleared':
      return `the transfer history was cleared${f.removedFromDisk ? ', with its files' : ''}`;
    case 'fileTransferAvailabilityChanged':
      return `file transfer ${availabilityText(Number(f.availability))}`;
    case 'appStateChanged':
      return `app state: ${appStateText(Number(f.appState))}`;
    case 'serverConnected':
      return `connected to the server ${str(f.server)}:${f.port} (domain ${str(f.domain)})`;
    case 'serverDisconnected':
      return `disconnected from the server ${str(f.server)}:${f.port}`;
    case 'login':
      return Number(f.result) === 0
        ? `logged in as ${str(f.peerId)}${f.peerDn ? ` (${str(f.peerDn)})` : ''}`
        : `login: ${loginResultText(Number(f.result))}`;
    case 'logout':
      return Number(f.cause) === 1 ? 'logged out by the server' : 'logged out';
    case 'authorizationNeeded':
      return `the room asks this client to authorize again (cause ${f.cause})`;
    case 'httpServerStateChanged':
      return `the built-in HTTP server is ${str(f.state)}`;
    case 'httpServerSettingChanged':
      return `HTTP server setting ${str(f.name)} = ${str(f.value)}${
        f.httpServerRestartNeededForApplying ? ' (after a restart)' : ''
      }`;
    case 'conferenceCreated':
      return `in the conference "${str(f.confTitle)}" (${str(f.confId)}), owner ${str(f.conferenceOwner)}`;
    case 'conferenceDeleted':
      return `left the conference ${str(f.confId)}`;
    case 'inviteReceived':
      return `${str(f.peerId)} invites this room to "${str(f.confTitle)}" (roomfiles conference accept)`;
    case 'rejectReceived':
      return Number(f.cause) === 19
        ? `no such conference ${str(f.peerId)}`
        : `${str(f.peerId) || 'the peer'} declined the invitation`;
    case 'rejectSent':
      return `declined the invitation of ${str(f.peerId)}`;
    case 'newParticipantInConference':
      return `${str(f.peerId)} joined the conference`;
    case 'participantLeftConference':
      return `${str(f.peerId)} left the conference`;
    default: {
      // An event this SDK does not know yet (a newer room): its name and fields as they came.
      const rest: Fields = { ...f };
      delete rest.method;
      delete rest.event;
      return `${str(f.event)} ${oneLine(JSON.stringify(rest))}`;
    }
  }
}

export function watchCommand(): Command {
  return withConnectionOptions(
    new Command('watch')
      .description("print the room's events as they come, one line each, until Ctrl-C")
      .option('--event <name>', 'only this event (repeatable), e.g. fileRequestStatusChanged', collect),
  )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  roomfiles watch\n' +
        '  roomfiles watch --json | jq -c "select(.event == \\"receivedFileRequest\\")"\n' +
        '  roomfiles watch --event receivedFileRequest --event fileRequestStatusChanged',
    )
    .action(async (flags: ConnectionFlags & { event?: string[] }) => {
      const printer = new Printer(Boolean(flags.json));
      const client = await openRoom(flags, { reconnect: true });
      const only = flags.event ? new Set(flags.event) : null;
      client.onAny((event) => {
        if (only && !only.has(event.event)) return;
        printer.record(event);
        printer.line(`${formatClock(Date.now())} ${describeEvent(event)}`);
      });
      client.onConnectionState((state) => {
        if (state === 'reconnecting')
          printer.note('roomfiles: lost the connection to the room; reconnecting');
        if (state === 'connected') printer.note('roomfiles: connected to the room again');
      });
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          client.close();
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        // Listening from here on: a script may start what it wants to watch once it reads this.
        printer.note(`roomfiles: watching the room at ${client.host}:${client.apiPort}; Ctrl-C stops`);
      });
    });
}
