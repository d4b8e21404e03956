import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Direction, Status, type StatusReason } from '../protocol/common-types.js';

export interface FileRecord {
  fileId: number;
  fileName: string;
  fileSize: number;
  sha256: string;
  timestamp: number;
  source: 'upload' | 'received';
}

export interface RequestRecord {
  fileRequestId: string;
  direction: Direction;
  status: Status;
  statusReason: StatusReason | null;
  /**
   * Why the request failed, in words, when the hub or the room said more than `statusReason` (over quota, a full
   * store): shown in getFileRequestInfo as `statusReasonText`. Null or absent otherwise.
   */
  statusReasonText?: string | null;
  fileName: string;
  fileSize: number;
  sha256: string;
  fileId: number | null;
  peerId: string | null;
  peerDn: string | null;
  confId: string | null;
  timestamp: number;
  /** The hub's id for this request: the offer id (incoming, or outgoing to a user) or the send id (conference). */
  hubId: string;
  /** Bytes moved so far (uploaded to the hub, or downloaded from it). */
  processed: number;
  /** Which hub account this request belongs to: a room that logs in as someone else never mixes the two. */
  account: string;
  /**
   * The request's legacy `id` (room-api.md §10): a positive integer in creation order, never reused. The store
   * assigns it on insert; every record read from the store carries it.
   */
  legacyId?: number;
  /** Recipients of a conference send, as counted when it was announced; null for a request to or from a user. */
  peersCount?: number | null;
}

export interface HistoryRecord {
  fileRequestId: string;
  direction: Direction;
  fileName: string;
  fileSize: number;
  timestamp: number;
  fileId: number;
  peerId: string | null;
  peerDn: string | null;
  confId: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
  file_id INTEGER PRIMARY KEY,
  file_name TEXT NOT NULL,
  file_size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  source TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS requests (
  file_request_id TEXT PRIMARY KEY,
  direction INTEGER NOT NULL,
  status INTEGER NOT NULL,
  status_reason TEXT,
  file_name TEXT NOT NULL,
  file_size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  file_id INTEGER,
  peer_id TEXT,
  peer_dn TEXT,
  conf_id TEXT,
  timestamp INTEGER NOT NULL,
  hub_id TEXT NOT NULL,
  processed INTEGER NOT NULL DEFAULT 0,
  account TEXT NOT NULL,
  legacy_id INTEGER,
  peers_count INTEGER,
  status_text TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS requests_hub ON requests (direction, hub_id);
CREATE INDEX IF NOT EXISTS requests_file ON requests (file_id);
CREATE TABLE IF NOT EXISTS history (
  file_request_id TEXT PRIMARY KEY,
  direction INTEGER NOT NULL,
  file_name TEXT NOT NULL,
  file_size INTEGER NOT NULL,
  timestamp INTEGER NOT NULL,
  file_id INTEGER NOT NULL,
  peer_id TEXT,
  peer_dn TEXT,
  conf_id TEXT,
  completed_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS history_file ON history (file_id);
`;

type Row = Record<string, unknown>;

/** Requests kept in memory (a few hundred bytes each). */
const REQUEST_CACHE_LIMIT = 10_000;

function toFile(row: Row): FileRecord {
  return {
    fileId: row.file_id as number,
    fileName: row.file_name as string,
    fileSize: row.file_size as number,
    sha256: row.sha256 as string,
    timestamp: row.timestamp as number,
    source: row.source as FileRecord['source'],
  };
}

function toRequest(row: Row): RequestRecord {
  return {
    fileRequestId: row.file_request_id as string,
    direction: row.direction as Direction,
    status: row.status as Status,
    statusReason: (row.status_reason as StatusReason | null) ?? null,
    statusReasonText: (row.status_text as string | null | undefined) ?? null,
    fileName: row.file_name as string,
    fileSize: row.file_size as number,
    sha256: row.sha256 as string,
    fileId: (row.file_id as number | null) ?? null,
    peerId: (row.peer_id as string | null) ?? null,
    peerDn: (row.peer_dn as string | null) ?? null,
    confId: (row.conf_id as string | null) ?? null,
    timestamp: row.timestamp as number,
    hubId: row.hub_id as string,
    processed: row.processed as number,
    account: row.account as string,
    legacyId: row.legacy_id as number,
    peersCount: (row.peers_count as number | null | undefined) ?? null,
  };
}

function toHistory(row: Row): HistoryRecord {
  return {
    fileRequestId: row.file_request_id as string,
    direction: row.direction as Direction,
    fileName: row.file_name as string,
    fileSize: row.file_size as number,
    timestamp: row.timestamp as number,
    fileId: row.file_id as number,
    peerId: (row.peer_id as string | null) ?? null,
    peerDn: (row.peer_dn as string | null) ?? null,
    confId: (row.conf_id as string | null) ?? null,
  };
}

/**
 * The room's durable state: one SQLite database in WAL mode. Every state change a client can observe is written
 * here before the event announcing it is sent, so a crash never reports something that is not kept.
 */
export class RoomStore {
  readonly db: Database.Database;
  private readonly stmt;
  private storedCache: number | null = null;
  private readonly requestCache = new Map<string, RequestRecord>();

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.db = new Database(join(dataDir, 'room.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.migrate();
    const db = this.db;
    this.stmt = {
      kvGet: db.prepare('SELECT value FROM kv WHERE key = ?'),
      kvSet: db.prepare(
        'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      kvDelete: db.prepare('DELETE FROM kv WHERE key = ?'),
      fileInsert: db.prepare(
        'INSERT INTO files (file_id, file_name, file_size, sha256, timestamp, source) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      fileGet: db.prepare('SELECT * FROM files WHERE file_id = ?'),
      fileList: db.prepare('SELECT * FROM files ORDER BY timestamp DESC, file_id'),
      fileDelete: db.prepare('DELETE FROM files WHERE file_id = ?'),
      fileBytes: db.prepare('SELECT COALESCE(SUM(file_size), 0) AS total FROM files'),
      // The legacy id is the highest so far + 1: requests are never deleted, so it is never one given before.
      requestInsert:
        db.prepare(`INSERT INTO requests (file_request_id, direction, status, status_reason, file_name,
        file_size, sha256, file_id, peer_id, peer_dn, conf_id, timestamp, hub_id, processed, account, peers_count,
        legacy_id)
        VALUES (@fileRequestId, @direction, @status, @statusReason, @fileName, @fileSize, @sha256, @fileId, @peerId,
        @peerDn, @confId, @timestamp, @hubId, @processed, @account, @peersCount,
        (SELECT COALESCE(MAX(legacy_id), 0) + 1 FROM requests)) RETURNING legacy_id`),
      requestByLegacyId: db.prepare('SELECT * FROM requests WHERE legacy_id = ?'),
      requestGet: db.prepare('SELECT * FROM requests WHERE file_request_id = ?'),
      requestByHub: db.prepare('SELECT * FROM requests WHERE direction = ? AND hub_id = ?'),
      requestsByDirection: db.prepare(
        'SELECT * FROM requests WHERE direction = ? AND account = ? ORDER BY timestamp DESC, file_request_id',
      ),
      requestsByStatus: db.prepare('SELECT * FROM requests WHERE status = ? ORDER BY timestamp'),
      requestsUsingFile: db.prepare(
        `SELECT * FROM requests WHERE file_id = ? AND direction = ${Direction.Outgoing}
        AND status IN (${Status.Waiting}, ${Status.Transferring})`,
      ),
      requestUpdateStatus: db.prepare(
        `UPDATE requests SET status = ?, status_reason = ?, status_text = ?, file_id = COALESCE(?, file_id)
        WHERE file_request_id = ?`,
      ),
      requestUpdateProcessed: db.prepare('UPDATE requests SET processed = ? WHERE file_request_id = ?'),
      historyInsert:
        db.prepare(`INSERT OR IGNORE INTO history (file_request_id, direction, file_name, file_size,
        timestamp, file_id, peer_id, peer_dn, conf_id, completed_at)
        VALUES (@fileRequestId, @direction, @fileName, @fileSize, @timestamp, @fileId, @peerId, @peerDn, @confId,
        @completedAt)`),
      historyList: db.prepare(
        'SELECT * FROM history ORDER BY timestamp DESC, completed_at DESC, file_request_id',
      ),
      historyByFile: db.prepare('SELECT * FROM history WHERE file_id = ? ORDER BY timestamp DESC'),
      historyDeleteByFile: db.prepare('DELETE FROM history WHERE file_id = ?'),
      historyClear: db.prepare('DELETE FROM history'),
    };
  }

  close(): void {
    this.db.close();
  }

  /**
   * Brings a data directory written by an older roomfiles up to date. Only adds: columns that older versions
   * lacked, and the legacy id of every request that has none, given in the order the requests were created
   * (their rowid), after the highest id already given.
   */
  private migrate(): void {
    const columns = new Set(
      (this.db.prepare('PRAGMA table_info(requests)').all() as { name: string }[]).map((c) => c.name),
    );
    this.transaction(() => {
      if (!columns.has('legacy_id')) this.db.exec('ALTER TABLE requests ADD COLUMN legacy_id INTEGER');
      if (!columns.has('peers_count')) this.db.exec('ALTER TABLE requests ADD COLUMN peers_count INTEGER');
      if (!columns.has('status_text')) this.db.exec('ALTER TABLE requests ADD COLUMN status_text TEXT');
      const missing = this.db
        .prepare('SELECT file_request_id FROM requests WHERE legacy_id IS NULL ORDER BY rowid')
        .pluck()
        .all() as string[];
      if (missing.length > 0) {
        let next =
          (this.db
            .prepare('SELECT COALESCE(MAX(legacy_id), 0) AS id FROM requests')
            .pluck()
            .get() as number) + 1;
        const give = this.db.prepare('UPDATE requests SET legacy_id = ? WHERE file_request_id = ?');
        for (const fileRequestId of missing) give.run(next++, fileRequestId);
      }
      this.db.exec('CREATE UNIQUE INDEX IF NOT EXISTS requests_legacy ON requests (legacy_id)');
    });
  }

  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (error) {
      // Rolled back: the in-memory copies may hold what was undone, so they are dropped.
      this.requestCache.clear();
      this.storedCache = null;
      throw error;
    }
  }

  // --- settings and saved values -------------------------------------------------------------------------

  get<T>(key: string): T | undefined {
    const row = this.stmt.kvGet.get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  set(key: string, value: unknown): void {
    this.stmt.kvSet.run(key, JSON.stringify(value));
  }

  delete(key: string): void {
    this.stmt.kvDelete.run(key);
  }

  // --- files ---------------------------------------------------------------------------------------------

  insertFile(file: FileRecord): void {
    this.stmt.fileInsert.run(
      file.fileId,
      file.fileName,
      file.fileSize,
      file.sha256,
      file.timestamp,
      file.source,
    );
    if (this.storedCache !== null) this.storedCache += file.fileSize;
  }

  getFile(fileId: number): FileRecord | undefined {
    const row = this.stmt.fileGet.get(fileId) as Row | undefined;
    return row ? toFile(row) : undefined;
  }

  listFiles(): FileRecord[] {
    return (this.stmt.fileList.all() as Row[]).map(toFile);
  }

  deleteFile(fileId: number): boolean {
    const file = this.getFile(fileId);
    const deleted = this.stmt.fileDelete.run(fileId).changes > 0;
    if (deleted && file && this.storedCache !== null) this.storedCache -= file.fileSize;
    return deleted;
  }

  /** Bytes of all stored files; kept in memory, since uploads ask for it with every chunk (quota check). */
  storedBytes(): number {
    this.storedCache ??= (this.stmt.fileBytes.get() as { total: number }).total;
    return this.storedCache;
  }

  // --- requests ------------------------------------------------------------------------------------------

  /** Stores a new request and gives it the next legacy id (room-api.md §10). */
  insertRequest(request: RequestRecord): void {
    const peersCount = request.peersCount ?? null;
    const row = this.stmt.requestInsert.get({ ...request, peersCount }) as { legacy_id: number };
    this.remember({ ...request, legacyId: row.legacy_id, peersCount });
  }

  /** A request by its legacy id (room-api.md §10). */
  getRequestByLegacyId(legacyId: number): RequestRecord | undefined {
    const row = this.stmt.requestByLegacyId.get(legacyId) as Row | undefined;
    return row ? this.getRequest(row.file_request_id as string) : undefined;
  }

  /**
   * A request by id, from memory when it was read or written before: getFileRequestInfo is the API's most
   * frequent question, and every change of a request goes through this class, which keeps the copy current.
   */
  getRequest(fileRequestId: string): RequestRecord | undefined {
    const cached = this.requestCache.get(fileRequestId);
    if (cached) return { ...cached };
    const row = this.stmt.requestGet.get(fileRequestId) as Row | undefined;
    if (!row) return undefined;
    const request = toRequest(row);
    this.remember({ ...request });
    return request;
  }

  private remember(request: RequestRecord): void {
    if (this.requestCache.size >= REQUEST_CACHE_LIMIT) {
      // Oldest first: a Map iterates in insertion order.
      this.requestCache.delete(this.requestCache.keys().next().value!);
    }
    this.requestCache.set(request.fileRequestId, request);
  }

  getRequestByHubId(direction: Direction, hubId: string): RequestRecord | undefined {
    const row = this.stmt.requestByHub.get(direction, hubId) as Row | undefined;
    return row ? toRequest(row) : undefined;
  }

  listRequests(direction: Direction, account: string): RequestRecord[] {
    return (this.stmt.requestsByDirection.all(direction, account) as Row[]).map(toRequest);
  }

  requestsInStatus(status: Status): RequestRecord[] {
    return (this.stmt.requestsByStatus.all(status) as Row[]).map(toRequest);
  }

  activeRequestsUsingFile(fileId: number): RequestRecord[] {
    return (this.stmt.requestsUsingFile.all(fileId) as Row[]).map(toRequest);
  }

  setRequestStatus(
    fileRequestId: string,
    status: Status,
    statusReason: StatusReason | null = null,
    fileId: number | null = null,
    statusReasonText: string | null = null,
  ): void {
    this.stmt.requestUpdateStatus.run(status, statusReason, statusReasonText, fileId, fileRequestId);
    const cached = this.requestCache.get(fileRequestId);
    if (cached) {
      cached.status = status;
      cached.statusReason = statusReason;
      cached.statusReasonText = statusReasonText;
      if (fileId !== null) cached.fileId = fileId;
    }
  }

  setProcessed(fileRequestId: string, processed: number): void {
    this.stmt.requestUpdateProcessed.run(processed, fileRequestId);
    const cached = this.requestCache.get(fileRequestId);
    if (cached) cached.processed = processed;
  }

  // --- history -------------------------------------------------------------------------------------------

  addHistory(entry: HistoryRecord, completedAt: number): void {
    this.stmt.historyInsert.run({ ...entry, completedAt });
  }

  listHistory(): HistoryRecord[] {
    return (this.stmt.historyList.all() as Row[]).map(toHistory);
  }

  historyForFile(fileId: number): HistoryRecord[] {
    return (this.stmt.historyByFile.all(fileId) as Row[]).map(toHistory);
  }

  deleteHistoryForFile(fileId: number): void {
    this.stmt.historyDeleteByFile.run(fileId);
  }

  clearHistory(): HistoryRecord[] {
    return this.transaction(() => {
      const entries = this.listHistory();
      this.stmt.historyClear.run();
      return entries;
    });
  }
}
