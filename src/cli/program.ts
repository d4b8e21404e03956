import { Command } from 'commander';
import { hubCommand } from './hub-command.js';
import { roomCommand } from './room-command.js';
import { upCommand } from './up-command.js';
import { CLIENT_HELP, clientCommands } from './client/index.js';
import { productVersion } from '../room/version.js';

/**
 * The whole `roomfiles` command tree, every command set to throw instead of exiting (main.ts turns that into the
 * exit code). Built here, apart from main.ts, so the docs tests parse the commands the docs quote with the very
 * same tree.
 */
export function buildProgram(): Command {
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
  overrideExits(program);
  return program;
}

/** Usage errors of any subcommand surface as CommanderError, so the exit code can be 2. */
function overrideExits(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) overrideExits(sub);
}
