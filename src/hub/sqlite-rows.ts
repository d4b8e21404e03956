import type { AccountRow, ConferenceRow, OfferRow, SendRow } from './repository.js';
import type { Status } from '../protocol/common-types.js';
import type { OfferState, SendEndReason } from '../protocol/hub-link.js';

/** A row as better-sqlite3 returns it: column name to value. */
export type Row = Record<string, unknown>;

export const toAccount = (row: Row): AccountRow => ({
  name: row.name as string,
  displayName: row.display_name as string,
  passwordHash: row.password_hash as string,
  fileTransfer: Boolean(row.file_transfer),
  locked: Boolean(row.locked),
  createdAt: Number(row.created_at),
});

export const toSend = (row: Row): SendRow => ({
  sendId: row.send_id as string,
  sender: row.sender as string,
  senderDn: row.sender_dn as string,
  fileName: row.file_name as string,
  fileSize: Number(row.file_size),
  sha256: row.sha256 as string,
  confId: (row.conf_id as string | null) ?? null,
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
  seenStatus: Number(row.seen_status) as Status,
  uploaded: Boolean(row.uploaded),
  closed: Boolean(row.closed),
  closedReason: (row.closed_reason as SendEndReason | null) ?? null,
});

export const toOffer = (row: Row): OfferRow => ({
  offerId: row.offer_id as string,
  sendId: row.send_id as string,
  recipient: row.recipient as string,
  state: row.state as OfferState,
  delivered: Boolean(row.delivered),
  seenState: (row.seen_state as OfferState | null) ?? null,
  acceptedBy: (row.accepted_by as string | null) ?? null,
  updatedAt: Number(row.updated_at),
});

export const toConference = (row: Row): ConferenceRow => ({
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

/** `col = ?, …` for the fields of `changes` that are set; flags are stored as 0/1. */
export function setClause(changes: Record<string, unknown>): { sql: string; values: unknown[] } {
  const keys = Object.keys(changes).filter((key) => changes[key] !== undefined);
  return {
    sql: keys.map((key) => `${COLUMN[key]} = ?`).join(', '),
    values: keys.map((key) => {
      const value = changes[key];
      return typeof value === 'boolean' ? Number(value) : value;
    }),
  };
}
