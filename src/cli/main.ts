#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.mmap_threshold=1048576 node --max-semi-space-size=64 --initial-old-space-size=128
import { CommanderError, InvalidArgumentError } from 'commander';
import { buildProgram } from './program.js';
import { UsageError } from './process.js';

const program = buildProgram();

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
