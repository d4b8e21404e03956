import type Database from 'better-sqlite3';
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

/**
 * The hub's queries in SQLite. better-sqlite3 runs each statement synchronously; `run` decides when: at once inside
 * a transaction, or after the open transaction ended for a caller outside it.
 */
export abstract class SqliteQueries implements HubQueries {
  constructor(protected readonly db: Database.Database) {}

  protected abstract run<T>(statement: () => T): Promise<T>;

  getMeta(key: string): Promise<string | undefined> {
    return this.run(() => {
      const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as Row | undefined;
      return row ? (row.value as string) : undefined;
    });
  }

  setMeta(key: string, value: string): Promise<void> {
    return this.run(() => {
      this.db
        .prepare(
          'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        )
        .run(key, value);
    });
  }

  getAccount(name: string): Promise<AccountRow | undefined> {
    return this.run(() => {
      const row = this.db.prepare('SELECT * FROM accounts WHERE name = ?').get(name) as Row | undefined;
      return row ? toAccount(row) : undefined;
    });
  }

  listAccounts(): Promise<AccountRow[]> {
    return this.run(() => {
      return (this.db.prepare('SELECT * FROM accounts ORDER BY name').all() as Row[]).map(toAccount);
    });
  }

  addAccount(account: AccountRow): Promise<boolean> {
    return this.run(() => {
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
    });
  }

  updateAccount(name: string, changes: AccountChanges): Promise<boolean> {
    return this.run(() => {
      const { sql, values } = setClause(changes);
      if (!sql) return this.db.prepare('SELECT 1 FROM accounts WHERE name = ?').get(name) !== undefined;
      return this.db.prepare(`UPDATE accounts SET ${sql} WHERE name = ?`).run(...values, name).changes > 0;
    });
  }

  removeAccount(name: string): Promise<boolean> {
    return this.run(() => {
      return this.db.prepare('DELETE FROM accounts WHERE name = ?').run(name).changes > 0;
    });
  }

  insertSend(send: SendRow, offers: OfferRow[]): Promise<void> {
    return this.run(() => {
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
    });
  }

  getSend(sendId: string): Promise<SendRow | undefined> {
    return this.run(() => {
      const row = this.db.prepare('SELECT * FROM sends WHERE send_id = ?').get(sendId) as Row | undefined;
      return row ? toSend(row) : undefined;
    });
  }

  updateSend(
    sendId: string,
    changes: Partial<Pick<SendRow, 'seenStatus' | 'uploaded' | 'closed' | 'closedReason'>>,
  ): Promise<void> {
    return this.run(() => {
      const { sql, values } = setClause(changes);
      if (sql) this.db.prepare(`UPDATE sends SET ${sql} WHERE send_id = ?`).run(...values, sendId);
    });
  }

  sendsBySender(sender: string): Promise<SendRow[]> {
    return this.run(() => {
      return (
        this.db
          .prepare('SELECT * FROM sends WHERE sender = ? ORDER BY created_at, send_id')
          .all(sender) as Row[]
      ).map(toSend);
    });
  }

  sendsBySha(sha256: string): Promise<SendRow[]> {
    return this.run(() => {
      return (this.db.prepare('SELECT * FROM sends WHERE sha256 = ?').all(sha256) as Row[]).map(toSend);
    });
  }

  expiredSends(now: number): Promise<SendRow[]> {
    return this.run(() => {
      const rows = this.db
        .prepare(
          `SELECT * FROM sends s WHERE s.expires_at <= ? AND (
             (s.uploaded = 0 AND s.closed = 0)
             OR EXISTS (SELECT 1 FROM offers o WHERE o.send_id = s.send_id AND o.state IN ('waiting', 'accepted')))`,
        )
        .all(now) as Row[];
      return rows.map(toSend);
    });
  }

  getOffer(offerId: string): Promise<OfferRow | undefined> {
    return this.run(() => {
      const row = this.db.prepare('SELECT * FROM offers WHERE offer_id = ?').get(offerId) as Row | undefined;
      return row ? toOffer(row) : undefined;
    });
  }

  offersOfSend(sendId: string): Promise<OfferRow[]> {
    return this.run(() => {
      return (this.db.prepare('SELECT * FROM offers WHERE send_id = ?').all(sendId) as Row[]).map(toOffer);
    });
  }

  offersForRecipient(recipient: string): Promise<OfferRow[]> {
    return this.run(() => {
      return (this.db.prepare('SELECT * FROM offers WHERE recipient = ?').all(recipient) as Row[]).map(
        toOffer,
      );
    });
  }

  transitionOffer(
    offerId: string,
    from: OfferState[],
    to: OfferState,
    extra: Partial<Pick<OfferRow, 'acceptedBy'>>,
    now: number,
  ): Promise<boolean> {
    return this.run(() => {
      const placeholders = from.map(() => '?').join(', ');
      const acceptedBy = extra.acceptedBy === undefined ? null : extra.acceptedBy;
      const result = this.db
        .prepare(
          `UPDATE offers SET state = ?, accepted_by = COALESCE(?, accepted_by), updated_at = ?
           WHERE offer_id = ? AND state IN (${placeholders})`,
        )
        .run(to, acceptedBy, now, offerId, ...from);
      return result.changes > 0;
    });
  }

  markOfferDelivered(offerId: string): Promise<void> {
    return this.run(() => {
      this.db.prepare('UPDATE offers SET delivered = 1 WHERE offer_id = ?').run(offerId);
    });
  }

  markOfferSeen(offerId: string, state: OfferState): Promise<void> {
    return this.run(() => {
      this.db
        .prepare('UPDATE offers SET seen_state = ?, delivered = 1 WHERE offer_id = ?')
        .run(state, offerId);
    });
  }

  pruneFinished(): Promise<number> {
    return this.run(() => {
      return this.db.transaction(() => {
        const finished = `SELECT s.send_id FROM sends s WHERE (s.uploaded = 1 OR s.closed = 1)
          AND s.seen_status IN (${ENDED})
          AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.send_id = s.send_id
            AND (o.state IN ('waiting', 'accepted') OR o.seen_state IS NULL OR o.seen_state <> o.state))`;
        this.db.prepare(`DELETE FROM offers WHERE send_id IN (${finished})`).run();
        return this.db
          .prepare(
            `DELETE FROM sends WHERE send_id IN (SELECT s.send_id FROM sends s WHERE (s.uploaded = 1 OR s.closed = 1)
              AND s.seen_status IN (${ENDED})
              AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.send_id = s.send_id))`,
          )
          .run().changes;
      })();
    });
  }

  getConference(cid: string): Promise<ConferenceRow | undefined> {
    return this.run(() => {
      const row = this.db.prepare('SELECT * FROM conferences WHERE cid = ?').get(cid) as Row | undefined;
      return row ? toConference(row) : undefined;
    });
  }

  listConferences(): Promise<ConferenceRow[]> {
    return this.run(() => {
      return (this.db.prepare('SELECT * FROM conferences ORDER BY cid').all() as Row[]).map(toConference);
    });
  }

  addConference(row: ConferenceRow): Promise<boolean> {
    return this.run(() => {
      return (
        this.db
          .prepare(
            'INSERT INTO conferences (cid, title, created_at) VALUES (?, ?, ?) ON CONFLICT (cid) DO NOTHING',
          )
          .run(row.cid, row.title, row.createdAt).changes > 0
      );
    });
  }

  removeConference(cid: string): Promise<boolean> {
    return this.run(() => {
      return this.db.prepare('DELETE FROM conferences WHERE cid = ?').run(cid).changes > 0;
    });
  }

  startConference(row: RunningConferenceRow): Promise<boolean> {
    return this.run(() => this.db.prepare(SQL.start).run(...startValues(row)).changes > 0);
  }

  getRunningConference(confId: string): Promise<RunningConferenceRow | undefined> {
    return this.run(() => {
      const row = this.db.prepare(SQL.get).get(confId) as Row | undefined;
      return row ? toRunningConference(row) : undefined;
    });
  }

  runningConferenceOf(cid: string): Promise<RunningConferenceRow | undefined> {
    return this.run(() => {
      const row = this.db.prepare(SQL.ofCid).get(cid) as Row | undefined;
      return row ? toRunningConference(row) : undefined;
    });
  }

  lockRunningConference(confId: string): Promise<RunningConferenceRow | undefined> {
    return this.run(() => {
      const row = this.db.prepare(SQL.lock).get(confId) as Row | undefined;
      return row ? toRunningConference(row) : undefined;
    });
  }

  removeRunningConference(confId: string): Promise<boolean> {
    return this.run(() =>
      this.db.transaction(() => {
        this.db.prepare(SQL.removeMembers).run(confId);
        this.db.prepare(SQL.removeInvitations).run(confId);
        return this.db.prepare(SQL.remove).run(confId).changes > 0;
      })(),
    );
  }

  joinConference(member: ConferenceMemberRow): Promise<boolean> {
    return this.run(() => this.db.prepare(SQL.join).run(...joinValues(member)).changes > 0);
  }

  conferenceMemberOf(instanceId: string): Promise<ConferenceMemberRow | undefined> {
    return this.run(() => {
      const row = this.db.prepare(SQL.memberOf).get(instanceId) as Row | undefined;
      return row ? toConferenceMember(row) : undefined;
    });
  }

  conferenceMembers(confId: string): Promise<ConferenceMemberRow[]> {
    return this.run(() =>
      inJoinOrder((this.db.prepare(SQL.members).all(confId) as Row[]).map(toConferenceMember)),
    );
  }

  removeConferenceMember(
    instanceId: string,
    only?: MemberCondition,
  ): Promise<ConferenceMemberRow | undefined> {
    return this.run(() => {
      const row = this.db.prepare(SQL.removeMember).get(...removeMemberValues(instanceId, only)) as
        Row | undefined;
      return row ? toConferenceMember(row) : undefined;
    });
  }

  renewConferencePresence(process: string, now: number): Promise<number> {
    return this.run(() => this.db.prepare(SQL.renew).run(now, process).changes);
  }

  staleConferenceMembers(seenBefore: number): Promise<ConferenceMemberRow[]> {
    return this.run(() => (this.db.prepare(SQL.stale).all(seenBefore) as Row[]).map(toConferenceMember));
  }

  inviteToConference(row: ConferenceInvitationRow): Promise<void> {
    return this.run(() => {
      this.db.prepare(SQL.invite).run(row.confId, row.peerId, row.by);
    });
  }

  takeConferenceInvitation(confId: string, peerId: string): Promise<ConferenceInvitationRow | undefined> {
    return this.run(() => {
      const row = this.db.prepare(SQL.takeInvitation).get(confId, peerId) as Row | undefined;
      return row ? toConferenceInvitation(row) : undefined;
    });
  }

  conferenceInvitations(confId: string): Promise<ConferenceInvitationRow[]> {
    return this.run(() =>
      byInvitee((this.db.prepare(SQL.invitations).all(confId) as Row[]).map(toConferenceInvitation)),
    );
  }

  dropConferenceInvitationsOf(peerId: string): Promise<number> {
    return this.run(() => this.db.prepare(SQL.dropInvitationsOf).run(peerId).changes);
  }
}
