import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/**
 * What a benchmark leaves behind if it is cut short: child processes and temporary directories. Each is
 * registered while it lives; whatever is still registered when this process exits (normally, by an uncaught
 * error, or by Ctrl-C) is killed or removed synchronously in the `exit` handler.
 */
const children = new Set<ChildProcess>();
const dirs = new Set<string>();

export function trackChild(child: ChildProcess): () => void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return () => children.delete(child);
}

export function trackDir(path: string): () => void {
  dirs.add(path);
  return () => dirs.delete(path);
}

function cleanUpNow(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

let installed = false;

/** Installs the exit and signal handlers (once). */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanUpNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping the benchmark and cleaning up`);
      process.exit(130);
    });
  }
}
