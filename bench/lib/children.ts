import { fork, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { trackChild } from './cleanup.js';

/** A message a bench child sends over IPC: `{type, ...}`. */
export interface ChildMessage {
  type: string;
  [key: string]: unknown;
}

/**
 * A compiled script of this directory (`baselines/…`, `workers/…`) run as a separate Node process, talked to over
 * IPC. The child exits when the IPC channel closes, so it never outlives the benchmark.
 */
export class BenchChild {
  readonly child: ChildProcess;
  private readonly inbox: ChildMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private exited = false;
  private stderr = '';

  constructor(
    readonly script: string,
    args: string[] = [],
  ) {
    const path = fileURLToPath(new URL(`../${script}.js`, import.meta.url));
    this.child = fork(path, args, { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], execArgv: [] });
    trackChild(this.child);
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.child.on('message', (message: ChildMessage) => {
      this.inbox.push(message);
      for (const wake of [...this.waiters]) wake();
    });
    this.child.on('exit', () => {
      this.exited = true;
      for (const wake of [...this.waiters]) wake();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  send(message: ChildMessage): void {
    this.child.send(message);
  }

  /** The next message of that type (one already received, or the next to come). */
  next<T extends ChildMessage>(type: string, timeoutMs = 120_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const index = this.inbox.findIndex((m) => m.type === type || m.type === 'error');
        if (index >= 0) {
          const [message] = this.inbox.splice(index, 1);
          finish();
          if (message.type === 'error') reject(new Error(`${this.describe()}: ${String(message.message)}`));
          else resolve(message as T);
        } else if (this.exited) {
          finish();
          reject(new Error(`${this.describe()} exited before sending "${type}": ${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.describe()}: no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Sends a request and waits for the reply of the given type. */
  async ask<T extends ChildMessage>(
    message: ChildMessage,
    replyType: string,
    timeoutMs?: number,
  ): Promise<T> {
    this.send(message);
    return this.next<T>(replyType, timeoutMs);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private describe(): string {
    return `bench child ${this.script} (pid ${this.child.pid})`;
  }
}

/** Starts a baseline server and resolves once it listens; `port` is where. */
export async function startServer(
  script: string,
  args: string[] = [],
): Promise<BenchChild & { port: number }> {
  const child = new BenchChild(script, args);
  try {
    const ready = await child.next<{ type: 'listening'; port: number }>('listening', 20_000);
    return Object.assign(child, { port: ready.port });
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** For the child side: report to the parent, and exit when the parent goes away. */
export function childSide(): { send(message: ChildMessage): void } {
  process.on('disconnect', () => process.exit(0));
  return {
    send(message) {
      process.send?.(message);
    },
  };
}

/** For a baseline server: tell the parent the port it listens on, and exit when the parent goes away. */
export function reportListening(address: AddressInfo | string | null): void {
  process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
  process.on('disconnect', () => process.exit(0));
}

/** For a baseline HTTP server: listen on a free loopback port, with no time limit on a request's body. */
export function listenForBench(server: Server): void {
  server.requestTimeout = 0;
  server.listen(0, '127.0.0.1', () => reportListening(server.address()));
}
