import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm run bench -- --profile DIR`: loaded into every `roomfiles` process the benchmark starts (through
 * NODE_OPTIONS=--import, which does not allow --cpu-prof itself), it records a CPU profile from start to exit and
 * writes it as DIR/<hub|room-NAME|up>-<pid>.cpuprofile, readable in Chrome DevTools or by profile-summary.js.
 */
const dir = process.env.BENCH_PROFILE_DIR;
const args = process.argv.slice(2);
if (dir && process.argv[1]?.endsWith(join('cli', 'main.js'))) {
  const role = args[0] === 'room' ? `room-${args[args.indexOf('--name') + 1] ?? 'room'}` : (args[0] ?? 'cli');
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // A session of this thread answers synchronously: the profile is written before the process ends.
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${role}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
