import { readFileSync } from 'node:fs';

/** Resident set size of a process in bytes, from /proc (Linux). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** Samples the RSS of some processes every `intervalMs` until stopped; keeps the peak of each. */
export class RssSampler {
  readonly peak = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pids: Record<string, number>) {}

  sample(): Record<string, number> {
    const now: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      try {
        now[name] = rssOf(pid);
      } catch {
        continue;
      }
      this.peak.set(name, Math.max(this.peak.get(name) ?? 0, now[name]));
    }
    return now;
  }

  start(intervalMs = 100): void {
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds a process used: user + system (`total`) and system alone (`sys`: syscalls, page cache, fsync). */
export interface CpuSeconds {
  total: number;
  sys: number;
}

/** CPU seconds (every thread) a process has used so far, from /proc (Linux); NaN if it is gone. */
export function cpuSecondsOf(pid: number): CpuSeconds {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, inside parentheses): utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const user = Number(fields[11]) / TICKS_PER_SECOND;
    const sys = Number(fields[12]) / TICKS_PER_SECOND;
    return { total: user + sys, sys };
  } catch {
    return { total: NaN, sys: NaN };
  }
}

/** CPU seconds used by some processes between `start()` and `stop()`. */
export class CpuMeter {
  private readonly before: Record<string, CpuSeconds> = {};

  constructor(private readonly pids: Record<string, number>) {}

  start(): this {
    for (const [name, pid] of Object.entries(this.pids)) this.before[name] = cpuSecondsOf(pid);
    return this;
  }

  stop(): Record<string, CpuSeconds> {
    const used: Record<string, CpuSeconds> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const now = cpuSecondsOf(pid);
      used[name] = { total: now.total - this.before[name].total, sys: now.sys - this.before[name].sys };
    }
    return used;
  }
}

/** `hub 3.1 (sys 1.2), alice 2.0 (sys 0.4)` (CPU seconds). */
export function describeCpu(used: Record<string, CpuSeconds>): string {
  return Object.entries(used)
    .map(([name, cpu]) => `${name} ${cpu.total.toFixed(1)} (sys ${cpu.sys.toFixed(1)})`)
    .join(', ');
}

/** The median, process by process, of several runs' CPU seconds. */
export function medianCpu(runs: Record<string, CpuSeconds>[]): Record<string, CpuSeconds> {
  const mid = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const m = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
  };
  const out: Record<string, CpuSeconds> = {};
  for (const name of Object.keys(runs[0] ?? {})) {
    out[name] = { total: mid(runs.map((r) => r[name].total)), sys: mid(runs.map((r) => r[name].sys)) };
  }
  return out;
}
