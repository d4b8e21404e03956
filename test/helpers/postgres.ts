import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './child.js';
import { findExecutable } from './system.js';

/**
 * A throwaway PostgreSQL cluster for one test run (Debian's `postgresql` server): initdb in a temporary directory,
 * its own port and socket directory, trust authentication on loopback. As root (CI), initdb and postgres refuse to
 * run, so they run as the `postgres` user (setpriv).
 */
export interface PgCluster {
  port: number;
  /** A connection URL to the database `name` (created with createDatabase) or to `postgres`. */
  url(name?: string): string;
  createDatabase(name: string): void;
  /**
   * Stops the server (fast shutdown) and starts it again on the same port and data; `whileDown` runs in between
   * (what a test checks while the database is away).
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
  /**
   * Lets the test process end while the server still runs (it is killed at exit): for a cluster shared by a whole
   * file, which no single test stops.
   */
  unref(): void;
}

const USER = 'roomfiles';

/** The directory of Debian's PostgreSQL server binaries, the newest version installed, or null. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  try {
    const versions = readdirSync(root)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const dir = join(root, version, 'bin');
      if (findExecutable(join(dir, 'postgres')) && findExecutable(join(dir, 'initdb'))) return dir;
    }
  } catch {
    // no Debian PostgreSQL
  }
  const onPath = findExecutable('postgres');
  return onPath ? onPath.slice(0, onPath.lastIndexOf('/')) : null;
}

/** What is missing for a throwaway cluster, in words, or null when one can be started. */
export function postgresMissing(): string | null {
  if (!postgresBinDir()) return 'PostgreSQL server binaries (Debian package postgresql) are not installed';
  if (process.getuid?.() === 0 && !findExecutable('setpriv')) return 'running as root without setpriv';
  return null;
}

const asRoot = process.getuid?.() === 0;

/** setpriv execs the server itself (no process in between), so signals reach postgres directly. */
function command(bin: string, args: string[]): [string, string[]] {
  return asRoot
    ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', bin, ...args]]
    : [bin, args];
}

export async function startPostgres(dir: string): Promise<PgCluster> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('no PostgreSQL server binaries');
  const data = join(dir, 'data');
  const sockets = join(dir, 'sockets');
  mkdirSync(sockets, { recursive: true });
  if (asRoot) {
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
    chownSync(sockets, uid, gid);
  }
  const [initdb, initArgs] = command(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    USER,
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
    '--no-instructions',
  ]);
  execFileSync(initdb, initArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await freePort();
  let server: ChildProcess | null = null;
  let unreferenced = false;
  const unrefServer = () => {
    server?.unref();
    (server?.stderr as { unref?: () => void } | null)?.unref?.();
  };

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const [postgres, args] = command(join(bin, 'postgres'), [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        sockets,
        '-c',
        'listen_addresses=127.0.0.1',
        // A throwaway cluster: durability is not what these tests measure.
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        // A test file may keep many hubs (each with its pools) until its end: the default 100 is too few for
        // the two-hub test beds of test/transfer/cluster.test.ts.
        '-c',
        'max_connections=400',
      ]);
      const child = spawn(postgres, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      server = child;
      let log = '';
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('database system is ready to accept connections')) {
          child.stderr.off('data', onData);
          child.stderr.resume();
          if (unreferenced) unrefServer();
          resolve();
        }
      };
      child.stderr.on('data', onData);
      child.once('exit', (code) =>
        reject(new Error(`postgres exited (${code}) before it was ready:\n${log}`)),
      );
    });

  const stop = () =>
    new Promise<void>((resolve) => {
      const child = server;
      server = null;
      if (!child || child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      // SIGINT is PostgreSQL's fast shutdown: sessions are ended, nothing waits for clients to leave.
      child.kill('SIGINT');
    });

  const killOnExit = () => server?.kill('SIGKILL');
  process.once('exit', killOnExit);
  await start();

  return {
    port,
    url: (name = 'postgres') => `postgres://${USER}@127.0.0.1:${port}/${name}`,
    createDatabase(name) {
      execFileSync(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', USER, name], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    },
    async restart(whileDown) {
      await stop();
      try {
        await whileDown?.();
      } finally {
        await start();
      }
    },
    async stop() {
      process.off('exit', killOnExit);
      await stop();
    },
    unref() {
      unreferenced = true;
      unrefServer();
    },
  };
}

function postgresIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

/**
 * `ROOMFILES_TEST_HUB_DB=postgres`: every hub a TestBed starts keeps its rows in PostgreSQL (a database of its own
 * on one throwaway cluster per test process) instead of SQLite, so that a whole test file runs against it
 * unchanged (test/transfer/postgres.test.ts does so).
 */
export const HUB_DB_ENV = 'ROOMFILES_TEST_HUB_DB';

let shared: { cluster: Promise<PgCluster>; databases: number } | null = null;

/** A new empty database on this process's shared throwaway cluster (started on first use, stopped at exit). */
export async function sharedPostgresDatabase(): Promise<string> {
  if (!shared) {
    const dir = mkdtempSync(join(tmpdir(), 'roomfiles-pg-'));
    const cluster = startPostgres(dir).then((started) => {
      started.unref();
      return started;
    });
    shared = { cluster, databases: 0 };
    // After the cluster's own exit handler (registered as it starts) has killed the server.
    void cluster.then(() => process.once('exit', () => rmSync(dir, { recursive: true, force: true })));
  }
  const cluster = await shared.cluster;
  const name = `hub_${++shared.databases}`;
  cluster.createDatabase(name);
  return cluster.url(name);
}
