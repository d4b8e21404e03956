import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { NODE_ENV_TUNABLES, NODE_FLAGS } from '../../src/cli/node-flags.js';
import { waitFor, withTimeout } from './wait.js';

/** The compiled CLI entry point (`dist/src/cli/main.js`), next to this compiled helper. */
export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface ChildOptions {
  /** Extra environment variables (merged over this process's environment, minus any ROOMFILES_* of it). */
  env?: Record<string, string>;
  /** What the child reads on stdin (default: nothing, stdin closed at once). */
  input?: string;
  cwd?: string;
  /** A command the child runs under (e.g. `onSmallDisk(…)`): `[program, ...args]`, the node command line appended. */
  wrap?: string[];
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Variables a roomfiles child never gets from the caller. NODE_EXTRA_CA_CERTS makes every node process read and
 * parse that PEM bundle at start (0.05 CPU-s each, hundreds of processes a run): the children speak to loopback
 * and to the tests' own CA (test/helpers/tls.ts, given with --ca), never to a host the system's extra CAs vouch for.
 * A test may still set it through `env`.
 */
const NOT_INHERITED = new Set(['NODE_EXTRA_CA_CERTS']);

/** An environment without the caller's ROOMFILES_* variables, so a developer's shell never leaks into a test. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('ROOMFILES_') && !NOT_INHERITED.has(key)) env[key] = value;
  // As the bin's shebang starts it (src/cli/node-flags.ts).
  return { ...env, ...NODE_ENV_TUNABLES, ROOMFILES_LOG_LEVEL: 'warn', ...extra };
}

/**
 * One `node dist/src/cli/main.js …` process: its output collected as it comes, so a test can wait for a line
 * (the ready line of a server command) instead of sleeping.
 */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private exit: Exit | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly args: string[],
    options: ChildOptions = {},
  ) {
    const command = [...(options.wrap ?? []), process.execPath, ...NODE_FLAGS, CLI_MAIN, ...args];
    this.child = spawn(command[0], command.slice(1), {
      env: childEnv(options.env),
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8');
    this.child.stderr!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      this.stdout += chunk;
      this.notify();
    });
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
      this.notify();
    });
    this.child.stdin!.on('error', () => undefined);
    this.child.stdin!.end(options.input ?? '');
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exit = { code, signal };
        this.notify();
        resolve(this.exit);
      });
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Calls `listener` on each chunk of output and on the exit; returns the function that stops it. */
  onOutput(listener: () => void): () => void {
    this.waiters.add(listener);
    return () => this.waiters.delete(listener);
  }

  /** How the process ended, or null while it runs. */
  get exitStatus(): Exit | null {
    return this.exit;
  }

  /**
   * Resolves with the first stdout line matching `pattern` (already printed or still to come); rejects when
   * the process exits first or nothing matches in time, with what it printed so the failure can be read.
   */
  waitForLine(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
    return waitFor(
      () => `line ${pattern} from ${this.describe()}`,
      () => {
        for (const line of this.stdout.split('\n')) {
          const match = pattern.exec(line);
          if (match) return match;
        }
        if (this.exit) {
          throw new Error(
            `${this.describe()} exited (${this.exit.code ?? this.exit.signal}) before ${pattern}`,
          );
        }
        return undefined;
      },
      { wake: this.waiters, timeoutMs },
    );
  }

  /** Waits for the ready line and returns the whole stdout up to and including it. */
  async ready(pattern: RegExp, timeoutMs?: number): Promise<string> {
    await this.waitForLine(pattern, timeoutMs);
    return this.stdout;
  }

  /** Sends a signal and resolves with how the process ended. */
  async stop(signal: NodeJS.Signals = 'SIGINT', timeoutMs = 15_000): Promise<Exit> {
    if (this.exit) return this.exit;
    this.child.kill(signal);
    try {
      return await withTimeout(this.exited, () => `exit of ${this.describe()} after ${signal}`, timeoutMs);
    } catch (error) {
      this.child.kill('SIGKILL');
      throw error;
    }
  }

  /** Ends the process whatever state it is in (test cleanup). */
  async kill(): Promise<void> {
    if (this.exit) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  describe(): string {
    return `roomfiles ${this.args.join(' ')}\n--- stdout:\n${this.stdout}\n--- stderr:\n${this.stderr}\n---`;
  }
}

export interface RunResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs a short command to its end. */
export async function runCli(
  args: string[],
  options: ChildOptions = {},
  timeoutMs = 20_000,
): Promise<RunResult> {
  const proc = new CliProcess(args, options);
  try {
    const exit = await withTimeout(proc.exited, () => `end of ${proc.describe()}`, timeoutMs);
    return { ...exit, stdout: proc.stdout, stderr: proc.stderr };
  } catch (error) {
    void proc.kill(); // the test fails with the timeout; the process must not outlive it
    throw error;
  }
}

/** A port that was free a moment ago (the system picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A base port such that base + each offset is free right now (for `roomfiles up --port-base`). */
export async function freePortBlock(offsets: number[], tries = 50): Promise<number> {
  for (let i = 0; i < tries; i += 1) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all(offsets.map((offset) => portIsFree(base + offset)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no block of free ports found in ${tries} tries`);
}

/** A room's three ports, each left to the system to choose. */
export const FREE_ROOM_PORTS = ['--web-port', '0', '--api-port', '0', '--http-port', '0'];

/** The arguments of `roomfiles room NAME` on free ports, logged in to a hub on loopback with an account. */

export function roomArgs(room: {
  name: string;
  data: string;
  hubPort: number;
  login: string;
  password: string;
  extra?: string[];
}): string[] {
  return [
    'room',
    '--name',
    room.name,
    '--data',
    room.data,
    ...FREE_ROOM_PORTS,
    '--server',
    `127.0.0.1:${room.hubPort}`,
    '--login',
    room.login,
    '--password',
    room.password,
    ...(room.extra ?? []),
  ];
}
