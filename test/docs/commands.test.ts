import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import { documents, lines } from './markdown.js';

/** A `roomfiles …` command line quoted in a document. */
interface Quoted {
  where: string;
  words: string[];
}

/**
 * Splits a shell command line into words: quotes group, `#` starts a comment, `>`/`|`/`&` end the command, a
 * trailing backslash (the command goes on in the next line) is dropped.
 */
function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (const char of text) {
    if (quote !== null) {
      if (char === quote) quote = null;
      else word = (word ?? '') + char;
    } else if (char === '"' || char === "'") {
      quote = char;
      word = word ?? '';
    } else if (/\s/.test(char)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (
      (char === '#' && word === null) ||
      char === '|' ||
      char === '>' ||
      char === ')' ||
      char === '&'
    ) {
      break;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== null) words.push(word);
  if (words.at(-1) === '\\') words.pop();
  return words;
}

/**
 * Every `roomfiles …` (or `npx roomfiles …`) of README.md and docs/: in shell blocks, a line that runs it (also
 * after `$(` or a pipe); in prose, a code span that starts with it.
 */
function quotedCommands(): Quoted[] {
  const found: Quoted[] = [];
  for (const document of documents()) {
    for (const piece of lines(document)) {
      const candidates: string[] = [];
      if (piece.fence === 'sh') {
        const start = /(?:^|\$\(|\|\s*)((?:npx )?roomfiles(?: .*)?)$/.exec(piece.text.trim());
        if (start) candidates.push(start[1]);
      } else if (piece.fence === null) {
        for (const span of piece.text.matchAll(/`([^`]+)`/g)) {
          if (/^(npx )?roomfiles( |$)/.test(span[1])) candidates.push(span[1]);
        }
      }
      for (const candidate of candidates) {
        const words = shellWords(candidate);
        if (words[0] === 'npx') words.shift();
        words.shift(); // roomfiles
        found.push({ where: `${document}:${piece.line}: ${candidate}`, words });
      }
    }
  }
  return found;
}

/** The command tree of `roomfiles`, every action replaced by nothing and every message kept, not printed. */
function inertProgram(): Command {
  const program = buildProgram();
  const silence = (command: Command) => {
    command.action(() => undefined);
    command.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    for (const sub of command.commands) silence(sub);
  };
  silence(program);
  return program;
}

test('every roomfiles command quoted in README.md and docs/ parses with the CLI, or names a command that exists', async () => {
  const quoted = quotedCommands();
  assert.ok(quoted.length > 40, `the commands were found (${quoted.length})`);
  const problems: string[] = [];
  for (const { where, words } of quoted) {
    // `roomfiles …` stands for any command.
    if (words[0] === '…') continue;
    // `…` after an option is its value (`--password …`); elsewhere it stands for more options and is dropped.
    const args = words.flatMap((word, index) =>
      word !== '…' ? [word] : words[index - 1]?.startsWith('--') ? ['x'] : [],
    );
    // A synopsis (`hub user add|list|remove`) or a bare mention (`roomfiles hub user add`) names commands: each
    // must exist. Anything with more words must parse.
    let command = inertProgram();
    let rest = [...args];
    while (rest.length > 0) {
      const names = rest[0].split('|');
      const subs = names.map((name) => command.commands.find((sub) => sub.name() === name));
      if (subs.some((sub) => sub === undefined)) break;
      if (names.length > 1) {
        rest = [];
        break;
      }
      command = subs[0]!;
      rest.shift();
    }
    if (rest.length === 0) continue;
    if (command.commands.length > 0 && !rest[0].startsWith('-') && command.registeredArguments.length === 0) {
      problems.push(
        `${where}: ${rest[0]} is not a command of roomfiles ${args.slice(0, -rest.length).join(' ')}`,
      );
      continue;
    }
    try {
      await inertProgram().parseAsync(args, { from: 'user' });
    } catch (error) {
      // --help and --version end the parse with exit code 0: the command is fine.
      if ((error as { exitCode?: number }).exitCode === 0) continue;
      problems.push(`${where}: ${(error as Error).message}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the check refuses what the CLI refuses: an unknown option, a missing argument, a bad port', async () => {
  for (const args of [
    ['inbox', '--frobnicate'],
    ['accept'],
    ['up', '--hub-port', 'x'],
    ['hub', 'nope', 'x'],
  ]) {
    await assert.rejects(inertProgram().parseAsync(args, { from: 'user' }), args.join(' '));
  }
});
