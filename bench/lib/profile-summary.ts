import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * `node dist/bench/lib/profile-summary.js FILE.cpuprofile… [--top N]`: where a process spent its CPU time, by
 * function (self time) and by source file, from profiles written by `npm run bench -- --profile DIR` (or by
 * `node --cpu-prof`). With `--stalls MS`: every stretch of the main thread busy without a break for longer than
 * MS, with what ran in it (the event-loop stalls of the latency row).
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const args = process.argv.slice(2);
const topIndex = args.indexOf('--top');
const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 25;
const stallIndex = args.indexOf('--stalls');
/** Report busy stretches of the main thread longer than this many ms (`--stalls 50`). */
const stallMs = stallIndex >= 0 ? Number(args[stallIndex + 1]) : 0;
const paths = args.filter((arg) => arg.endsWith('.cpuprofile'));

function where(url: string): string {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) return path.slice(modules + 'node_modules/'.length);
  const dist = path.indexOf('/dist/');
  return dist >= 0 ? path.slice(dist + '/dist/'.length) : path.startsWith('node:') ? path : basename(path);
}

for (const path of paths) {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = (profile.endTime - profile.startTime) / 1000;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let idle = 0;
  for (const [id, micros] of self) {
    const frame = byId.get(id)!.callFrame;
    const ms = micros / 1000;
    if (frame.functionName === '(idle)') idle += ms;
    const key = `${frame.functionName || '(anonymous)'}  ${where(frame.url)}:${frame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    const file = frame.url ? where(frame.url) : frame.functionName;
    byFile.set(file, (byFile.get(file) ?? 0) + ms);
  }
  console.log(`\n${basename(path)}: ${total.toFixed(0)} ms profiled, ${(total - idle).toFixed(0)} ms busy`);
  const print = (title: string, map: Map<string, number>) => {
    console.log(`  ${title}`);
    for (const [key, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(
        `  ${ms.toFixed(0).padStart(8)} ms  ${((ms / total) * 100).toFixed(1).padStart(5)} %  ${key}`,
      );
    }
  };
  print('self time by function:', byFunction);
  print('self time by file:', byFile);
  if (stallMs > 0) printStalls(profile, byId);
}

/** Busy stretches (no idle sample) longer than `stallMs`, longest first, each with its heaviest functions and stack. */
function printStalls(profile: Profile, byId: Map<number, ProfileNode>): void {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = (id: number) => {
    const frame = byId.get(id)!.callFrame;
    return `${frame.functionName || '(anonymous)'} ${where(frame.url)}:${frame.lineNumber + 1}`;
  };
  const stretches: { start: number; ms: number; samples: number[] }[] = [];
  let time = profile.startTime;
  let current: { start: number; ms: number; samples: number[] } | null = null;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    time += delta;
    if (byId.get(id)!.callFrame.functionName === '(idle)') {
      if (current && current.ms >= stallMs) stretches.push(current);
      current = null;
      return;
    }
    current ??= { start: time, ms: 0, samples: [] };
    current.ms += delta / 1000;
    current.samples.push(id);
  });
  stretches.sort((a, b) => b.ms - a.ms);
  console.log(`  busy stretches over ${stallMs} ms: ${stretches.length}`);
  for (const stretch of stretches.slice(0, 8)) {
    const counts = new Map<number, number>();
    for (const id of stretch.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
    const heaviest = [...counts].sort((a, b) => b[1] - a[1]);
    const at = ((stretch.start - profile.startTime) / 1e6).toFixed(1);
    console.log(`  ${stretch.ms.toFixed(0).padStart(6)} ms at ${at} s:`);
    for (const [id, n] of heaviest.slice(0, 4)) {
      console.log(`      ${((n / stretch.samples.length) * 100).toFixed(0).padStart(3)} %  ${label(id)}`);
    }
    const stack: string[] = [];
    for (
      let id: number | undefined = heaviest[0][0];
      id !== undefined && stack.length < 14;
      id = parent.get(id)
    ) {
      stack.push(label(id));
    }
    console.log(`      stack of the heaviest: ${stack.join(' < ')}`);
  }
}
