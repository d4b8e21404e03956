import { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import type { RoomClient } from '../../client/index.js';
import {
  Failure,
  LocalFailure,
  withConnectionOptions,
  withRoom,
  type ConnectionFlags,
} from './connection.js';
import { formatSize, formatTime, oneLine, peerText, shortId, table } from './format.js';
import { findById } from './ids.js';
import { Printer, progressBoard } from './output.js';
import { Direction, Status } from '../../protocol/codes.js';

interface FileRef {
  fileId: number;
  fileName: string;
  fileSize: number;
}

/**
 * The file an argument names: a fileId of the room's file list (whole, or a unique prefix), or the
 * fileRequestId (or a unique prefix) of a transfer that brought or sent it.
 */
export async function resolveFile(client: RoomClient, given: string): Promise<FileRef> {
  const [{ fileList }, { filesRequests }] = await Promise.all([
    client.getFileList(),
    client.getFileTransferHistory(),
  ]);
  const files = fileList.map((file) => ({ id: String(file.fileId), file }));
  const byFileId = files.filter((entry) => entry.id === given.trim());
  if (byFileId.length > 0) return byFileId[0].file;
  const present = new Map(fileList.map((file) => [file.fileId, file]));
  const candidates = [
    ...files,
    ...filesRequests
      .filter((entry) => present.has(entry.fileId))
      .map((entry) => ({ id: entry.fileRequestId, file: present.get(entry.fileId)! })),
  ];
  try {
    return findById(candidates, (entry) => entry.id, given, 'file').file;
  } catch (error) {
    if (!/^there is no file/.test((error as Error).message)) throw error;
  }
  // Not a file yet: perhaps an incoming request that is still waiting or on its way.
  const { incomingFilesRequests } = await client.getIncomingFilesRequests();
  const pending = incomingFilesRequests.filter((item) =>
    item.fileRequestId.toLowerCase().startsWith(given.trim().toLowerCase()),
  );
  if (pending.length === 1 && pending[0].status !== Status.Done) {
    const state =
      pending[0].status === Status.Waiting
        ? 'waiting to be accepted'
        : pending[0].status === Status.Transferring
          ? 'still on its way'
          : 'failed';
    throw new Failure(`${oneLine(pending[0].fileName)} is not on the room yet: it is ${state}`);
  }
  throw new Failure(`there is no file ${given} on the room (roomfiles files lists them)`);
}

/** A name from the room used as a local file name: never a path, never empty. */
function safeName(fileName: string, fileId: number): string {
  const name = basename(fileName.replace(/[/\\]/g, '_'));
  return name === '' || name === '.' || name === '..' ? `file-${fileId}` : name;
}

export interface DownloadFlags {
  output?: string;
  resume?: boolean;
  force?: boolean;
  quiet?: boolean;
  json?: boolean;
}

/** Downloads a file of the room to a local path, resuming a `.part` left by an interrupted run. */
export async function downloadFile(client: RoomClient, file: FileRef, flags: DownloadFlags) {
  const name = safeName(file.fileName, file.fileId);
  let to = flags.output === undefined ? resolve(name) : resolve(flags.output);
  const isDirectory =
    flags.output !== undefined &&
    (flags.output.endsWith('/') ||
      flags.output.endsWith(sep) ||
      (existsSync(to) && statSync(to).isDirectory()));
  if (isDirectory) to = join(to, name);
  if (existsSync(to) && !flags.force) {
    throw new LocalFailure(`${to} exists already: give --force to replace it, or -o another path`);
  }
  const part = `${to}.part`;
  const resume = flags.resume !== false;
  const resumedFrom = resume && existsSync(part) ? statSync(part).size : 0;
  const board = await progressBoard({ json: flags.json, quiet: flags.quiet });
  if (resumedFrom > 0)
    board.note(`roomfiles: resuming ${oneLine(file.fileName)} from ${formatSize(resumedFrom)}`);
  const task = board.task(file.fileName);
  task.phase('download', file.fileSize);
  try {
    const result = await client.download(file.fileId, {
      to,
      resume,
      onProgress: ({ bytes }) => task.update(bytes),
    });
    task.finish('done');
    return { ...result, resumedFrom };
  } catch (error) {
    const { RoomApiError } = await import('../../client/index.js');
    if (error instanceof RoomApiError) {
      throw new Failure(`cannot download ${oneLine(file.fileName)}: ${error.error}`, error);
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code) throw new LocalFailure(`cannot write ${to}: ${(error as Error).message}`, error);
    throw error;
  } finally {
    board.stop();
  }
}

export function getCommand(): Command {
  return withConnectionOptions(
    new Command('get')
      .description(
        "download a file of the room (received or uploaded); an interrupted download's .part is resumed",
      )
      .argument(
        '<file-id>',
        'fileId (or a unique prefix), or the fileRequestId of the transfer that brought it',
      )
      .option('-o, --output <path>', 'where to save it: a file, or a directory (default: its name, here)')
      .option('--no-resume', 'start over instead of resuming a .part left by an interrupted download')
      .option('-f, --force', 'replace the file if it exists')
      .option('-q, --quiet', 'no progress'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  roomfiles get 1834567123                  # saved under its own name, here\n' +
        '  roomfiles get 3f2a -o ~/Downloads/        # by the id of the transfer that brought it\n' +
        '  roomfiles get 1834567123 -o report.pdf    # run again after an interruption: it resumes',
    )
    .action(async (given: string, flags: DownloadFlags & ConnectionFlags) => {
      const printer = new Printer(Boolean(flags.json));
      await withRoom(flags, async (client) => {
        const file = await resolveFile(client, given);
        const result = await downloadFile(client, file, flags);
        printer.document({ fileId: file.fileId, fileName: file.fileName, ...result });
        printer.line(`saved ${oneLine(file.fileName)} (${formatSize(result.size)}) to ${result.path}`);
      });
    });
}

export function filesCommand(): Command {
  return withConnectionOptions(
    new Command('files').description(
      "list the files on the room's built-in HTTP server (uploaded and received)",
    ),
  )
    .addHelpText('after', '\nExamples:\n  roomfiles files\n  roomfiles files --json | jq ".[].fileId"')
    .action(async (flags: ConnectionFlags) => {
      const printer = new Printer(Boolean(flags.json));
      await withRoom(flags, async (client) => {
        const { fileList } = await client.getFileList();
        printer.document(fileList);
        if (fileList.length === 0) return printer.line('no files on the room');
        const rows = [...fileList].sort((a, b) => b.timestamp - a.timestamp);
        printer.block(
          table(rows, [
            { title: 'FILE ID', value: (f) => String(f.fileId), right: true },
            { title: 'SIZE', value: (f) => formatSize(f.fileSize), right: true },
            { title: 'TIME', value: (f) => formatTime(f.timestamp) },
            { title: 'NAME', value: (f) => f.fileName },
          ]),
        );
        const total = fileList.reduce((sum, file) => sum + file.fileSize, 0);
        printer.line(`${fileList.length} file${fileList.length === 1 ? '' : 's'}, ${formatSize(total)}`);
      });
    });
}

export function historyCommand(): Command {
  return withConnectionOptions(
    new Command('history').description('list completed transfers, both directions, newest first'),
  )
    .addHelpText('after', '\nExamples:\n  roomfiles history\n  roomfiles history --json')
    .action(async (flags: ConnectionFlags) => {
      const printer = new Printer(Boolean(flags.json));
      await withRoom(flags, async (client) => {
        const { filesRequests } = await client.getFileTransferHistory();
        printer.document(filesRequests);
        if (filesRequests.length === 0) return printer.line('no completed transfers');
        printer.block(
          table(filesRequests, [
            { title: 'TIME', value: (e) => formatTime(e.timestamp) },
            { title: 'ID', value: (e) => shortId(e.fileRequestId) },
            {
              title: 'DIRECTION',
              value: (e) => (e.directionType === Direction.Incoming ? 'received from' : 'sent to'),
            },
            { title: 'PEER', value: (e) => peerText(e) },
            { title: 'SIZE', value: (e) => formatSize(e.fileSize), right: true },
            { title: 'FILE ID', value: (e) => String(e.fileId), right: true },
            { title: 'FILE', value: (e) => e.fileName },
          ]),
        );
      });
    });
}

export function rmCommand(): Command {
  return withConnectionOptions(
    new Command('rm')
      .description('delete files from the room, with the history entries that name them')
      .argument('<file-ids...>', 'fileIds (or unique prefixes), or fileRequestIds of their transfers'),
  )
    .addHelpText('after', '\nExamples:\n  roomfiles rm 1834567123\n  roomfiles rm 18345 20991')
    .action(async (given: string[], flags: ConnectionFlags) => {
      const printer = new Printer(Boolean(flags.json));
      await withRoom(flags, async (client) => {
        const deleted: FileRef[] = [];
        for (const id of given) {
          const file = await resolveFile(client, id);
          try {
            await client.deleteFileTransferFile({ fileId: file.fileId });
          } catch (error) {
            const { RoomApiError } = await import('../../client/index.js');
            if (error instanceof RoomApiError && error.errorCode === 409) {
              throw new Failure(
                `cannot delete ${oneLine(file.fileName)}: a transfer that is waiting or running uses it`,
                error,
              );
            }
            throw error;
          }
          deleted.push(file);
          printer.line(`deleted ${oneLine(file.fileName)} (file ${file.fileId})`);
        }
        printer.document(deleted.map((file) => ({ ...file, deleted: true })));
      });
    });
}

export function clearCommand(): Command {
  return withConnectionOptions(
    new Command('clear')
      .description('empty the transfer history (the files stay unless --delete-files)')
      .option('--delete-files', 'also delete the files the history names (not those of running transfers)'),
  )
    .addHelpText('after', '\nExamples:\n  roomfiles clear\n  roomfiles clear --delete-files')
    .action(async (flags: ConnectionFlags & { deleteFiles?: boolean }) => {
      const printer = new Printer(Boolean(flags.json));
      await withRoom(flags, async (client) => {
        await client.clearFileTransferHistory({ deleteFilesFromDisk: Boolean(flags.deleteFiles) });
        printer.document({ cleared: true, removedFromDisk: Boolean(flags.deleteFiles) });
        printer.line(
          flags.deleteFiles
            ? 'cleared the transfer history and deleted its files'
            : 'cleared the transfer history (the files stay: roomfiles files)',
        );
      });
    });
}
