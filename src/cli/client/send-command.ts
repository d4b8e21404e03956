import { Command } from 'commander';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { RoomClient } from '../../client/index.js';
import { parseDuration } from '../parse.js';
import { UsageError } from '../process.js';
import {
  asFailure,
  Failure,
  namingRoom,
  openRoom,
  roomUrl,
  withConnectionOptions,
  type ConnectionFlags,
} from './connection.js';
import { formatDuration, formatSize, oneLine, statusText } from './format.js';
import { Printer, progressBoard, type ProgressBoard } from './output.js';
import { Status } from '../../protocol/codes.js';

interface SendFlags extends ConnectionFlags {
  to?: string;
  conference?: boolean;
  name?: string;
  wait: boolean;
  timeout?: number;
  quiet?: boolean;
}

interface Outcome {
  file: string;
  fileName: string;
  fileRequestId?: string;
  ok: boolean;
  message?: string;
}

/** Failures of `sendFile` that would be the same for every file: stop instead of uploading the others. */
const FATAL_OFFER_CODES = new Set([400, 401, 403, 404, 409]);

export function sendCommand(): Command {
  return withConnectionOptions(
    new Command('send')
      .description(
        'upload files to the room and send them to a user or to the conference the room is in; ' +
          'waits until each is delivered (exit 0) or refused (exit 1)',
      )
      .argument('<files...>', 'files to send')
      .option('--to <peer>', "recipient's TrueConf ID (bob@files.local, or bob in the server's domain)")
      .option('--conference', 'send to everyone in the conference the room is in')
      .option('--name <name>', 'offer the file under this name (one file only)')
      .option('--no-wait', 'return once each offer is made, printing its fileRequestId')
      .option(
        '--timeout <duration>',
        'stop waiting after this long (e.g. 10m; the offers stay open)',
        parseDuration,
      )
      .option('-q, --quiet', 'no progress, only the result'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  roomfiles send report.pdf --to bob@files.local\n' +
        '  roomfiles send *.png --to bob --json            # one JSON object per line: progress and results\n' +
        '  id=$(roomfiles send big.iso --to bob --no-wait)  # the fileRequestId, at once\n' +
        '  roomfiles send slides.pdf --conference           # after "roomfiles conference join weekly"',
    )
    .action(async (files: string[], flags: SendFlags) => {
      if (flags.to !== undefined && flags.conference) {
        throw new UsageError('give --to PEER or --conference, not both');
      }
      if (flags.to === undefined && !flags.conference) {
        throw new UsageError('say where to send: --to PEER or --conference');
      }
      if (flags.to !== undefined && flags.to.trim() === '') throw new UsageError('--to needs a TrueConf ID');
      if (flags.name !== undefined && files.length > 1) {
        throw new UsageError('--name works with one file only');
      }
      const sizes = await checkFiles(files);
      const printer = new Printer(Boolean(flags.json));
      const client = await openRoom(flags, { reconnect: flags.wait });
      const board = await progressBoard({ json: flags.json, quiet: flags.quiet });
      const made = { offers: 0 };
      const stopOnSignal = () => {
        board.stop();
        client.close();
        printer.note(
          made.offers === 0
            ? 'roomfiles: interrupted; nothing was sent'
            : made.offers < files.length
              ? 'roomfiles: interrupted; the offers made go on in the room (see roomfiles outbox), the other files were not sent'
              : 'roomfiles: stopped waiting; the transfers go on in the room (see roomfiles outbox)',
        );
        process.exit(130);
      };
      process.once('SIGINT', stopOnSignal);
      process.once('SIGTERM', stopOnSignal);
      client.onConnectionState((state) => {
        if (state === 'reconnecting') board.note('roomfiles: lost the connection to the room; reconnecting');
        if (state === 'connected') board.note('roomfiles: connected to the room again');
      });
      try {
        const outcomes = await send(client, files, sizes, flags, printer, board, made);
        board.stop();
        report(outcomes, flags, printer);
      } catch (error) {
        board.stop();
        throw namingRoom(await asFailure(error), roomUrl(flags));
      } finally {
        client.close();
        process.off('SIGINT', stopOnSignal);
        process.off('SIGTERM', stopOnSignal);
      }
    });
}

/**
 * Every file must be a regular file this user can read before anything is uploaded: it is opened here, so a file
 * without read permission fails now, in a sentence, not after the files before it went to the room.
 */
async function checkFiles(files: string[]): Promise<number[]> {
  return Promise.all(
    files.map(async (file) => {
      try {
        // stat first: opening a FIFO or a device would block or read forever.
        const info = await stat(file);
        if (!info.isFile()) throw new Failure(`cannot send ${file}: it is not a file`);
        await (await open(file, 'r')).close();
        return info.size;
      } catch (error) {
        if (error instanceof Failure) throw error;
        throw new Failure(`cannot send ${file}: ${unreadable(error as NodeJS.ErrnoException)}`, error);
      }
    }),
  );
}

/** Why a local file cannot be read, in words. */
function unreadable(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'there is no such file';
    case 'EACCES':
    case 'EPERM':
      return 'you are not allowed to read it (permission denied)';
    case 'EISDIR':
      return 'it is not a file';
    case 'ENOTDIR':
      return 'a part of its path is not a directory';
    case 'ELOOP':
      return 'its path has too many symbolic links';
    default:
      return `it cannot be read (${error.code ?? error.message})`;
  }
}

async function send(
  client: RoomClient,
  files: string[],
  sizes: number[],
  flags: SendFlags,
  printer: Printer,
  board: ProgressBoard,
  made: { offers: number },
): Promise<Outcome[]> {
  const { RoomApiError, untilDelivered } = await import('../../client/index.js');
  const to = flags.to?.trim();
  const where = to ?? 'the conference';
  const outcomes: Promise<Outcome>[] = [];
  for (const [index, file] of files.entries()) {
    const size = sizes[index];
    const fileName = flags.name ?? basename(file);
    const task = board.task(fileName);
    task.phase('upload to the room', size);
    let lastUploadRecord = 0;
    let fileId: number;
    try {
      fileId = await client.upload(file, {
        name: flags.name,
        onProgress: ({ bytes }) => {
          task.update(bytes);
          const now = Date.now();
          if (bytes < size && now - lastUploadRecord < 250) return;
          lastUploadRecord = now;
          printer.record({ type: 'upload', file, fileName, bytes, total: size });
        },
      });
    } catch (error) {
      if (!(error instanceof RoomApiError)) throw error;
      // The room refused this file (too large, no room left): the others may still go.
      const message = `cannot upload ${fileName} to the room: ${error.error}`;
      task.finish('failed: not uploaded');
      printer.record({ type: 'failed', file, fileName, reason: 'upload', error: message });
      if (files.length > 1) board.note(`roomfiles: ${message}`);
      outcomes.push(Promise.resolve({ file, fileName, ok: false, message }));
      continue;
    }
    printer.record({ type: 'uploaded', file, fileName, fileId, fileSize: size });

    const offer = async () =>
      (to === undefined
        ? await client.sendFileToConference({ fileId })
        : await client.sendFile({ fileId, peerId: to })
      ).sentFileRequestId;
    let offered: (id: string) => void = () => undefined;
    let offerFailed: (error: unknown) => void = () => undefined;
    const offerMade = new Promise<string>((resolve, reject) => {
      offered = resolve;
      offerFailed = reject;
    });
    const started = Date.now();
    let id = '';
    const delivered = flags.wait
      ? untilDelivered(
          client,
          async () => {
            try {
              id = await offer();
              offered(id);
              return id;
            } catch (error) {
              offerFailed(error);
              throw error;
            }
          },
          {
            timeoutMs: flags.timeout,
            onStatus: (status) => {
              if (status === Status.Transferring) task.phase(`to ${where}`, size);
              if (status === Status.Waiting) task.state(`waiting for ${where} to accept`);
              printer.record({
                type: 'status',
                fileName,
                fileRequestId: id,
                status,
                statusText: statusText(status),
              });
            },
            onProgress: ({ percent, bytes, speed }) => {
              const moved = bytes > 0 ? bytes : Math.floor((size * percent) / 100);
              task.update(moved, speed);
              printer.record({ type: 'progress', fileName, fileRequestId: id, percent, bytes: moved, speed });
            },
          },
        )
      : null;
    if (delivered) delivered.catch(() => undefined);
    else offer().then(offered, offerFailed);
    try {
      id = await offerMade;
    } catch (error) {
      // The offer was not made: the upload is of no use.
      await client.deleteFileTransferFile({ fileId }).catch(() => undefined);
      const apiError = error instanceof RoomApiError ? error : null;
      const message = `cannot send ${fileName} to ${where}: ${apiError ? apiError.error : (error as Error).message}`;
      task.finish('failed: not sent');
      if (!apiError || FATAL_OFFER_CODES.has(apiError.errorCode)) {
        const sentence = conferenceHint(message, apiError?.errorCode, to);
        printer.record({ type: 'failed', file, fileName, reason: 'offer', error: sentence });
        throw new Failure(sentence, error);
      }
      printer.record({ type: 'failed', file, fileName, fileId, reason: 'offer', error: message });
      if (files.length > 1) board.note(`roomfiles: ${message}`);
      outcomes.push(Promise.resolve({ file, fileName, ok: false, message }));
      continue;
    }
    made.offers += 1;
    printer.record({
      type: 'offered',
      file,
      fileName,
      fileId,
      fileRequestId: id,
      ...(to === undefined ? { conference: true } : { peerId: to }),
    });
    if (!delivered) {
      task.finish(`offered (${id})`);
      outcomes.push(Promise.resolve({ file, fileName, fileRequestId: id, ok: true }));
      continue;
    }
    if (to !== undefined) task.state(`waiting for ${to} to accept`);
    outcomes.push(
      delivered.then(
        () => {
          task.finish('done');
          printer.record({ type: 'done', file, fileName, fileId, fileRequestId: id, fileSize: size });
          const took = formatDuration(Date.now() - started);
          const message =
            to === undefined
              ? `sent ${oneLine(fileName)} (${formatSize(size)}) to the conference in ${took}`
              : `sent ${oneLine(fileName)} (${formatSize(size)}) to ${to} in ${took}`;
          return { file, fileName, fileRequestId: id, ok: true, message };
        },
        (error: Error & { statusReason?: string }) => {
          const timedOut = !error.statusReason;
          const reason = error.statusReason ?? 'timeout';
          const message = timedOut
            ? `${oneLine(fileName)} was not delivered within ${formatDuration(flags.timeout ?? 0)}; ` +
              `the offer stays open (roomfiles outbox)`
            : oneLine(error.message);
          task.finish(timedOut ? 'gave up waiting' : `failed: ${reason}`);
          printer.record({
            type: 'failed',
            file,
            fileName,
            fileId,
            fileRequestId: id,
            reason,
            error: message,
          });
          if (files.length > 1) board.note(`roomfiles: ${message}`);
          return { file, fileName, fileRequestId: id, ok: false, message };
        },
      ),
    );
  }
  return Promise.all(outcomes);
}

function conferenceHint(message: string, errorCode: number | undefined, to: string | undefined): string {
  if (to === undefined && errorCode === 409) {
    return `${message.split(':')[0]}: the room is not in a conference (roomfiles conference join CID, or create)`;
  }
  return message;
}

/** The results on stdout: ids for --no-wait, one line per delivered file; exit 1 when any failed. */
function report(outcomes: Outcome[], flags: SendFlags, printer: Printer): void {
  for (const outcome of outcomes) {
    if (!outcome.ok) continue;
    if (!flags.wait) printer.line(outcome.fileRequestId ?? '');
    else if (outcome.message) printer.line(outcome.message);
  }
  const failed = outcomes.filter((outcome) => !outcome.ok);
  if (failed.length === 0) return;
  // With several files, each failure was told as it happened, and this sums them up.
  if (outcomes.length === 1) throw new Failure(failed[0].message ?? 'the file was not sent');
  throw new Failure(`${failed.length} of ${outcomes.length} files were not delivered`);
}
