import type { Command } from 'commander';
import { conferenceCommand } from './conference-command.js';
import { clearCommand, filesCommand, getCommand, historyCommand, rmCommand } from './file-commands.js';
import { acceptCommand, inboxCommand, outboxCommand, rejectCommand } from './request-commands.js';
import { sendCommand } from './send-command.js';
import { connectCommand, loginCommand, logoutCommand, statusCommand } from './session-commands.js';
import { watchCommand } from './watch-command.js';

/**
 * The commands that drive a room over its API, through the SDK (docs/cli.md). They load the SDK only when
 * they run, so `roomfiles --help` and the server commands start fast.
 */
export function clientCommands(): Command[] {
  return [
    sendCommand(),
    inboxCommand(),
    outboxCommand(),
    acceptCommand(),
    rejectCommand(),
    getCommand(),
    historyCommand(),
    filesCommand(),
    rmCommand(),
    clearCommand(),
    watchCommand(),
    statusCommand(),
    loginCommand(),
    logoutCommand(),
    connectCommand(),
    conferenceCommand(),
  ];
}

/** Added to `roomfiles --help`: how the client commands find their room. */
export const CLIENT_HELP =
  '\nThe commands from send on drive a room over its API: --url (or ROOMFILES_URL) names it, by its web port\n' +
  '(http://host:8764) or its API port (ws://host:8765); the default is alice of "roomfiles up". A PIN: --pin or\n' +
  'ROOMFILES_PIN. Exit codes: 0 done, 1 the operation failed, 2 bad usage. See docs/cli.md.\n' +
  '\nExample:\n  roomfiles up                                      # in one terminal; in another:\n' +
  '  roomfiles send report.pdf --to bob@files.local    # as alice; bob: roomfiles inbox --url http://127.0.0.1:8774';
