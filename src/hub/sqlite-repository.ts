import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type {
  AccountChanges,
  AccountRow,
  ConferenceRow,
  HubRepository,
  OfferRow,
  SendRow,
} from './repository.js';
import type { OfferState, SendEndReason } from '../protocol/hub-link.js';
import { HUB_SCHEMA } from './schema.js';

type Row = Record<string, unknown>;

const toAccount = (row: Row): AccountRow => ({
  name: row.name as string,
  displayName: row.display_name as string,
  passwordHash: row.password_hash as string,
  fileTransfer: Boolean(row.file_transfer),
  locked: Boolean(row.locked),
  createdAt: Number(row.created_at),
});

const toSend = (row: Row): SendRow => ({
  sendId: row.send_id as string,
  sender: row.sender as string,
  senderDn: row.sender_dn as string,
  fileName: row.file_name as string,
  fileSize: Number(row.file_size),
  sha256: row.sha256 as string,
  confId: (row.conf_id as string | null) ?? null,
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
  seenStatus: Number(row.seen_status),
  uploaded: Boolean(row.uploaded),
  closed: Boolean(row.closed),
  closedReason: (row.closed_reason as SendEndReason | null) ?? null,
});

const toOffer = (row: Row): OfferRow => ({
  offerId: row.offer_id as string,
  sendId: row.send_id as string,
  recipient: row.recipient as string,
  state: row.state as OfferState,
  delivered: Boolean(row.delivered),
  seenState: (row.seen_state as OfferState | null) ?? null,
  acceptedBy: (row.accepted_by as string | null) ?? null,
  updatedAt: Number(row.updated_at),
});

const toConference = (row: Row): ConferenceRow => ({
  cid: row.cid as string,
  title: row.title as string,
  createdAt: Number(row.created_at),
});

const COLUMN: Record<string, string> = {
  displayName: 'display_name',
  passwordHash: 'password_hash',
  fileTransfer: 'file_transfer',
  locked: 'locked',
  seenStatus: 'seen_status',
  uploaded: 'uploaded',
  closed: 'closed',
  closedReason: 'closed_reason',
};

function setClause(changes: Record<string, unknown>): { sql: string; values: unknown[] } {
  const keys = Object.keys(changes).filter((key) => changes[key] !== undefined);
  return {
    sql: keys.map((key) => `${COLUMN[key]} = ?`).join(', '),
    values: keys.map((key) => {
      const value = changes[key];
      return typeof value === 'boolean' ? Number(value) : value;
    }),
  };
}

/** The default hub repository: one SQLite file in WAL mode. */
export class SqliteHubRepository implements HubRepository {
  private readonly db: Database.Database;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(HUB_SCHEMA);
  }

  /** SQLite's counter of commits by other connections: lets a running hub notice `roomfiles hub user …`. */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  async close(): Promise<void> {
    this.db.close();
  }

  async getMeta(key: string): Promise<string | undefined> {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as Row | undefined;
    return row ? (row.value as string) : undefined;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }

  async getAccount(name: string): Promise<AccountRow | undefined> {
    const row = this.db.prepare('SELECT * FROM accounts WHERE name = ?').get(name) as Row | undefined;
    return row ? toAccount(row) : undefined;
  }

  async listAccounts(): Promise<AccountRow[]> {
    return (this.db.prepare('SELECT * FROM accounts ORDER BY name').all() as Row[]).map(toAccount);
  }

  async addAccount(account: AccountRow): Promise<boolean> {
    const result = this.db
      .prepare(
        `INSERT INTO accounts (name, display_name, password_hash, file_transfer, locked, created_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
      )
      .run(
        account.name,
        account.displayName,
        account.passwordHash,
        Number(account.fileTransfer),
        Number(account.locked),
        account.createdAt,
      );
    return result.changes > 0;
  }

  async updateAccount(name: string, changes: AccountChanges): Promise<boolean> {
    const { sql, values } = setClause(changes);
    if (!sql) return (await this.getAccount(name)) !== undefined;
    return this.db.prepare(`UPDATE accounts SET ${sql} WHERE name = ?`).run(...values, name).changes > 0;
  }

  async removeAccount(name: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM accounts WHERE name = ?').run(name).changes > 0;
  }

  async insertSend(send: SendRow, offers: OfferRow[]): Promise<void> {
    const insertSend = this.db.prepare(
      `INSERT INTO sends (send_id, sender, sender_dn, file_name, file_size, sha256, conf_id, created_at, expires_at,
        seen_status, uploaded, closed, closed_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertOffer = this.db.prepare(
      `INSERT INTO offers (offer_id, send_id, recipient, state, delivered, seen_state, accepted_by, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      insertSend.run(
        send.sendId,
        send.sender,
        send.senderDn,
        send.fileName,
        send.fileSize,
        send.sha256,
        send.confId,
        send.createdAt,
        send.expiresAt,
        send.seenStatus,
        Number(send.uploaded),
        Number(send.closed),
        send.closedReason,
      );
      for (const offer of offers) {
        insertOffer.run(
          offer.offerId,
          offer.sendId,
          offer.recipient,
          offer.state,
          Number(offer.delivered),
          offer.seenState,
          offer.acceptedBy,
          offer.updatedAt,
        );
      }
    })();
  }

  async getSend(sendId: string): Promise<SendRow | undefined> {
    const row = this.db.prepare('SELECT * FROM sends WHERE send_id = ?').get(sendId) as Row | undefined;
    return row ? toSend(row) : undefined;
  }

  async updateSend(
    sendId: string,
    changes: Partial<Pick<SendRow, 'seenStatus' | 'uploaded' | 'closed' | 'closedReason'>>,
  ): Promise<void> {
    const { sql, values } = setClause(changes);
    if (sql) this.db.prepare(`UPDATE sends SET ${sql} WHERE send_id = ?`).run(...values, sendId);
  }

  async sendsBySender(sender: string): Promise<SendRow[]> {
    return (
      this.db.prepare('SELECT * FROM sends WHERE sender = ? ORDER BY created_at').all(sender) as Row[]
    ).map(toSend);
  }

  async sendsBySha(sha256: string): Promise<SendRow[]> {
    return (this.db.prepare('SELECT * FROM sends WHERE sha256 = ?').all(sha256) as Row[]).map(toSend);
  }

  async expiredSends(now: number): Promise<SendRow[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM sends s WHERE s.expires_at <= ? AND (
           (s.uploaded = 0 AND s.closed = 0)
           OR EXISTS (SELECT 1 FROM offers o WHERE o.send_id = s.send_id AND o.state IN ('waiting', 'accepted')))`,
      )
      .all(now) as Row[];
    return rows.map(toSend);
  }

  async getOffer(offerId: string): Promise<OfferRow | undefined> {
    const row = this.db.prepare('SELECT * FROM offers WHERE offer_id = ?').get(offerId) as Row | undefined;
    return row ? toOffer(row) : undefined;
  }

  async offersOfSend(sendId: string): Promise<OfferRow[]> {
    return (this.db.prepare('SELECT * FROM offers WHERE send_id = ?').all(sendId) as Row[]).map(toOffer);
  }

  async offersForRecipient(recipient: string): Promise<OfferRow[]> {
    return (this.db.prepare('SELECT * FROM offers WHERE recipient = ?').all(recipient) as Row[]).map(toOffer);
  }

  async transitionOffer(
    offerId: string,
    from: OfferState[],
    to: OfferState,
    extra: Partial<Pick<OfferRow, 'acceptedBy'>>,
    now: number,
  ): Promise<boolean> {
    const placeholders = from.map(() => '?').join(', ');
    const acceptedBy = extra.acceptedBy === undefined ? null : extra.acceptedBy;
    const result = this.db
      .prepare(
        `UPDATE offers SET state = ?, accepted_by = COALESCE(?, accepted_by), updated_at = ?
         WHERE offer_id = ? AND state IN (${placeholders})`,
      )
      .run(to, acceptedBy, now, offerId, ...from);
    return result.changes > 0;
  }

  async markOfferDelivered(offerId: string): Promise<void> {
    this.db.prepare('UPDATE offers SET delivered = 1 WHERE offer_id = ?').run(offerId);
  }

  async markOfferSeen(offerId: string, state: OfferState): Promise<void> {
    this.db.prepare('UPDATE offers SET seen_state = ?, delivered = 1 WHERE offer_id = ?').run(state, offerId);
  }

  async pruneFinished(): Promise<number> {
    return this.db.transaction(() => {
      const finished = `SELECT s.send_id FROM sends s WHERE (s.uploaded = 1 OR s.closed = 1)
        AND s.seen_status IN (0, 3)
        AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.send_id = s.send_id
          AND (o.state IN ('waiting', 'accepted') OR o.seen_state IS NULL OR o.seen_state <> o.state))`;
      this.db.prepare(`DELETE FROM offers WHERE send_id IN (${finished})`).run();
      return this.db
        .prepare(
          `DELETE FROM sends WHERE send_id IN (SELECT s.send_id FROM sends s WHERE (s.uploaded = 1 OR s.closed = 1)
            AND s.seen_status IN (0, 3)
            AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.send_id = s.send_id))`,
        )
        .run().changes;
    })();
  }

  async getConference(cid: string): Promise<ConferenceRow | undefined> {
    const row = this.db.prepare('SELECT * FROM conferences WHERE cid = ?').get(cid) as Row | undefined;
    return row ? toConference(row) : undefined;
  }

  async listConferences(): Promise<ConferenceRow[]> {
    return (this.db.prepare('SELECT * FROM conferences ORDER BY cid').all() as Row[]).map(toConference);
  }

  async addConference(row: ConferenceRow): Promise<boolean> {
    return (
      this.db
        .prepare(
          'INSERT INTO conferences (cid, title, created_at) VALUES (?, ?, ?) ON CONFLICT (cid) DO NOTHING',
        )
        .run(row.cid, row.title, row.createdAt).changes > 0
    );
  }

  async removeConference(cid: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM conferences WHERE cid = ?').run(cid).changes > 0;
  }
}
