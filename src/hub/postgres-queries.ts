import type {
  AccountChanges,
  AccountRow,
  ConferenceInvitationRow,
  ConferenceMemberRow,
  ConferenceRow,
  HubQueries,
  MemberCondition,
  OfferRow,
  RunningConferenceRow,
  SendRow,
} from './repository.js';
import {
  PRESENCE_SQL as SQL,
  inJoinOrder,
  byInvitee,
  joinValues,
  removeMemberValues,
  startValues,
  toConferenceInvitation,
  toConferenceMember,
  toRunningConference,
} from './conference-presence-sql.js';
import type { OfferState } from '../protocol/hub-link.js';
import { Status } from '../protocol/common-types.js';
import { setClause, toAccount, toConference, toOffer, toSend, type Row } from './sqlite-rows.js';

/** The statuses in which a sender's request has ended: a send confirmed in one of them is over for its room. */
const ENDED = `${Status.Failed}, ${Status.Done}`;

/** Rows per table of the hub (what a migration compares). */
export interface RowCounts {
  accounts: number;
  conferences: number;
  meta: number;
  sends: number;
  offers: number;
}

/** Runs one statement with its values: on a pooled connection, or on the connection of an open transaction. */
export type Execute = (text: string, values?: unknown[]) => Promise<{ rows: Row[]; rowCount: number }>;

/**
 * `?` placeholders (as the shared row helpers write them) numbered as PostgreSQL wants them: `$1`, `$2`, …
 * None of the statements here has a `?` inside a literal.
 */
export function numbered(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

/**
 * The hub's queries in PostgreSQL, in the same SQL as SQLite's (flags stored as 0/1, BIGINT for times and sizes,
 * which pg hands back as strings and the row helpers turn into numbers). `execute` runs a statement where the
 * subclass says; `atomically` runs several as one transaction (a new one, or the one already open).
 */
export abstract class PostgresQueries implements HubQueries {
  protected abstract execute: Execute;
  protected abstract atomically<T>(work: (execute: Execute) => Promise<T>): Promise<T>;

  private async one(text: string, values: unknown[]): Promise<Row | undefined> {
    return (await this.execute(numbered(text), values)).rows[0];
  }

  private async all(text: string, values: unknown[] = []): Promise<Row[]> {
    return (await this.execute(numbered(text), values)).rows;
  }

  private async changed(text: string, values: unknown[] = []): Promise<number> {
    return (await this.execute(numbered(text), values)).rowCount;
  }

  async getMeta(key: string): Promise<string | undefined> {
    const row = await this.one('SELECT value FROM meta WHERE key = ?', [key]);
    return row ? (row.value as string) : undefined;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.changed(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }

  async getAccount(name: string): Promise<AccountRow | undefined> {
    const row = await this.one('SELECT * FROM accounts WHERE name = ?', [name]);
    return row ? toAccount(row) : undefined;
  }

  async listAccounts(): Promise<AccountRow[]> {
    // COLLATE "C": ordered by code point, as SQLite orders, whatever the database's locale.
    return (await this.all('SELECT * FROM accounts ORDER BY name COLLATE "C"')).map(toAccount);
  }

  async addAccount(account: AccountRow): Promise<boolean> {
    const inserted = await this.changed(
      `INSERT INTO accounts (name, display_name, password_hash, file_transfer, locked, created_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
      [
        account.name,
        account.displayName,
        account.passwordHash,
        Number(account.fileTransfer),
        Number(account.locked),
        account.createdAt,
      ],
    );
    return inserted > 0;
  }

  async updateAccount(name: string, changes: AccountChanges): Promise<boolean> {
    const { sql, values } = setClause(changes);
    if (!sql) return (await this.one('SELECT 1 FROM accounts WHERE name = ?', [name])) !== undefined;
    return (await this.changed(`UPDATE accounts SET ${sql} WHERE name = ?`, [...values, name])) > 0;
  }

  async removeAccount(name: string): Promise<boolean> {
    return (await this.changed('DELETE FROM accounts WHERE name = ?', [name])) > 0;
  }

  insertSend(send: SendRow, offers: OfferRow[]): Promise<void> {
    return this.atomically(async (execute) => {
      await execute(
        numbered(`INSERT INTO sends (send_id, sender, sender_dn, file_name, file_size, sha256, conf_id, created_at,
          expires_at, seen_status, uploaded, closed, closed_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
        [
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
        ],
      );
      for (const offer of offers) {
        await execute(
          numbered(`INSERT INTO offers (offer_id, send_id, recipient, state, delivered, seen_state, accepted_by,
            updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
          [
            offer.offerId,
            offer.sendId,
            offer.recipient,
            offer.state,
            Number(offer.delivered),
            offer.seenState,
            offer.acceptedBy,
            offer.updatedAt,
          ],
        );
      }
    });
  }

  async getSend(sendId: string): Promise<SendRow | undefined> {
    const row = await this.one('SELECT * FROM sends WHERE send_id = ?', [sendId]);
    return row ? toSend(row) : undefined;
  }

  async updateSend(
    sendId: string,
    changes: Partial<Pick<SendRow, 'seenStatus' | 'uploaded' | 'closed' | 'closedReason'>>,
  ): Promise<void> {
    const { sql, values } = setClause(changes);
    if (sql) await this.changed(`UPDATE sends SET ${sql} WHERE send_id = ?`, [...values, sendId]);
  }

  async sendsBySender(sender: string): Promise<SendRow[]> {
    return (
      await this.all('SELECT * FROM sends WHERE sender = ? ORDER BY created_at, send_id', [sender])
    ).map(toSend);
  }

  async sendsBySha(sha256: string): Promise<SendRow[]> {
    return (await this.all('SELECT * FROM sends WHERE sha256 = ?', [sha256])).map(toSend);
  }

  async expiredSends(now: number): Promise<SendRow[]> {
    const rows = await this.all(
      `SELECT * FROM sends s WHERE s.expires_at <= ? AND (
         (s.uploaded = 0 AND s.closed = 0)
         OR EXISTS (SELECT 1 FROM offers o WHERE o.send_id = s.send_id AND o.state IN ('waiting', 'accepted')))`,
      [now],
    );
    return rows.map(toSend);
  }

  async getOffer(offerId: string): Promise<OfferRow | undefined> {
    const row = await this.one('SELECT * FROM offers WHERE offer_id = ?', [offerId]);
    return row ? toOffer(row) : undefined;
  }

  async offersOfSend(sendId: string): Promise<OfferRow[]> {
    return (await this.all('SELECT * FROM offers WHERE send_id = ?', [sendId])).map(toOffer);
  }

  async offersForRecipient(recipient: string): Promise<OfferRow[]> {
    return (await this.all('SELECT * FROM offers WHERE recipient = ?', [recipient])).map(toOffer);
  }

  async transitionOffer(
    offerId: string,
    from: OfferState[],
    to: OfferState,
    extra: Partial<Pick<OfferRow, 'acceptedBy'>>,
    now: number,
  ): Promise<boolean> {
    const acceptedBy = extra.acceptedBy === undefined ? null : extra.acceptedBy;
    // Under READ COMMITTED a concurrent UPDATE of the same row waits for the first to commit and then checks the
    // state again: the compare-and-set holds across connections and processes.
    const changed = await this.changed(
      `UPDATE offers SET state = ?, accepted_by = COALESCE(?::text, accepted_by), updated_at = ?
       WHERE offer_id = ? AND state = ANY(?::text[])`,
      [to, acceptedBy, now, offerId, from],
    );
    return changed > 0;
  }

  async markOfferDelivered(offerId: string): Promise<void> {
    await this.changed('UPDATE offers SET delivered = 1 WHERE offer_id = ?', [offerId]);
  }

  async markOfferSeen(offerId: string, state: OfferState): Promise<void> {
    await this.changed('UPDATE offers SET seen_state = ?, delivered = 1 WHERE offer_id = ?', [
      state,
      offerId,
    ]);
  }

  pruneFinished(): Promise<number> {
    return this.atomically(async (execute) => {
      const over = `(s.uploaded = 1 OR s.closed = 1) AND s.seen_status IN (${ENDED})`;
      await execute(
        `DELETE FROM offers WHERE send_id IN (SELECT s.send_id FROM sends s WHERE ${over}
           AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.send_id = s.send_id
             AND (o.state IN ('waiting', 'accepted') OR o.seen_state IS NULL OR o.seen_state <> o.state)))`,
      );
      const removed = await execute(
        `DELETE FROM sends s WHERE ${over} AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.send_id = s.send_id)`,
      );
      return removed.rowCount;
    });
  }

  async getConference(cid: string): Promise<ConferenceRow | undefined> {
    const row = await this.one('SELECT * FROM conferences WHERE cid = ?', [cid]);
    return row ? toConference(row) : undefined;
  }

  async listConferences(): Promise<ConferenceRow[]> {
    return (await this.all('SELECT * FROM conferences ORDER BY cid COLLATE "C"')).map(toConference);
  }

  async addConference(row: ConferenceRow): Promise<boolean> {
    const inserted = await this.changed(
      'INSERT INTO conferences (cid, title, created_at) VALUES (?, ?, ?) ON CONFLICT (cid) DO NOTHING',
      [row.cid, row.title, row.createdAt],
    );
    return inserted > 0;
  }

  /** Rows per table (not in HubQueries: for migrations and operators). */
  async rowCounts(): Promise<RowCounts> {
    const row = await this.one(
      `SELECT (SELECT count(*) FROM accounts) AS accounts, (SELECT count(*) FROM conferences) AS conferences,
         (SELECT count(*) FROM meta) AS meta, (SELECT count(*) FROM sends) AS sends,
         (SELECT count(*) FROM offers) AS offers`,
      [],
    );
    return {
      accounts: Number(row!.accounts),
      conferences: Number(row!.conferences),
      meta: Number(row!.meta),
      sends: Number(row!.sends),
      offers: Number(row!.offers),
    };
  }

  async removeConference(cid: string): Promise<boolean> {
    return (await this.changed('DELETE FROM conferences WHERE cid = ?', [cid])) > 0;
  }

  async startConference(row: RunningConferenceRow): Promise<boolean> {
    return (await this.changed(SQL.start, startValues(row))) > 0;
  }

  async getRunningConference(confId: string): Promise<RunningConferenceRow | undefined> {
    const row = await this.one(SQL.get, [confId]);
    return row ? toRunningConference(row) : undefined;
  }

  async runningConferenceOf(cid: string): Promise<RunningConferenceRow | undefined> {
    const row = await this.one(SQL.ofCid, [cid]);
    return row ? toRunningConference(row) : undefined;
  }

  async lockRunningConference(confId: string): Promise<RunningConferenceRow | undefined> {
    const row = await this.one(SQL.lock, [confId]);
    return row ? toRunningConference(row) : undefined;
  }

  removeRunningConference(confId: string): Promise<boolean> {
    return this.atomically(async (execute) => {
      await execute(numbered(SQL.removeMembers), [confId]);
      await execute(numbered(SQL.removeInvitations), [confId]);
      return (await execute(numbered(SQL.remove), [confId])).rowCount > 0;
    });
  }

  async joinConference(member: ConferenceMemberRow): Promise<boolean> {
    return (await this.changed(SQL.join, joinValues(member))) > 0;
  }

  async conferenceMemberOf(instanceId: string): Promise<ConferenceMemberRow | undefined> {
    const row = await this.one(SQL.memberOf, [instanceId]);
    return row ? toConferenceMember(row) : undefined;
  }

  async conferenceMembers(confId: string): Promise<ConferenceMemberRow[]> {
    return inJoinOrder((await this.all(SQL.members, [confId])).map(toConferenceMember));
  }

  async removeConferenceMember(
    instanceId: string,
    only?: MemberCondition,
  ): Promise<ConferenceMemberRow | undefined> {
    const row = await this.one(SQL.removeMember, removeMemberValues(instanceId, only));
    return row ? toConferenceMember(row) : undefined;
  }

  async renewConferencePresence(process: string, now: number): Promise<number> {
    return this.changed(SQL.renew, [now, process]);
  }

  async staleConferenceMembers(seenBefore: number): Promise<ConferenceMemberRow[]> {
    return (await this.all(SQL.stale, [seenBefore])).map(toConferenceMember);
  }

  async inviteToConference(row: ConferenceInvitationRow): Promise<void> {
    await this.changed(SQL.invite, [row.confId, row.peerId, row.by]);
  }

  async takeConferenceInvitation(
    confId: string,
    peerId: string,
  ): Promise<ConferenceInvitationRow | undefined> {
    const row = await this.one(SQL.takeInvitation, [confId, peerId]);
    return row ? toConferenceInvitation(row) : undefined;
  }

  async conferenceInvitations(confId: string): Promise<ConferenceInvitationRow[]> {
    return byInvitee((await this.all(SQL.invitations, [confId])).map(toConferenceInvitation));
  }

  async dropConferenceInvitationsOf(peerId: string): Promise<number> {
    return this.changed(SQL.dropInvitationsOf, [peerId]);
  }
}
