#!/usr/bin/env -S node --max-semi-space-size=64 --initial-old-space-size=128
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { hubCommand } from './hub-command.js';
import { roomCommand } from './room-command.js';
import { upCommand } from './up-command.js';
import { CLIENT_HELP, clientCommands } from './client/index.js';
import { UsageError } from './process.js';
import { productVersion } from '../room/version.js';

const { major, minor, revision } = productVersion();
const program = new Command('roomfiles')
  .description('self-hostable file transfer with the TrueConf Room API')
  .version(`${major}.${minor}.${revision}`)
  .option('--debug', 'print stack traces of failures (anywhere on the command line)')
  // Options belong to the command they follow: without this, `roomfiles hub user list --data D` would hand
  // --data to `hub` (which has one too) instead of to `list`.
  .enablePositionalOptions()
  .exitOverride();
program.addCommand(upCommand());
program.addCommand(hubCommand());
program.addCommand(roomCommand());
for (const command of clientCommands()) program.addCommand(command);
program.addHelpText('after', CLIENT_HELP);

/** Usage errors of any subcommand surface here as CommanderError, so the exit code can be 2. */
function overrideExits(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) overrideExits(sub);
}
overrideExits(program);

// --debug works after a subcommand too, although the program's options are positional: move it to the front.
const debug = process.argv.includes('--debug');
const args = process.argv.slice(2).filter((arg) => arg !== '--debug');

try {
  await program.parseAsync(debug ? ['--debug', ...args] : args, { from: 'user' });
} catch (error) {
  if (error instanceof InvalidArgumentError) {
    // A value checked inside an action (`--listen host:99999`): commander has not printed it.
    console.error(`roomfiles: ${error.message}`);
    process.exit(2);
  }
  if (error instanceof CommanderError) {
    // Help and version exit 0; usage mistakes exit 2 (commander already printed the message).
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  if (error instanceof UsageError) {
    console.error(`roomfiles: ${error.message}`);
    if (debug && error.cause !== undefined) console.error(error.cause);
    process.exit(error.exitCode);
  }
  console.error(`roomfiles: ${(error as Error).message ?? String(error)}`);
  if (debug) console.error(error);
  process.exit(1);
}
