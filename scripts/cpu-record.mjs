// Preloaded into each test file's process by scripts/run-tests.mjs when ROOMFILES_TEST_CPU names a directory: at
// exit, the CPU seconds the file cost, its own and those of every process it started and waited for (the hubs,
// rooms and CLI commands it ran: Linux adds a reaped child's times, with its own children's, to the parent's
// cutime/cstime), written as one small JSON file the runner sums up. Linux only; elsewhere it records nothing.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const directory = process.env.ROOMFILES_TEST_CPU;
const testFile = process.argv.find((arg) => arg.endsWith('.test.js'));

/** Clock ticks per second of /proc/PID/stat: 100 on every Linux Node runs on (USER_HZ). */
const TICKS = 100;

if (directory && testFile) {
  process.on('exit', () => {
    try {
      // The command name (field 2) may hold spaces: the fields after it start past its closing parenthesis.
      const stat = readFileSync('/proc/self/stat', 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14-17 of stat(5) (utime stime cutime cstime) are 11-14 here, counted from field 3.
      const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
      const record = { file: testFile, user: (utime + cutime) / TICKS, sys: (stime + cstime) / TICKS };
      writeFileSync(join(directory, `${process.pid}.json`), JSON.stringify(record));
    } catch {
      // No /proc: nothing recorded.
    }
  });
}
