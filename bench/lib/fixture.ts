import { join } from 'node:path';
import { Cluster, type RoomProcess } from '../../test/helpers/cluster.js';
import type { RoomConnection } from '../../src/client/index.js';
import type { EventMessage } from '../../src/client/index.js';
import { SqliteHubRepository } from '../../src/hub/sqlite-repository.js';
import { Accounts, DEFAULT_DOMAIN } from '../../src/hub/accounts.js';
import { systemClock } from '../../src/common/clock.js';
import { trackChild, trackDir } from './cleanup.js';
import { getDiscard, postRaw } from './http-client.js';

export type Connection = RoomConnection & { tokenForHttpServer: string };
export type StatusEvent = EventMessage<'fileRequestStatusChanged'>;

export interface BenchRoom extends RoomProcess {
  conn: Connection;
  peerId: string;
}

/** Options every benchmark room gets: no upload limit or quota gets in the way of a 4 GiB body. */
const ROOM_ARGS = ['--max-post', '16GiB', '--quota', '200GiB'];

/** Creates accounts (and named conferences) in a hub's database before the hub starts, without a CLI round trip. */
export async function prepareHubData(hubData: string, accounts: string[], conferences: string[] = []) {
  const repo = new SqliteHubRepository(join(hubData, 'hub.db'));
  try {
    const book = new Accounts(repo, DEFAULT_DOMAIN, systemClock);
    for (const name of accounts) await book.add(name, `pw-${name}`);
    for (const cid of conferences) await repo.addConference({ cid, title: cid, createdAt: Date.now() });
  } finally {
    await repo.close();
  }
}

/**
 * A hub and rooms as separate `roomfiles` processes on loopback (test/helpers/cluster.ts), each room with one
 * authorized SDK connection that accepts every incoming request the moment it arrives.
 */
export class BenchCluster {
  readonly cluster = new Cluster();
  readonly rooms = new Map<string, BenchRoom>();
  private readonly untrack: (() => void)[] = [];

  get root(): string {
    return this.cluster.root.path;
  }

  get hubPid(): number {
    return this.cluster.hub!.child.pid!;
  }

  static async start(
    names: string[],
    options: { conferences?: string[]; autoAccept?: boolean; moreAccounts?: string[] } = {},
  ): Promise<BenchCluster> {
    const bench = new BenchCluster();
    bench.untrack.push(trackDir(bench.root));
    try {
      await prepareHubData(
        bench.cluster.hubData,
        [...names, ...(options.moreAccounts ?? [])],
        options.conferences,
      );
      await bench.cluster.startHub();
      bench.untrack.push(trackChild(bench.cluster.hub!.child));
      await Promise.all(
        names.map((name) => bench.startRoom(name, { autoAccept: options.autoAccept ?? true })),
      );
      return bench;
    } catch (error) {
      await bench.close();
      throw error;
    }
  }

  /**
   * Starts one more room (its account made by `start`'s `moreAccounts`); `hubPort` puts something between it and
   * the hub (the resume row's cut proxy).
   */
  async startRoom(name: string, options: { autoAccept?: boolean; hubPort?: number } = {}): Promise<void> {
    const autoAccept = options.autoAccept ?? true;
    const room = await this.cluster.startRoom(name, ROOM_ARGS, options.hubPort);
    this.untrack.push(trackChild(room.proc.child));
    const conn = await this.cluster.connect(name);
    if (autoAccept) {
      conn.on('receivedFileRequest', (event) => {
        conn
          .call('acceptIncomingFileRequest', { fileRequestId: event.fileRequestId })
          .catch((error: Error) => console.error(`${name}: accept failed: ${error.message}`));
      });
    }
    this.rooms.set(name, { ...room, conn, peerId: `${name}@${DEFAULT_DOMAIN}` });
  }

  room(name: string): BenchRoom {
    const room = this.rooms.get(name);
    if (!room) throw new Error(`no room ${name}`);
    return room;
  }

  pidOf(name: string): number {
    return this.room(name).proc.child.pid!;
  }

  /** A fresh token for a room's HTTP server (they live five minutes). */
  async token(name: string): Promise<string> {
    return (await this.room(name).conn.call('getTokenForHttpServer')).token;
  }

  /** `?token=…` for a room's HTTP server. */
  async query(name: string, extra = ''): Promise<string> {
    return `?token=${encodeURIComponent(await this.token(name))}${extra}`;
  }

  /** Stores a body on a room (raw upload); resolves to its fileId. */
  async upload(name: string, body: string | Buffer, fileName: string): Promise<number> {
    const query = await this.query(name, `&name=${encodeURIComponent(fileName)}`);
    const reply = await postRaw(this.room(name).httpPort, `/files/${query}`, body);
    return (JSON.parse(reply.text) as { fileId: number }).fileId;
  }

  /** Reads a file from a room's HTTP server and drops it (the download row measures this). */
  async download(name: string, fileId: number, range?: string): Promise<number> {
    return getDiscard(this.room(name).httpPort, `/files/${fileId}${await this.query(name)}`, range);
  }

  /** Removes every file and history entry of a room (frees the disk between runs). */
  async clear(name: string): Promise<void> {
    const conn = this.room(name).conn;
    await conn.call('clearFileTransferHistory', { deleteFilesFromDisk: true });
    for (const file of (await conn.call('getFileList')).fileList) {
      await conn.call('deleteFileTransferFile', { fileId: file.fileId }).catch(() => undefined);
    }
  }

  async hubStats(): Promise<{ bytesReceived: number; bytesSent: number }> {
    return this.cluster.hubStats();
  }

  /** Stops every process (SIGINT first, so that a --cpu-prof profile is written) and removes the data. */
  async close(): Promise<void> {
    for (const room of this.rooms.values()) room.conn.close();
    const procs = [...this.cluster.rooms.values()].map((room) => room.proc);
    await Promise.all(procs.map((proc) => proc.stop('SIGINT', 10_000).catch(() => undefined)));
    await this.cluster.hub?.stop('SIGINT', 10_000).catch(() => undefined);
    await this.cluster.close();
    for (const untrack of this.untrack) untrack();
  }
}

/**
 * Resolves with the `fileRequestStatusChanged` status 3 of the first request that `match` picks; rejects if that
 * request reaches status 0 first, or nothing comes in time.
 */
export function whenDone(
  conn: RoomConnection,
  match: (event: StatusEvent) => boolean,
  timeoutMs = 1_800_000,
): Promise<StatusEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no status 3 within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = conn.on('fileRequestStatusChanged', (event) => {
      if (!match(event) || (event.status !== 3 && event.status !== 0)) return;
      clearTimeout(timer);
      off();
      if (event.status === 3) resolve(event);
      else
        reject(
          new Error(
            `request ${event.fileRequestId} (${event.fileName}) failed: ${String((event as { statusReason?: string }).statusReason ?? '')}`,
          ),
        );
    });
  });
}

/** An incoming request of that file name done (directionType 0). */
export function incomingDone(conn: RoomConnection, fileName: string, timeoutMs?: number) {
  return whenDone(conn, (event) => event.directionType === 0 && event.fileName === fileName, timeoutMs);
}
