import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lines } from './markdown.js';
import { runCli } from '../helpers/child.js';

/** One option as `--help` lists it. */
interface HelpOption {
  flag: string;
  env: string | null;
  default: string | null;
}

/** The options of a command, read from its `--help` (continuation lines joined to the option they belong to). */
async function helpOptions(args: string[]): Promise<Map<string, HelpOption>> {
  const help = await runCli([...args, '--help'], { env: { COLUMNS: '200' } });
  assert.equal(help.code, 0, help.stderr);
  const section = help.stdout.split(/^Options:\n/m)[1]?.split(/\n\n/)[0] ?? '';
  const entries: string[] = [];
  for (const line of section.split('\n')) {
    if (/^ {2}-/.test(line)) entries.push(line.trim());
    else if (entries.length > 0) entries[entries.length - 1] += ` ${line.trim()}`;
  }
  const options = new Map<string, HelpOption>();
  for (const entry of entries) {
    const flag = /--[a-z][a-z0-9-]*/.exec(entry.split(/\s{2,}/)[0])?.[0];
    if (!flag || flag === '--help') continue;
    const env = /env: (ROOMFILES_[A-Z0-9_]+)\)/.exec(entry)?.[1] ?? null;
    const fallback = /\(default: ("[^"]*"|[^,)]+)/.exec(entry)?.[1]?.replace(/^"|"$/g, '') ?? null;
    options.set(flag, { flag, env, default: fallback });
  }
  return options;
}

/** One row of an option table in docs/configuration.md. */
interface Row {
  line: number;
  flags: string[];
  envs: string[];
  envElided: boolean;
  defaults: string[];
}

/** The option tables of docs/configuration.md, by the heading they are under. */
function tables(): Map<string, Row[]> {
  const byHeading = new Map<string, Row[]>();
  let heading = '';
  for (const piece of lines('docs/configuration.md')) {
    if (piece.text.startsWith('## ')) heading = piece.text.slice(3).trim();
    if (!piece.text.startsWith('| `--')) continue;
    const cells = piece.text.split('|').map((cell) => cell.trim());
    const [flagCell, envCell, defaultCell] = [cells[1], cells[2], cells[3]];
    const row: Row = {
      line: piece.line,
      flags: [...flagCell.matchAll(/--[a-z][a-z0-9-]*/g)].map((match) => match[0]),
      envs: [...envCell.matchAll(/ROOMFILES_[A-Z0-9_]+/g)].map((match) => match[0]),
      envElided: envCell.includes('…'),
      defaults: defaultCell.split(' / ').map((value) => value.replace(/`/g, '').trim()),
    };
    byHeading.set(heading, [...(byHeading.get(heading) ?? []), row]);
  }
  return byHeading;
}

/** Each table's command (the `--help` it is checked against), and whether it must list every option. */
const COMMANDS: { heading: string; args: string[]; complete: boolean }[] = [
  { heading: '`roomfiles up`', args: ['up'], complete: true },
  { heading: '`roomfiles hub`', args: ['hub'], complete: true },
  { heading: '`roomfiles room`', args: ['room'], complete: true },
  // The connection options every client command shares (cli.md lists each command's own options).
  { heading: 'Client commands (`send`, `inbox`, `watch`, …)', args: ['inbox'], complete: false },
];

const WORDS_FOR_NO_DEFAULT = new Set(['none', 'off', 'unlimited', 'prompt, or stdin']);

for (const { heading, args, complete } of COMMANDS) {
  test(`docs/configuration.md, ${heading}: the option table matches \`roomfiles ${args.join(' ')} --help\``, async () => {
    const rows = tables().get(heading);
    assert.ok(rows && rows.length > 0, `a table under "## ${heading}"`);
    const help = await helpOptions(args);
    // `roomfiles login` has the one option of the client table that the other client commands lack.
    const login = complete ? new Map<string, HelpOption>() : await helpOptions(['login']);
    const problems: string[] = [];
    for (const row of rows) {
      row.flags.forEach((flag, index) => {
        const option = help.get(flag) ?? login.get(flag);
        if (!option) return problems.push(`line ${row.line}: ${flag} is not in --help`);
        const documentedEnv = row.envs[index];
        if (option.env !== null && documentedEnv === undefined && !(row.envElided && index > 0)) {
          problems.push(`line ${row.line}: ${flag} has ${option.env} in --help, the table names none`);
        }
        if (documentedEnv !== undefined && documentedEnv !== option.env) {
          problems.push(
            `line ${row.line}: ${flag}: the table says ${documentedEnv}, --help ${option.env ?? 'none'}`,
          );
        }
        const documentedDefault =
          row.defaults.length === row.flags.length ? row.defaults[index] : row.defaults[0];
        if (option.default !== null && option.default !== '[]' && documentedDefault !== option.default) {
          problems.push(
            `line ${row.line}: ${flag}: default ${documentedDefault} in the table, ${option.default} in --help`,
          );
        }
        if (
          option.default === null &&
          !WORDS_FOR_NO_DEFAULT.has(documentedDefault) &&
          !/^\d/.test(documentedDefault)
        ) {
          // A default --help does not show (a port taken from saved settings) is written as a number; words say none.
          problems.push(
            `line ${row.line}: ${flag}: the table says ${documentedDefault}, --help shows no default`,
          );
        }
      });
    }
    if (complete) {
      const documented = new Set(rows.flatMap((row) => row.flags));
      for (const flag of help.keys()) {
        if (!documented.has(flag)) problems.push(`${flag} is in --help but not in the table`);
      }
    }
    assert.deepEqual(problems, []);
  });
}
