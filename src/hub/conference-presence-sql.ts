import type { ConferenceInvitationRow, ConferenceMemberRow, RunningConferenceRow } from './repository.js';

/**
 * The tables of running conferences (who is present, who is invited), in SQL that SQLite and PostgreSQL both
 * accept: SQLite creates them at open (after HUB_SCHEMA), PostgreSQL in schema step 4. No foreign keys: every
 * change of a conference's members locks the conference's row first (`lock`), which keeps them consistent.
 */
export const CONFERENCE_PRESENCE_SCHEMA = `
CREATE TABLE IF NOT EXISTS running_conferences (
  conf_id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  conf_type INTEGER NOT NULL,
  owner_peer_id TEXT NOT NULL,
  cid TEXT UNIQUE,
  started_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS conference_members (
  instance_id TEXT PRIMARY KEY,
  conf_id TEXT NOT NULL,
  peer_id TEXT NOT NULL,
  account TEXT NOT NULL,
  peer_dn TEXT NOT NULL,
  role INTEGER NOT NULL,
  process TEXT NOT NULL,
  link TEXT NOT NULL,
  joined_at BIGINT NOT NULL,
  seen_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS conference_members_conf ON conference_members (conf_id);
CREATE INDEX IF NOT EXISTS conference_members_lease ON conference_members (process, seen_at);
CREATE TABLE IF NOT EXISTS conference_invitations (
  conf_id TEXT NOT NULL,
  peer_id TEXT NOT NULL,
  invited_by TEXT NOT NULL,
  PRIMARY KEY (conf_id, peer_id)
);
CREATE INDEX IF NOT EXISTS conference_invitations_peer ON conference_invitations (peer_id);
`;

/** The statements, with `?` placeholders (PostgreSQL's are numbered by `numbered`). */
export const PRESENCE_SQL = {
  start: `INSERT INTO running_conferences (conf_id, title, conf_type, owner_peer_id, cid, started_at)
    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  get: 'SELECT * FROM running_conferences WHERE conf_id = ?',
  ofCid: 'SELECT * FROM running_conferences WHERE cid = ?',
  // An UPDATE that changes nothing takes the row's lock in PostgreSQL until the transaction ends; SQLite's
  // transactions (BEGIN IMMEDIATE) are one at a time anyway.
  lock: 'UPDATE running_conferences SET conf_id = conf_id WHERE conf_id = ? RETURNING *',
  removeMembers: 'DELETE FROM conference_members WHERE conf_id = ?',
  removeInvitations: 'DELETE FROM conference_invitations WHERE conf_id = ?',
  remove: 'DELETE FROM running_conferences WHERE conf_id = ?',
  join: `INSERT INTO conference_members (instance_id, conf_id, peer_id, account, peer_dn, role, process, link,
    joined_at, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (instance_id) DO NOTHING`,
  memberOf: 'SELECT * FROM conference_members WHERE instance_id = ?',
  members: 'SELECT * FROM conference_members WHERE conf_id = ?',
  // CAST: PostgreSQL cannot tell the type of a parameter that is only compared with NULL.
  removeMember: `DELETE FROM conference_members WHERE instance_id = ?
    AND (CAST(? AS TEXT) IS NULL OR link = ?) AND (CAST(? AS BIGINT) IS NULL OR seen_at < ?) RETURNING *`,
  renew: 'UPDATE conference_members SET seen_at = ? WHERE process = ?',
  stale: 'SELECT * FROM conference_members WHERE seen_at < ?',
  invite: `INSERT INTO conference_invitations (conf_id, peer_id, invited_by) VALUES (?, ?, ?)
    ON CONFLICT (conf_id, peer_id) DO UPDATE SET invited_by = excluded.invited_by`,
  takeInvitation: 'DELETE FROM conference_invitations WHERE conf_id = ? AND peer_id = ? RETURNING *',
  invitations: 'SELECT * FROM conference_invitations WHERE conf_id = ?',
  dropInvitationsOf: 'DELETE FROM conference_invitations WHERE peer_id = ?',
} as const;

type Row = Record<string, unknown>;

export const startValues = (row: RunningConferenceRow): unknown[] => [
  row.confId,
  row.title,
  row.confType,
  row.ownerPeerId,
  row.cid,
  row.startedAt,
];

export const joinValues = (m: ConferenceMemberRow): unknown[] => [
  m.instanceId,
  m.confId,
  m.peerId,
  m.account,
  m.peerDn,
  m.role,
  m.process,
  m.link,
  m.joinedAt,
  m.seenAt,
];

export const removeMemberValues = (instanceId: string, only: { link?: string; seenBefore?: number } = {}) => [
  instanceId,
  only.link ?? null,
  only.link ?? null,
  only.seenBefore ?? null,
  only.seenBefore ?? null,
];

export const toRunningConference = (row: Row): RunningConferenceRow => ({
  confId: row.conf_id as string,
  title: row.title as string,
  confType: Number(row.conf_type),
  ownerPeerId: row.owner_peer_id as string,
  cid: (row.cid as string | null) ?? null,
  startedAt: Number(row.started_at),
});

export const toConferenceMember = (row: Row): ConferenceMemberRow => ({
  instanceId: row.instance_id as string,
  confId: row.conf_id as string,
  peerId: row.peer_id as string,
  account: row.account as string,
  peerDn: row.peer_dn as string,
  role: Number(row.role),
  process: row.process as string,
  link: row.link as string,
  joinedAt: Number(row.joined_at),
  seenAt: Number(row.seen_at),
});

export const toConferenceInvitation = (row: Row): ConferenceInvitationRow => ({
  confId: row.conf_id as string,
  peerId: row.peer_id as string,
  by: row.invited_by as string,
});

/** Members in the order they joined (ties by InstanceId, by code point: the same on every database). */
export function inJoinOrder(members: ConferenceMemberRow[]): ConferenceMemberRow[] {
  return [...members].sort(
    (a, b) =>
      a.joinedAt - b.joinedAt || (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0),
  );
}

/** Invitations in a stable order (by account). */
export function byInvitee(invitations: ConferenceInvitationRow[]): ConferenceInvitationRow[] {
  return [...invitations].sort((a, b) => (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0));
}
