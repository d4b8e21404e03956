import { Command } from 'commander';
import type { RoomClient } from '../../client/index.js';
import { Failure, outcome, withConnectionOptions, withRoom, type ConnectionFlags } from './connection.js';
import { downloadFile, type DownloadFlags } from './file-commands.js';
import { formatSize, formatTime, oneLine, peerText, shortId, statusText, table } from './format.js';
import { findById } from './ids.js';
import { Printer, progressBoard } from './output.js';
import { Status } from '../../protocol/codes.js';

type Incoming = Awaited<ReturnType<RoomClient['getIncomingFilesRequests']>>['incomingFilesRequests'][number];
type Outgoing = Awaited<ReturnType<RoomClient['getOutgoingFilesRequests']>>['outgoingFilesRequests'][number];

/** How many requests of a list are looked up for their percentage or reason (one getFileRequestInfo each). */
const DETAILS_LIMIT = 200;

interface Details {
  percent?: number;
  reason?: string;
}

/**
 * What the lists do not carry and getFileRequestInfo does: the percentage of a running request, the
 * statusReason [ext] of a failed one ("failed: rejected").
 */
async function details(client: RoomClient, items: { fileRequestId: string; status: number }[]) {
  const wanted = items
    .filter((item) => item.status === Status.Transferring || item.status === Status.Failed)
    .slice(0, DETAILS_LIMIT);
  const infos = await Promise.all(
    wanted.map((item) => client.getFileRequestInfo({ fileRequestId: item.fileRequestId }).catch(() => null)),
  );
  const found = new Map<string, Details>();
  for (const info of infos) {
    if (!info) continue;
    const reason = (info as { statusReason?: unknown }).statusReason;
    found.set(info.fileRequestId, {
      percent: info.processedPercents,
      reason: typeof reason === 'string' ? reason : undefined,
    });
  }
  return (item: { fileRequestId: string; status: number }) => {
    const known = found.get(item.fileRequestId);
    return statusText(
      item.status,
      known?.reason,
      item.status === Status.Transferring ? known?.percent : undefined,
    );
  };
}

export function inboxCommand(): Command {
  return withConnectionOptions(
    new Command('inbox')
      .description('list files offered to this room: waiting, transferring, done or failed, newest first')
      .option('--waiting', 'only the offers waiting for a decision'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  roomfiles inbox\n  roomfiles inbox --waiting --json | jq -r ".[].fileRequestId"\n' +
        '  roomfiles accept 3f2a      # the ID column is enough when no other id starts so',
    )
    .action(async (flags: ConnectionFlags & { waiting?: boolean }) => {
      const printer = new Printer(Boolean(flags.json));
      await withRoom(flags, async (client) => {
        let items = (await client.getIncomingFilesRequests()).incomingFilesRequests;
        if (flags.waiting) items = items.filter((item) => item.status === Status.Waiting);
        printer.document(items);
        if (items.length === 0) {
          return printer.line(flags.waiting ? 'no offers waiting' : 'no incoming files');
        }
        const status = await details(client, items);
        printer.block(
          table(items, [
            { title: 'ID', value: (i) => shortId(i.fileRequestId) },
            { title: 'FROM', value: (i) => peerText(i) + (i.confId ? ' in conference' : '') },
            { title: 'SIZE', value: (i) => formatSize(i.size), right: true },
            {
              title: 'STATUS',
              value: (i) => status(i),
            },
            { title: 'TIME', value: (i) => formatTime(i.timestamp) },
            { title: 'FILE', value: (i) => i.fileName },
          ]),
        );
      });
    });
}

export function outboxCommand(): Command {
  return withConnectionOptions(
    new Command('outbox').description(
      'list files this room offered to others, with their status, newest first',
    ),
  )
    .addHelpText('after', '\nExamples:\n  roomfiles outbox\n  roomfiles outbox --json')
    .action(async (flags: ConnectionFlags) => {
      const printer = new Printer(Boolean(flags.json));
      await withRoom(flags, async (client) => {
        const items = (await client.getOutgoingFilesRequests()).outgoingFilesRequests;
        printer.document(items);
        if (items.length === 0) return printer.line('no outgoing files');
        const status = await details(client, items);
        printer.block(
          table(items, [
            { title: 'ID', value: (o: Outgoing) => shortId(o.fileRequestId) },
            { title: 'TO', value: (o) => peerText(o) },
            { title: 'SIZE', value: (o) => formatSize(o.size), right: true },
            {
              title: 'STATUS',
              value: (o) => status(o),
            },
            { title: 'TIME', value: (o) => formatTime(o.timestamp) },
            { title: 'FILE', value: (o) => o.fileName },
          ]),
        );
      });
    });
}

/** The incoming requests the ids name (whole or unique prefixes), each still waiting for a decision. */
async function waitingRequests(client: RoomClient, ids: string[]): Promise<Incoming[]> {
  const { incomingFilesRequests } = await client.getIncomingFilesRequests();
  return ids.map((id) => {
    const item = findById(incomingFilesRequests, (i) => i.fileRequestId, id, 'incoming file request');
    if (item.status !== Status.Waiting) {
      throw new Failure(
        `${oneLine(item.fileName)} from ${item.peerId} is not waiting for a decision (it is ${statusText(item.status)})`,
      );
    }
    return item;
  });
}

function describe(item: Incoming): string {
  return `${oneLine(item.fileName)} (${formatSize(item.size)}) from ${peerText(item)}`;
}

interface AcceptFlags extends ConnectionFlags, DownloadFlags {
  wait?: boolean;
}

export function acceptCommand(): Command {
  return withConnectionOptions(
    new Command('accept')
      .description('accept files offered to this room (see roomfiles inbox); the room then receives them')
      .argument('<ids...>', 'fileRequestIds, or unique prefixes of them (the ID column of roomfiles inbox)')
      .option('--wait', 'wait until each file is received, showing progress, and print its fileId')
      .option('-o, --output <path>', 'wait, then download each file to this file or directory')
      .option('-f, --force', 'with -o: replace a file that exists')
      .option('-q, --quiet', 'no progress'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  roomfiles accept 3f2a\n' +
        '  roomfiles accept 3f2a --wait            # returns when the room holds the file\n' +
        '  roomfiles accept 3f2a -o ~/Downloads/   # and downloads it',
    )
    .action(async (ids: string[], flags: AcceptFlags) => {
      const printer = new Printer(Boolean(flags.json));
      const wait = Boolean(flags.wait) || flags.output !== undefined;
      await withRoom(flags, async (client) => {
        const items = await waitingRequests(client, ids);
        const results: object[] = [];
        for (const item of items) {
          // Listening starts before the accept: the room sends the first events right after its reply.
          const received = wait ? await untilReceived(client, item, flags) : null;
          try {
            await client.acceptIncomingFileRequest({ fileRequestId: item.fileRequestId });
          } catch (error) {
            received?.cancel();
            const { RoomApiError } = await import('../../client/index.js');
            if (error instanceof RoomApiError) {
              throw new Failure(`cannot accept ${describe(item)}: ${error.error}`, error);
            }
            throw error;
          }
          if (!received) {
            results.push({ ...item, accepted: true });
            printer.line(`accepted ${describe(item)}`);
            continue;
          }
          const fileId = await received.fileId;
          if (flags.output === undefined) {
            results.push({ ...item, accepted: true, fileId });
            printer.line(`received ${describe(item)}: file ${fileId} (roomfiles get ${fileId})`);
            continue;
          }
          const file = { fileId, fileName: item.fileName, fileSize: item.size };
          const saved = await downloadFile(client, file, flags);
          results.push({ ...item, accepted: true, fileId, path: saved.path, sha256: saved.sha256 });
          printer.line(`received ${describe(item)} and saved it to ${saved.path}`);
        }
        printer.document(results);
      });
    });
}

/**
 * Starts listening for the request to be received (status 3: resolves with its fileId) and shows its progress.
 * Call it before accepting.
 */
async function untilReceived(client: RoomClient, item: Incoming, flags: AcceptFlags) {
  const board = await progressBoard({ json: flags.json, quiet: flags.quiet });
  const task = board.task(item.fileName);
  task.state('accepting');
  const id = item.fileRequestId;
  const fileId = outcome<number>(client, 7 * 24 * 3600_000, `${item.fileName} was not received`, (settle) => [
    client.on('incomingFileRequestDownloadingProgress', (event) => {
      if (event.fileRequestId !== id) return;
      const bytes = event.processedSize ?? Math.floor((item.size * event.processedPercents) / 100);
      task.update(bytes, event.speed);
    }),
    client.on('fileRequestStatusChanged', (event) => {
      if (event.fileRequestId !== id) return;
      if (event.status === Status.Transferring) task.phase(`from ${item.peerId}`, item.size);
      if (event.status === Status.Done) {
        task.finish('done');
        settle(event.fileId ?? 0);
      }
      if (event.status === Status.Failed) {
        task.finish(statusText(0, event.statusReason));
        const why = event.statusReason ? ` (${event.statusReason})` : '';
        settle(new Failure(`receiving ${describe(item)} failed${why}`));
      }
    }),
  ]);
  const stopped = fileId.finally(() => board.stop());
  stopped.catch(() => undefined);
  return { fileId: stopped, cancel: () => board.stop() };
}

export function rejectCommand(): Command {
  return withConnectionOptions(
    new Command('reject')
      .description('refuse files offered to this room; the sender learns it')
      .argument('<ids...>', 'fileRequestIds, or unique prefixes of them (the ID column of roomfiles inbox)'),
  )
    .addHelpText('after', '\nExample:\n  roomfiles reject 3f2a')
    .action(async (ids: string[], flags: ConnectionFlags) => {
      const printer = new Printer(Boolean(flags.json));
      await withRoom(flags, async (client) => {
        const items = await waitingRequests(client, ids);
        const rejected: object[] = [];
        for (const item of items) {
          try {
            await client.rejectIncomingFileRequest({ fileRequestId: item.fileRequestId });
          } catch (error) {
            const { RoomApiError } = await import('../../client/index.js');
            if (error instanceof RoomApiError) {
              throw new Failure(`cannot reject ${describe(item)}: ${error.error}`, error);
            }
            throw error;
          }
          rejected.push(item);
          printer.line(`rejected ${describe(item)}`);
        }
        printer.document(rejected.map((item) => ({ ...item, rejected: true })));
      });
    });
}
